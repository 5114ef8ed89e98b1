"""Several images in one TFTP root: the root's menus offer them all and keep what is not livepxe's."""

from __future__ import annotations

from pathlib import Path

import pytest

from livepxe.bootconf import grub, ipxe, pxelinux
from livepxe.catalogue import scan
from livepxe.cli import main
from livepxe.convert import ConvertOptions, convert
from tests.bootconf.tools import grub_script_check
from tests.isofactory import make_iso


def _place(iso: Path, root: Path, name: str, **extra) -> None:
    convert(ConvertOptions(iso=iso, tftproot=root, imagedir=f"live/{name}", bootfile=f"live.{name}",
                           progress=False, **extra))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "tftproot"
    folder.mkdir()
    return folder


def test_two_images_are_in_every_menu_of_the_root(tiny_iso, root, tmp_path):
    _place(tiny_iso, root, "a")
    _place(tiny_iso, root, "b", initrd_mode="separate")
    assert [i.image_dir for i in scan.images(root)] == ["live/a", "live/b"]
    menu = (root / "pxelinux.cfg/default").read_text()
    assert [v for _, k, v in pxelinux.statements(menu) if k == "config"] == ["pxelinux.cfg/live.a",
                                                                                "pxelinux.cfg/live.b"]
    assert "needs" in menu and "MiB RAM" in menu
    grub_menu = (root / "grub/grub.cfg").read_text()
    assert grub_script_check(grub_menu, tmp_path).returncode == 0
    assert [[w.text for w in c.words[1:]] for c in grub.commands(grub_menu) if c.name == "configfile"] == [
        ["/grub/live.a.cfg"], ["/grub/live.b.cfg"]]
    chains = [tokens[1] for _, tokens in ipxe.commands((root / "menu.ipxe").read_text()) if tokens[0] == "chain"]
    assert chains == ["live/a/boot.ipxe", "live/b/boot.ipxe"]
    for chained in chains:
        assert (root / chained).is_file()


def test_replacing_one_image_keeps_the_other_in_the_menu(tiny_iso, root):
    _place(tiny_iso, root, "a")
    _place(tiny_iso, root, "b")
    _place(tiny_iso, root, "a", force=True)
    menu = (root / "pxelinux.cfg/default").read_text()
    assert "CONFIG pxelinux.cfg/live.a" in menu and "CONFIG pxelinux.cfg/live.b" in menu


def test_the_admins_own_menus_are_kept_byte_for_byte(tiny_iso, root):
    (root / "pxelinux.cfg").mkdir()
    (root / "pxelinux.cfg/default").write_text("DEFAULT local\nLABEL local\n  LOCALBOOT 0\n")
    (root / "grub").mkdir()
    (root / "grub/grub.cfg").write_text("set timeout=3\n")
    _place(tiny_iso, root, "a")
    assert (root / "pxelinux.cfg/default").read_text() == "DEFAULT local\nLABEL local\n  LOCALBOOT 0\n"
    assert (root / "grub/grub.cfg").read_text() == "set timeout=3\n"
    assert "chain live/a/boot.ipxe" in (root / "menu.ipxe").read_text()     # the free one is written


def test_a_hostile_volume_label_stays_data_in_every_menu(tmp_path, root):
    iso = make_iso(tmp_path / "evil.iso", label="L';configfile ${x}; }")
    _place(iso, root, "a")
    grub_menu = (root / "grub/grub.cfg").read_text()
    assert grub_script_check(grub_menu, tmp_path).returncode == 0
    assert [c.name for c in grub.commands(grub_menu) if c.name in ("configfile", "menuentry")] == [
        "menuentry", "configfile"]
    assert [t[0] for _, t in ipxe.commands((root / "menu.ipxe").read_text())].count("chain") == 1


def test_a_self_contained_tree_has_no_catalogue(tiny_iso, tmp_path):
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", progress=False))
    assert not (tmp_path / "t/menu.ipxe").exists()


def test_list_shows_each_image_of_a_root(tiny_iso, root, capsys):
    _place(tiny_iso, root, "a")
    _place(tiny_iso, root, "b")
    assert main(["list", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["live/a", "live/b"]
    assert tiny_iso.name in lines[1]
