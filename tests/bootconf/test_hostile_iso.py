"""End to end: ISOs whose volume label, file name or boot menus try to inject syntax, converted and checked.

The volume label is patched into the primary volume descriptor after
xorriso wrote it (xorriso would refuse such a label).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import isofactory
import pytest

from livepxe.bootconf import dhcpd, dnsmasq, grub, ipxe, kea, printable, pxelinux
from livepxe.convert import ConvertOptions, convert
from livepxe.tree.verify import verify

from .tools import dnsmasq_test, grub_script_check

PVD_LABEL = 16 * 2048 + 40
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
LABELS = [b"L\ndhcp-option=6,6.6.6.6\rKERNEL e", b"L\nconfigfile (http,x)/y\n\x1b[2J&&",
          b"L ; chain http://x/ && shell\x00", b"L\nnext-server 6.6.6.6;\ntftp-root"]
HOSTILE_APPEND = "; chain http://x/ && shell $x it's \x1b[31m a\x00b || reboot #c"
#: The same words quoted for GRUB, so that they reach the kernel (unquoted, ';' would end GRUB's linux command).
GRUB_HOSTILE = "';' chain http://x/ '&&' shell '$x' it\\'s '\x1b[31m' 'a\x00b' '||' reboot '#c'"


def patch_label(iso: Path, label: bytes) -> None:
    with open(iso, "r+b") as stream:
        stream.seek(PVD_LABEL)
        stream.write(label.ljust(32, b" ")[:32])


def check_tree(tree: Path, entries) -> None:
    """Every generated file holds only our lines, passes its format's checker, and parses to ``entries``."""
    (entry,) = entries
    for path in tree.rglob("*"):
        if path.is_file() and path.suffix in (".cfg", ".ipxe", ".conf", ".json") or path.parent.name == "pxelinux.cfg":
            assert not CONTROL.search(path.read_text()), path
    text = (tree / "pxelinux.cfg" / "default").read_text()
    assert [k for _, k, _ in pxelinux.statements(text)] == ["default", "prompt", "timeout", "label", "menu",
                                                             "kernel", "append", "onerror"]
    assert [(e.kernel, e.cmdline) for e in pxelinux.parse(text)] == [(entry.kernel, entry.cmdline)]
    text = (tree / "grub" / "grub.cfg").read_text() if (tree / "grub" / "grub.cfg").is_file() \
        else (tree / "grub.cfg").read_text()
    assert grub_script_check(text, tree.parent).returncode == 0
    assert [c.name for c in grub.commands(text) if c.depth == 0] == ["set", "set", "menuentry"]
    assert [(e.kernel, e.cmdline) for e in grub.parse(text)] == [("/" + entry.kernel, entry.cmdline)]
    text = (tree / "boot.ipxe").read_text()
    assert [t[0] for _, t in ipxe.commands(text)] == [":livepxe0", "echo", "kernel", "initrd", "boot"]
    assert [(e.kernel, e.cmdline) for e in ipxe.parse(text)] == [(entry.kernel, entry.cmdline)]
    text = (tree / "dhcp" / "dnsmasq.conf").read_text()
    assert dnsmasq_test(text, tree.parent).returncode == 0
    assert {n for n, _ in dnsmasq.directives(text)} <= {"enable-tftp", "tftp-root", "dhcp-match", "dhcp-userclass",
                                                       "dhcp-boot"}
    assert dict(dnsmasq.directives(text))["tftp-root"] == str(tree)
    text = (tree / "dhcp" / "dhcpd.conf").read_text()
    assert {s.tokens[0] for s in dhcpd.statements(text) if s.tokens} <= {"if", "elsif", "else", "filename"}
    text = (tree / "dhcp" / "dhcpd-toplevel.conf").read_text()
    assert [s.tokens for s in dhcpd.statements(text)] == [tuple(dhcpd.ARCH_DEFINITION[:-1].split())]
    text = (tree / "dhcp" / "kea-dhcp4.conf").read_text()
    assert [sorted(c) for c in kea.classes(text)] == [["boot-file-name", "name", "test"]] * len(kea.classes(text))


@pytest.mark.parametrize("label", LABELS, ids=range(len(LABELS)))
def test_a_volume_label_cannot_inject_into_any_generated_file(label, tmp_path):
    iso = isofactory.make_iso(tmp_path / "in.iso")
    patch_label(iso, label)
    tree = tmp_path / "tree"
    result = convert(ConvertOptions(iso=iso, output=tree, progress=False))
    check_tree(tree, result.entries)
    shown = label.decode("ascii").strip()
    assert json.loads((tree / "livepxe.json").read_text())["volume"] == shown
    assert f"(volume {printable(shown)})" in " ".join(
        line[2:] for line in (tree / "pxelinux.cfg" / "default").read_text().splitlines() if line.startswith("# "))
    if shutil.which("grub-script-check"):
        assert verify(tree).ok, verify(tree).problems


@pytest.mark.parametrize("config", ["isolinux", "grub"])
def test_hostile_kernel_arguments_and_file_name_are_dropped_and_named(config, tmp_path, monkeypatch):
    monkeypatch.setattr(isofactory, "ISOLINUX_CFG", isofactory.ISOLINUX_CFG.replace("rd.luks=0", HOSTILE_APPEND))
    monkeypatch.setattr(isofactory, "GRUB_CFG", isofactory.GRUB_CFG.replace("quiet rhgb", "quiet rhgb " + GRUB_HOSTILE))
    iso = isofactory.make_iso(tmp_path / "evil\ndhcp-option=6,6.6.6.6; chain x.iso", configs=(config,))
    tree = tmp_path / "tree"
    result = convert(ConvertOptions(iso=iso, output=tree, progress=False))
    check_tree(tree, result.entries)
    cmdline = result.entries[0].cmdline
    assert cmdline.startswith("root=live:/evil-dhcp-option-6-6.6.6.6-chain-x.iso ") and "quiet" in cmdline
    assert not {";", "&&", "||", "$x", "it's", "#c"} & set(cmdline.split())  # "chain" alone is a mere word
    (dropped,) = [w for w in result.warnings if "kernel arguments dropped" in w]
    quote = "it's" if config == "isolinux" else "it\\'s"  # GRUB hands the kernel a backslash before a quote
    assert all(repr(w) in dropped for w in (quote, ";", "&&", "||", "#c", "a\x00b", "\x1b[31m"))
    assert "evil\\x0adhcp-option" in (tree / "dhcp" / "dnsmasq.conf").read_text()
