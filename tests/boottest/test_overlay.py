"""The serial-console overlay: links to the tree, real copies only of the configs the test client reads."""

from __future__ import annotations

from livepxe.boottest import overlay
from livepxe.boottest.tree import MODES, locate
from tests.boottest import trees

MAC_CONFIG = "pxelinux.cfg/01-52-54-00-12-34-56"
CONSOLE = "console=ttyS0,115200 systemd.show_status=1"


def kernel_lines(text: str, keyword: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip().startswith(keyword)]


def test_self_contained_tree_gets_console_copies_and_links_to_the_rest(tiny_iso, tmp_path):
    folder = trees.self_contained(tiny_iso, tmp_path / "t")
    before = trees.snapshot(folder)
    tree = locate(folder)
    routes = [r for r in (tree.route(m) for m in MODES) if not r.missing]
    built = overlay.build(tree.root, tmp_path / "o", routes, "52:54:00:12:34:56")
    o = built.root
    assert built.added == overlay.CONSOLE_ARGS
    routed = (o / MAC_CONFIG).read_text()
    assert not (o / MAC_CONFIG).is_symlink()
    assert kernel_lines(routed, "APPEND") == [
        kernel_lines((folder / "pxelinux.cfg/default").read_text(), "APPEND")[0] + " " + CONSOLE]
    assert (o / "pxelinux.cfg/default").resolve() == folder / "pxelinux.cfg/default"  # the tree's own, linked
    ipxe = kernel_lines((o / "boot.ipxe").read_text(), "kernel")
    assert ipxe and all(line.endswith(CONSOLE) for line in ipxe) and not (o / "boot.ipxe").is_symlink()
    if any(r.mode == "uefi" for r in routes):
        for config in ("grub/grub.cfg", "grub.cfg"):  # where Debian's and Fedora's GRUB read
            linux = kernel_lines((o / config).read_text(), "linux ")
            assert linux and all(line.endswith(CONSOLE) for line in linux)
    for name in ("initrd0.img", "vmlinuz0", "pxelinux.0", "dhcp"):
        assert (o / name).is_symlink() and (o / name).resolve() == folder / name
    assert trees.snapshot(folder) == before  # the tree is untouched


def test_integrated_image_is_routed_to_the_test_client_through_the_roots_loaders(tiny_iso, tmp_path):
    root = tmp_path / "root"
    tree = locate(trees.integrated(tiny_iso, root))
    before = trees.snapshot(root)
    built = overlay.build(tree.root, tmp_path / "o", [tree.route(m) for m in MODES], "52:54:00:12:34:56")
    o = built.root
    image_pxelinux = (root / "pxelinux.cfg/live.f41").read_text()
    assert (o / MAC_CONFIG).read_text() == image_pxelinux.replace("rd.luks=0", f"rd.luks=0 {CONSOLE}")
    assert (o / "pxelinux.cfg/default").read_text() == trees.ADMIN_DEFAULT  # other clients: the admin's
    grub = (o / "grub/grub.cfg").read_text()
    assert "linux /live/f41/vmlinuz0 " in grub and kernel_lines(grub, "linux")[0].endswith(CONSOLE)
    assert (o / "grub.cfg").read_text() == grub  # beside bootx64.efi, for a GRUB that reads there
    assert kernel_lines((o / "live/f41/boot.ipxe").read_text(), "kernel")[0].endswith(CONSOLE)
    assert (o / "live/f41/initrd0.img").is_symlink() and (o / "pxelinux.0").is_symlink()
    assert built.copies == {MAC_CONFIG: "pxelinux.cfg/live.f41", "grub/grub.cfg": "grub/live.f41.cfg",
                            "grub.cfg": "grub/live.f41.cfg", "live/f41/boot.ipxe": "live/f41/boot.ipxe"}
    assert trees.snapshot(root) == before


def test_only_the_modes_booted_get_copies(tiny_iso, tmp_path):
    tree = locate(trees.integrated(tiny_iso, tmp_path / "root"))
    built = overlay.build(tree.root, tmp_path / "o", [tree.route("bios")], "52:54:00:AA:BB:CC")
    assert list(built.copies) == ["pxelinux.cfg/01-52-54-00-aa-bb-cc"]
    assert (built.root / "grub").is_symlink() and (built.root / "live").is_symlink()


def test_a_config_with_the_console_already_gains_nothing(tmp_path):
    root = trees.hand_made(tmp_path / "t")
    config = root / "pxelinux.cfg/default"
    config.write_text(config.read_text().replace("quiet", f"quiet {CONSOLE}"))
    tree = locate(root)
    built = overlay.build(tree.root, tmp_path / "o", [tree.route("bios")], "52:54:00:12:34:56")
    assert built.added == ()
    assert (built.root / MAC_CONFIG).read_text() == config.read_text()
