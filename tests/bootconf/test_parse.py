"""Parsing configs we did not write, resolving their paths, and adding kernel arguments to them."""

from __future__ import annotations

import random

import pytest

from livepxe.bootconf import (
    add_kernel_args,
    dhcpd,
    dnsmasq,
    grub,
    ipxe,
    isomenu,
    parse,
    pxelinux,
    tree_entries,
    tree_path,
)

from .samples import INTEGRATED, SELF, TRICKY
from .tools import grub_script_check

CONSOLE = ["console=ttyS0,115200", "systemd.show_status=1"]


@pytest.mark.parametrize(("kind", "path", "config", "resolved"), [
    ("grub", "(tftp,10.0.2.2)/live/vmlinuz0", "grub/grub.cfg", "live/vmlinuz0"),
    ("grub", "($root)/images/vmlinuz", "grub.cfg", "images/vmlinuz"),
    ("grub", "${root}/images/vmlinuz", "grub.cfg", "images/vmlinuz"),
    ("grub", "$root/images/vmlinuz", "grub.cfg", "images/vmlinuz"),
    ("grub", "$rootdir/vmlinuz", "grub.cfg", "$rootdir/vmlinuz"),
    ("grub", "/a/../../etc/passwd", "grub/grub.cfg", "../etc/passwd"),
    ("pxelinux", "vmlinuz0", "pxelinux.cfg/default", "vmlinuz0"),
    ("pxelinux", "::/live/vmlinuz0", "pxelinux.cfg/default", "live/vmlinuz0"),
    ("ipxe", "vmlinuz0", "live/f41/boot.ipxe", "live/f41/vmlinuz0"),
    ("ipxe", "../other/initrd.img", "live/f41/boot.ipxe", "live/other/initrd.img"),
    ("ipxe", "/abs/vmlinuz0", "live/f41/boot.ipxe", "abs/vmlinuz0"),
    ("ipxe", "http://10.0.2.2/vmlinuz0", "boot.ipxe", "http://10.0.2.2/vmlinuz0"),
])
def test_tree_path_resolves_as_each_loader_does(kind, path, config, resolved):
    assert tree_path(kind, path, config) == resolved


def test_pxelinux_global_append_initrd_keyword_and_append_dash():
    text = ("# hand-written\nAPPEND ro quiet\nDEFAULT b\nLABEL a\n  LINUX /a/vmlinuz\n  INITRD /a/i1.img,/a/i2.img\n"
            "LABEL b\n  KERNEL vmlinuz console=tty0\n  APPEND initrd=i.img root=live:/x.iso\nLABEL c\n"
            "  KERNEL vmlinuz\n  APPEND -\nLABEL d\n  MENU LABEL no kernel\n")
    entries = parse("pxelinux", text, "pxelinux.cfg/default")
    assert [(e.label, e.initrds, e.cmdline, e.default) for e in entries] == [
        ("a", ("/a/i1.img", "/a/i2.img"), "ro quiet", False), ("b", ("i.img",), "console=tty0 root=live:/x.iso", True),
        ("c", (), "", False)]


def test_ipxe_script_with_options_separators_uris_and_continuations():
    text = ("#!ipxe\ndhcp || goto failed\nset base http://10.0.2.2/live\n"
            "kernel --name vmlinuz ${base}/vmlinuz0 initrd=initrd0.img root=live:/x.iso ${extra} ro && echo ok\n"
            "initrd --name initrd0.img ${base}/initrd0.img\nimgfetch -n iso \\\n  iso0.img\nboot || shell\n")
    (entry,) = ipxe.parse(text, "live/boot.ipxe")
    assert (entry.kernel, entry.initrds, entry.cmdline) == ("${base}/vmlinuz0", ("${base}/initrd0.img", "iso0.img"),
                                                            "root=live:/x.iso ro")


def test_grub_linux_command_ends_at_a_semicolon_and_comments_are_not_commands():
    text = ("# linux /not/a/kernel\nmenuentry 'a' { linux /vmlinuz ro; initrd /i.img; }\n"
            "if [ x = y ]; then\n  menuentry 'b' {\n    linux16 /v2 'a b' # trailing\n  }\nfi\n")
    entries = grub.parse(text)
    assert [(e.title, e.kernel, e.initrds, e.cmdline) for e in entries] == [
        ("a", "/vmlinuz", ("/i.img",), "ro"), ("b", "/v2", (), '"a b"')]


@pytest.mark.parametrize("kind", ["pxelinux", "grub", "ipxe"])
def test_add_kernel_args_reaches_every_entry_once_and_keeps_the_rest(kind):
    module = {"pxelinux": pxelinux, "grub": grub, "ipxe": ipxe}[kind]
    text = module.render(TRICKY, "c")
    edited = add_kernel_args(kind, text, CONSOLE)
    for before, after in zip(module.parse(text), module.parse(edited)):
        assert after.cmdline == " ".join(filter(None, [before.cmdline, *CONSOLE]))
        assert (after.kernel, after.initrds, after.title) == (before.kernel, before.initrds, before.title)
    assert add_kernel_args(kind, edited, CONSOLE) == edited  # present already: nothing added twice
    assert len(edited.splitlines()) - len(text.splitlines()) == (1 if kind == "pxelinux" else 0)  # label without APPEND
    with pytest.raises(ValueError):
        add_kernel_args(kind, text, ["a\nb"])


def test_add_kernel_args_to_hand_written_configs(tmp_path):
    syslinux = ("LABEL a\n  KERNEL v\n  TEXT HELP\n  APPEND not=this\n  ENDTEXT\n  APPEND ro\n"
                "LABEL b\n  KERNEL v\n  APPEND -\n")
    assert add_kernel_args("pxelinux", syslinux, ["x=1"]) == syslinux.replace("APPEND ro", "APPEND ro x=1")
    script = "#!ipxe\nkernel vmlinuz ro || goto fail # no console\ninitrd initrd.img\nboot\n"
    assert add_kernel_args("ipxe", script, ["x=1"]) == script.replace("ro ||", "ro x=1 ||")
    cfg = "menuentry 'a' {\n\tlinux /v ro; initrd /i # c\n}\n"
    edited = add_kernel_args("grub", cfg, ["x=1", 'k="a b"'])
    assert edited == "menuentry 'a' {\n\tlinux /v ro x=1 'k=a b'; initrd /i # c\n}\n"
    assert grub_script_check(edited, tmp_path).returncode == 0


def test_tree_entries_read_the_integrated_ipxe_script_from_its_folder():
    text = ipxe.render(INTEGRATED, "c", "live/devel/minimal")
    entries = tree_entries("ipxe", text, "live/devel/minimal/boot.ipxe")
    assert entries[1].kernel == "live/devel/minimal/vmlinuz1" and entries[1].config == "live/devel/minimal/boot.ipxe"
    assert parse("ipxe", ipxe.render(SELF, "c"))[0].kernel == "vmlinuz0"  # parse: as the script names it


#: Pieces a damaged or hostile config is made of: every format's syntax characters and keywords.
PIECES = [*"ab =\"'\\$;{}#&|\n\t\r\x00:/().,-", "menuentry ", "submenu ", "linux ", "initrd ", "set default=", "${",
          "label ", "kernel ", "append ", "menu default\n", "text help\n", "endtext\n", "--id ", ":x\n", "item ",
          "choose --default ", "filename ", "dhcp-boot="]


def test_parsers_never_raise_on_garbage():
    """An ISO's menus are read before anything else: a parser error would end the conversion in a traceback."""
    rng = random.Random(20240610)
    for _ in range(500):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 60)))
        for kind in ("pxelinux", "grub", "ipxe"):
            tree_entries(kind, text, "a/b.cfg")
            add_kernel_args(kind, text, CONSOLE)
        dnsmasq.parse(text)
        dhcpd.parse(text)
        for config in ("isolinux/isolinux.cfg", "boot/grub2/grub.cfg"):
            entries = isomenu.parse(config, text)
            if entries:
                isomenu.kernel_args(isomenu.start_entry(entries))
