"""Which files each firmware's client boots from a tree, and how much RAM its guest gets, without QEMU."""

from __future__ import annotations

import os

import pytest

from livepxe.boottest.tree import Route, locate
from livepxe.errors import LivepxeError
from livepxe.tree import ram
from tests.boottest import trees


def test_self_contained_tree_boots_its_own_loaders(tiny_iso, tmp_path):
    tree = locate(trees.self_contained(tiny_iso, tmp_path / "t"))
    assert tree.root == tmp_path / "t" and tree.note is not None
    assert tree.route("bios") == Route("bios", "pxelinux.0", "pxelinux.cfg/default")
    assert tree.route("ipxe") == Route("ipxe", "boot.ipxe", "boot.ipxe")
    uefi = tree.route("uefi")
    if tree.note.boot_files.uefi:
        assert uefi == Route("uefi", "bootx64.efi", "grub/grub.cfg")
    else:
        assert uefi.missing == "the tree has no UEFI loaders (shim/GRUB): convert it on a host that has them"
    assert tree.kernel(tree.route("bios")) == tmp_path / "t/vmlinuz0"


def test_integrated_image_folder_boots_the_roots_loaders_with_its_own_configs(tiny_iso, tmp_path):
    tree = locate(trees.integrated(tiny_iso, tmp_path / "root"))
    assert tree.root == tmp_path / "root" and tree.note is not None and tree.note.integrated
    assert tree.route("bios") == Route("bios", "pxelinux.0", "pxelinux.cfg/live.f41")
    assert tree.route("uefi") == Route("uefi", "bootx64.efi", "grub/live.f41.cfg")
    assert tree.route("ipxe") == Route("ipxe", "live/f41/boot.ipxe", "live/f41/boot.ipxe")
    assert tree.kernel(tree.route("bios")) == tmp_path / "root/live/f41/vmlinuz0"


def test_a_root_without_loaders_says_which_it_lacks(tiny_iso, tmp_path):
    tree = locate(trees.integrated(tiny_iso, tmp_path / "root", loaders=False))
    root = tmp_path / "root"
    assert tree.route("bios").missing == (f"the TFTP root {root} has no BIOS loader (pxelinux.0 or lpxelinux.0); "
                                          "name one with --loader")
    assert "has no UEFI loader (bootx64.efi or shimx64.efi or grubnetx64.efi or grubx64.efi)" \
        in tree.route("uefi").missing
    assert not tree.route("ipxe").missing  # QEMU's NIC ROM is the iPXE loader


def test_the_tftp_root_finds_its_one_integrated_image(tiny_iso, tmp_path):
    trees.integrated(tiny_iso, tmp_path / "root")
    tree = locate(tmp_path / "root")
    assert tree.root == tmp_path / "root" and tree.note is not None and tree.note.image_dir == "live/f41"
    assert tree.route("bios") == Route("bios", "pxelinux.0", "pxelinux.cfg/live.f41")


def test_a_tftp_root_with_two_images_needs_config_or_the_image_folder(tiny_iso, tmp_path):
    root = tmp_path / "root"
    trees.integrated(tiny_iso, root)
    trees.integrated(tiny_iso, root, image_dir="live/f42", bootfile="live.f42")
    with pytest.raises(LivepxeError, match=r"several livepxe images \(live/f41, live/f42\): give the image's "
                                           r"folder, e.g. .*root/live/f41"):
        locate(root)
    picked = locate(root, config="live.f42")
    assert picked.note is not None and picked.note.image_dir == "live/f42"
    assert picked.route("bios", config="live.f42") == Route("bios", "pxelinux.0", "pxelinux.cfg/live.f42")


def test_config_and_bootfile_override_and_must_exist(tiny_iso, tmp_path):
    tree = locate(trees.integrated(tiny_iso, tmp_path / "root"))
    assert tree.route("bios", config="default") == Route("bios", "pxelinux.0", "pxelinux.cfg/default")
    assert tree.route("uefi", bootfile="grubx64.efi").bootfile == "grubx64.efi"
    with pytest.raises(LivepxeError, match="no config pxelinux.cfg/nope under the TFTP root"):
        tree.route("bios", config="nope")
    with pytest.raises(LivepxeError, match="no boot file lpxelinux.0 under the TFTP root"):
        tree.route("bios", bootfile="lpxelinux.0")
    with pytest.raises(LivepxeError, match="config ../root/pxelinux.cfg/default is outside the TFTP root"):
        tree.route("bios", config="../root/pxelinux.cfg/default")


def test_hand_made_tree_is_read_from_its_config(tmp_path):
    tree = locate(trees.hand_made(tmp_path / "t", "live.devel"))
    route = tree.route("bios")
    assert tree.note is None and route == Route("bios", "pxelinux.0", "pxelinux.cfg/live.devel")
    assert tree.kernel(route) == tmp_path / "t/img/vmlinuz0"
    assert tree.initrd_bytes(route) == 100
    assert tree.route("uefi").missing and tree.route("ipxe").missing


def test_hand_made_tree_with_several_configs_needs_one_chosen(tmp_path):
    root = trees.hand_made(tmp_path / "t", "a")
    (root / "pxelinux.cfg/b").write_text(trees.HAND_MADE)
    with pytest.raises(LivepxeError, match=r"several configs \(a, b\): choose one with --config"):
        locate(root).route("bios")
    assert locate(root).route("bios", config="b").config == "pxelinux.cfg/b"


def test_not_a_folder(tmp_path):
    with pytest.raises(LivepxeError, match="nope is not a folder"):
        locate(tmp_path / "nope")


# --- the one RAM rule: the note's client RAM for the tree's mode, else a bound from the initrds ---

def test_guest_ram_follows_the_notes_client_ram_for_the_trees_mode(tiny_iso, tmp_path):
    folder = trees.self_contained(tiny_iso, tmp_path / "t")
    trees.set_note(folder, client_ram_mib={"bundled": 3000, "http": 1500})
    tree = locate(folder)
    assert tree.client_mib(tree.route("bios")) == 3000
    trees.set_note(folder, mode="http")
    assert locate(folder).client_mib(tree.route("bios")) == 1500


def test_guest_ram_of_a_tree_without_a_note_bounds_any_split_of_its_initrds(tmp_path):
    root = trees.hand_made(tmp_path / "t")
    os.truncate(root / "img/initrd0.img", 300 << 20)  # sparse
    tree = locate(root)
    assert tree.client_mib(tree.route("bios")) == ram.unknown_split_mib(300 << 20) == 1344
