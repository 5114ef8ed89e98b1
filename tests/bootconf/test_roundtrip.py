"""Render → parse → the same entries, for every format, proven by the format's own checker where it has one."""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

import pytest

from livepxe.bootconf import BootEntry, dhcpd, dnsmasq, grub, ipxe, kea, pxelinux, tree_entries
from livepxe.bootconf.dhcp import DEFAULT_TFTP_ROOT

from .samples import ENTRY_CASES, FILES
from .tools import REFUSED, dhcpd_test, dnsmasq_test, grub_script_check, kea_test

CONFIGS = {"pxelinux": "pxelinux.cfg/default", "grub": "grub/grub.cfg"}


def render(kind: str, entries: list[BootEntry], script_dir: str) -> tuple[str, str]:
    """(config path from the TFTP root, text) as the engine writes them."""
    if kind == "ipxe":
        return posixpath.join(script_dir, "boot.ipxe"), ipxe.render(entries, "Written by a test", script_dir)
    module = {"pxelinux": pxelinux, "grub": grub}[kind]
    return CONFIGS[kind], module.render(entries, "Written by a test")


def expected(entries: list[BootEntry], config: str) -> list[BootEntry]:
    """The entries as a parser must see them: paths from the TFTP root, one default, read from ``config``."""
    chosen = next((e for e in entries if e.default), entries[0])
    return [replace(e, kernel=e.kernel.lstrip("/"), initrds=tuple(p.lstrip("/") for p in e.initrds),
                    default=e is chosen, config=config) for e in entries]


@pytest.mark.parametrize("case", sorted(ENTRY_CASES))
@pytest.mark.parametrize("kind", ["pxelinux", "grub", "ipxe"])
def test_render_then_parse_gives_the_same_entries(kind, case):
    entries, script_dir = ENTRY_CASES[case]
    config, text = render(kind, entries, script_dir)
    assert tree_entries(kind, text, config) == expected(entries, config)


@pytest.mark.parametrize("case", sorted(ENTRY_CASES))
def test_grub_accepts_every_rendered_config(case, tmp_path):
    entries, _ = ENTRY_CASES[case]
    text = grub.render(entries, "c")
    assert grub_script_check(text, tmp_path).returncode == 0
    top = [c for c in grub.commands(text) if c.depth == 0]
    assert [c.words[0].text for c in top] == ["set", "set"] + ["menuentry"] * len(entries)
    assert grub_script_check(text + "menuentry 'x' {\n", tmp_path).returncode != 0  # the checker can fail


#: Lines a pxelinux config of ours may hold, and nothing else.
PXELINUX_LINE = re.compile(r"^(?:# .*|#|DEFAULT \S+|PROMPT [01]|TIMEOUT \d+|LABEL \S+|  MENU LABEL .*|"
                           r"  KERNEL \S+|  APPEND \S.*|ONERROR LOCALBOOT 0|)$")


@pytest.mark.parametrize("case", sorted(ENTRY_CASES))
def test_pxelinux_lines_are_only_ours(case):
    entries, _ = ENTRY_CASES[case]
    lines = pxelinux.render(entries, "c").splitlines()
    assert all(PXELINUX_LINE.match(line) for line in lines)
    for keyword in ("LABEL", "KERNEL"):
        assert sum(line.split()[:1] == [keyword] for line in lines) == len(entries)
    assert sum(line.startswith("DEFAULT ") for line in lines) == 1


#: Commands an iPXE script of ours runs; separators only on the menu's own lines.
IPXE_COMMANDS = {"menu", "item", "choose", "goto", "echo", "kernel", "initrd", "boot"}


@pytest.mark.parametrize("case", sorted(ENTRY_CASES))
def test_ipxe_script_runs_only_our_commands(case):
    entries, script_dir = ENTRY_CASES[case]
    text = ipxe.render(entries, "c", script_dir)
    commands = ipxe.commands(text)
    assert {tokens[0] for _, tokens in commands if not tokens[0].startswith(":")} <= IPXE_COMMANDS
    assert sum(tokens[0] == "kernel" for _, tokens in commands) == len(entries)
    lines = text.splitlines()
    for line in lines:
        assert not set(line.split()) & {";", "&&", "||"} or line.startswith(("menu ", "choose "))
        assert "$" not in line or line.startswith("choose ")
        assert not line.endswith("\\")


@pytest.mark.parametrize("name", sorted(FILES))
def test_dnsmasq_round_trip_and_dnsmasqs_own_check(name, tmp_path):
    files = FILES[name]
    text = dnsmasq.render(files, "c")
    proc = dnsmasq_test(text, tmp_path)
    assert proc.returncode == 0, proc.stderr
    root = files.tftp_root if dnsmasq.safe_value(files.tftp_root) else ""
    assert dnsmasq.parse(text) == replace(files, tftp_root=root)
    names = {n for n, _ in dnsmasq.directives(text)}
    assert names <= {"enable-tftp", "tftp-root", "dhcp-match", "dhcp-userclass", "dhcp-boot"}
    assert dnsmasq_test(text + "dhcp-boot-typo=x\n", tmp_path).returncode != 0  # the check can fail


def test_dnsmasq_leaves_a_tftp_root_it_cannot_carry_to_the_admin():
    text = dnsmasq.render(FILES["odd-root"], "c")
    assert "tftp-root" not in {n for n, _ in dnsmasq.directives(text)}
    assert "# tftp-root not written: dnsmasq cannot read the path '/srv/my tftp,#1'" in text
    with pytest.raises(ValueError):
        dnsmasq.render(replace(FILES["self"], bios="pxe linux.0"), "c")


@pytest.mark.parametrize("name", sorted(FILES))
def test_dhcpd_round_trip_and_dhcpds_own_check(name, tmp_path):
    files = FILES[name]
    text = dhcpd.render(files, "c")
    assert dhcpd.parse(text) == replace(files, tftp_root=DEFAULT_TFTP_ROOT)
    assert text.count("{") == text.count("}")
    tops = [s.tokens[0] for s in dhcpd.statements(text) if s.depth == 0 and s.tokens]
    assert set(tops) <= {"if", "elsif", "else", "filename"}
    top = dhcpd.render_toplevel("c", "/srv/tftp/dhcp")
    proc = dhcpd_test(text, top, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    inside = dhcpd_test(top + text, "", tmp_path)    # the check can fail: the definition inside the subnet
    assert inside.returncode != 0 and REFUSED.search(inside.stdout + inside.stderr)


@pytest.mark.parametrize("name", sorted(FILES))
def test_kea_round_trip_and_keas_own_check(name, tmp_path):
    files = FILES[name]
    text = kea.render(files, "c")
    assert kea.parse(text) == replace(files, tftp_root=DEFAULT_TFTP_ROOT)
    proc = kea_test(text, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert kea_test(text.replace("option[77]", "option[77", 1) if files.ipxe else text + ",{}",
                    tmp_path).returncode != 0   # the check can fail


def test_kea_strings_escape_quotes_and_refuse_control_characters(tmp_path):
    odd = replace(FILES["self"], bios='a "b" \\c', uefi="grub\u00e9.efi")
    text = kea.render(odd, "c")
    assert '"boot-file-name": "a \\"b\\" \\\\c"' in text
    assert kea.parse(text) == replace(odd, tftp_root=DEFAULT_TFTP_ROOT)
    assert kea_test(text, tmp_path).returncode == 0
    for bad in ("a\nb", "a\x00b", "a\u202eb", "a\tb"):
        with pytest.raises(ValueError):
            kea.render(replace(FILES["self"], bios=bad), "c")


def test_dhcpd_strings_escape_quotes_and_refuse_control_characters():
    files = FILES["self"]
    odd = replace(files, bios='a "b" \\c')
    assert 'filename "a \\"b\\" \\\\c";' in dhcpd.render(odd, "c")
    assert dhcpd.parse(dhcpd.render(odd, "c")).bios == 'a "b" \\c'
    with pytest.raises(ValueError):
        dhcpd.render(replace(files, bios="a\nb"), "c")
