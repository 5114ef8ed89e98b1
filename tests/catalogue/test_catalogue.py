"""Several images in one TFTP root: the root's menus offer them all and keep what is not livepxe's."""

from __future__ import annotations

import re
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
    assert [line.split()[0] for line in lines[1:3]] == ["live/a", "live/b"]
    assert tiny_iso.name in lines[1]
    assert lines[3:] == ["unattended: live/a after 10 s"]


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_remove_takes_one_image_out_and_keeps_the_other_bootable(tiny_iso, root, capsys):
    _place(tiny_iso, root, "a")
    _place(tiny_iso, root, "b")
    b_files = {k: v for k, v in _tree_bytes(root).items() if "live/b" in k or "live.b" in k}
    assert main(["remove", str(root), "live/a"]) == 0
    assert "offer live/b" in capsys.readouterr().out
    assert [i.image_dir for i in scan.images(root)] == ["live/b"]
    left = _tree_bytes(root)
    assert not [k for k in left if "live/a" in k or "live.a" in k]
    assert all(left[k] == v for k, v in b_files.items())
    menu = left["pxelinux.cfg/default"].decode()
    assert "CONFIG pxelinux.cfg/live.b" in menu and "live.a" not in menu
    assert not [p for p in root.iterdir() if p.name.startswith(".livepxe-")]


def test_removing_the_last_image_gives_the_root_back_as_it_was(tiny_iso, root):
    (root / "pxelinux.cfg").mkdir()
    (root / "pxelinux.cfg/default").write_text("mine\n")
    (root / "pxelinux.0").write_bytes(b"loader")
    before = _tree_bytes(root)
    _place(tiny_iso, root, "a")
    assert main(["remove", str(root), "live/a"]) == 0
    assert _tree_bytes(root) == before


def test_remove_refuses_a_folder_holding_what_livepxe_did_not_write(tiny_iso, root, capsys):
    _place(tiny_iso, root, "a")
    (root / "live/a/notes.txt").write_text("the admin's\n")
    before = _tree_bytes(root)
    assert main(["remove", str(root), "live/a"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "notes.txt, which livepxe did not write" in err[0]
    assert _tree_bytes(root) == before


def test_remove_of_an_unknown_image_is_one_line(root, capsys):
    assert main(["remove", str(root), "live/nothing"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds no image live/nothing" in err[0]


def test_serve_plans_a_catalogue_root_from_its_menus(tiny_iso, root, tmp_path, capsys):
    """``serve ROOT --print-config``: iPXE clients get the root's menu, BIOS clients the root's own pxelinux."""
    from livepxe.host.loaders import find_files
    found, missing = find_files()
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: apt-get install pxelinux syslinux-common")
    for name, src in found.items():
        (root / name).write_bytes(src.read_bytes())
    _place(tiny_iso, root, "a")
    _place(tiny_iso, root, "b")
    command = ["serve", str(root), "--interface", "lo", "--address", "127.0.0.1", "--print-config",
               "--tftp-only", "--uefi", "signed", "--loader-dir", str(tmp_path / "loaders")]
    assert main(command) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1/menu.ipxe" in out
    assert re.search(r'pxe-service=tag:!ipxe,x86PC,"[^"]*catalogue 2 images",pxelinux.0', out), out
    assert (tmp_path / "loaders/pxelinux.0").is_symlink()          # the root's own, linked


def test_a_catalogue_root_without_loaders_gets_the_hosts_beside_it(tiny_iso, root, tmp_path, capsys,
                                                                  unsigned_grub_host):
    from livepxe.host.loaders import find_files
    if find_files()[1]:
        pytest.skip("needs pxelinux.0 and ldlinux.c32: apt-get install pxelinux syslinux-common")
    _place(tiny_iso, root, "a")
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    loaders = tmp_path / "loaders"
    command = ["serve", str(root), "--interface", "lo", "--address", "127.0.0.1", "--print-config",
               "--tftp-only", "--uefi", "signed", "--loader-dir", str(loaders)]
    assert main(command) == 0
    out = capsys.readouterr().out
    for name in ("pxelinux.0", "ldlinux.c32", "grubnetx64.efi"):
        assert (loaders / name).is_file() and not (loaders / name).is_symlink(), name
    assert re.search(r'pxe-service=tag:!ipxe,x86-64_EFI,"[^"]*",grubnetx64.efi', out), out
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == before   # nothing written into the root


def test_serve_refuses_a_folder_that_is_neither_tree_nor_catalogue(root, capsys):
    assert main(["serve", str(root), "--interface", "lo", "--address", "127.0.0.1", "--print-config"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no livepxe.json and no catalogue menus" in err[0]


def test_the_admin_chooses_the_default_image_and_the_timeout(tiny_iso, root, capsys):
    _place(tiny_iso, root, "a")
    _place(tiny_iso, root, "b")
    assert main(["menu", str(root), "--default", "live/b", "--timeout", "30"]) == 0
    assert "boot live/b after 30 s" in capsys.readouterr().out
    _place(tiny_iso, root, "c")                        # a later conversion keeps the choice
    assert "DEFAULT live-b" in (root / "pxelinux.cfg/default").read_text()
    assert "TIMEOUT 300" in (root / "pxelinux.cfg/default").read_text()
    assert "set default=live-b" in (root / "grub/grub.cfg").read_text()
    assert "set livepxe_default live-b\nset livepxe_wait 30000\n" in (root / "menu.ipxe").read_text()
    assert main(["remove", str(root), "live/b"]) == 0   # the chosen image goes: the first boots again
    assert "DEFAULT live-a" in (root / "pxelinux.cfg/default").read_text()


def test_choosing_an_image_the_root_lacks_is_one_line(tiny_iso, root, capsys):
    _place(tiny_iso, root, "a")
    assert main(["menu", str(root), "--default", "live/zz"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds no image live/zz; choose one of live/a" in err[0]


def test_a_hostile_settings_file_leaves_the_defaults_and_says_so(tiny_iso, root, capsys):
    (root / "livepxe-catalogue.json").write_text('{"default": ["x"], "timeout_s": "forever"}')
    _place(tiny_iso, root, "a")
    assert "TIMEOUT 100" in (root / "pxelinux.cfg/default").read_text()
    assert main(["list", str(root)]) == 0


MAC, OTHER = "52:54:00:12:34:56", "52:54:00:ab:cd:ef"


def test_a_machine_gets_its_own_default_in_every_menu(tiny_iso, root, tmp_path, capsys):
    _place(tiny_iso, root, "a")
    _place(tiny_iso, root, "b")
    assert main(["menu", str(root), "--mac", "52-54-00-12-34-56", "--default", "live/b"]) == 0
    assert f"machine {MAC} boots live/b" in capsys.readouterr().out
    own = (root / "pxelinux.cfg/01-52-54-00-12-34-56").read_text()
    assert "DEFAULT live-b" in own and "livepxe catalogue menu" in own
    assert "CONFIG pxelinux.cfg/live.a" in own                      # the whole menu, another default
    assert "DEFAULT live-a" in (root / "pxelinux.cfg/default").read_text()
    grub_menu = (root / "grub/grub.cfg").read_text()
    assert grub_script_check(grub_menu, tmp_path).returncode == 0
    assert f'if [ "$net_default_mac" = {MAC} ]; then set default=live-b; fi' in grub_menu
    assert f"iseq ${{mac}} {MAC} && set livepxe_default live-b ||" in (root / "menu.ipxe").read_text()
    _place(tiny_iso, root, "c")                                     # a later conversion keeps it
    assert "CONFIG pxelinux.cfg/live.c" in (root / "pxelinux.cfg/01-52-54-00-12-34-56").read_text()
    assert main(["list", str(root)]) == 0
    assert f"machine {MAC}: live/b" in capsys.readouterr().out.splitlines()


def test_forgetting_a_machine_removes_its_file(tiny_iso, root):
    _place(tiny_iso, root, "a")
    assert main(["menu", str(root), "--mac", MAC, "--default", "live/a"]) == 0
    assert main(["menu", str(root), "--mac", OTHER, "--default", "live/a"]) == 0
    assert main(["menu", str(root), "--mac", MAC, "--forget"]) == 0
    assert not (root / "pxelinux.cfg/01-52-54-00-12-34-56").exists()
    assert (root / "pxelinux.cfg/01-52-54-00-ab-cd-ef").is_file()
    assert MAC not in (root / "menu.ipxe").read_text() and OTHER in (root / "menu.ipxe").read_text()


def test_removing_an_image_drops_the_machines_that_chose_it(tiny_iso, root, capsys):
    _place(tiny_iso, root, "a")
    _place(tiny_iso, root, "b")
    assert main(["menu", str(root), "--mac", MAC, "--default", "live/b"]) == 0
    assert main(["menu", str(root), "--mac", OTHER, "--default", "live/a"]) == 0
    assert main(["remove", str(root), "live/b"]) == 0
    assert not (root / "pxelinux.cfg/01-52-54-00-12-34-56").exists()
    assert "DEFAULT live-a" in (root / "pxelinux.cfg/01-52-54-00-ab-cd-ef").read_text()
    assert MAC not in (root / "grub/grub.cfg").read_text()
    assert '"machines": {\n    "52:54:00:ab:cd:ef": "live/a"\n  }' in (root / "livepxe-catalogue.json").read_text()
    assert main(["remove", str(root), "live/a"]) == 0               # the last: the root is as it was
    assert [p for p in root.rglob("*") if not p.is_dir()] == []


def test_a_machine_file_livepxe_did_not_write_is_kept(tiny_iso, root, capsys):
    (root / "pxelinux.cfg").mkdir()
    (root / "pxelinux.cfg/01-52-54-00-12-34-56").write_text("DEFAULT local\n")
    _place(tiny_iso, root, "a")
    assert main(["menu", str(root), "--mac", MAC, "--default", "live/a"]) == 0
    assert (root / "pxelinux.cfg/01-52-54-00-12-34-56").read_text() == "DEFAULT local\n"
    assert f"iseq ${{mac}} {MAC}" in (root / "menu.ipxe").read_text()   # the other menus still have it
    assert main(["menu", str(root), "--mac", MAC, "--forget"]) == 0
    assert (root / "pxelinux.cfg/01-52-54-00-12-34-56").read_text() == "DEFAULT local\n"
    assert main(["remove", str(root), "live/a"]) == 0
    assert (root / "pxelinux.cfg/01-52-54-00-12-34-56").read_text() == "DEFAULT local\n"


@pytest.mark.parametrize("argv, says", [
    (["--mac", "52:54:00:12:34"], "is not a MAC address"),
    (["--mac", MAC], "give either --default IMAGEDIR"),
    (["--forget"], "--forget needs --mac MAC"),
    (["--mac", MAC, "--default", "live/zz"], "holds no image live/zz"),
])
def test_a_bad_machine_choice_is_one_line_and_changes_nothing(tiny_iso, root, capsys, argv, says):
    _place(tiny_iso, root, "a")
    before = _tree_bytes(root)
    try:
        assert main(["menu", str(root), *argv]) != 0
    except SystemExit as exc:                               # argparse's refusal
        assert exc.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0]
    assert _tree_bytes(root) == before
