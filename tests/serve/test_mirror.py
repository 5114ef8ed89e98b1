"""The one TFTP-root mirror (`serve.mirror`) that `serve` and the boot harness build: its rule, tested once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from livepxe.serve import mirror


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "grub").mkdir(parents=True)
    (root / "grub" / "grub.cfg").write_text("the tree's\n")
    (root / "grub" / "font.pf2").write_text("font\n")
    (root / "vmlinuz0").write_text("kernel\n")
    return root


def test_every_other_entry_is_a_link_and_folders_of_ours_are_filled_one_level_down(tree, tmp_path):
    built = mirror.build(tree, tmp_path / "m", mirror.write_texts({"grub/grub.cfg": "ours\n", "loader": "x"}))
    assert (built / "grub" / "grub.cfg").read_text() == "ours\n" and not (built / "grub" / "grub.cfg").is_symlink()
    assert (tree / "grub" / "grub.cfg").read_text() == "the tree's\n"
    assert os.readlink(built / "vmlinuz0") == str(tree / "vmlinuz0")
    assert os.readlink(built / "grub" / "font.pf2") == str(tree / "grub" / "font.pf2")
    assert sorted(p.name for p in built.iterdir()) == ["grub", "loader", "vmlinuz0"]


def test_a_link_the_tree_plants_under_our_name_is_neither_written_through_nor_entered(tree, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tree / "loader").symlink_to(outside / "loader")        # a hostile tree names our file
    (tree / "pxelinux.cfg").symlink_to(outside)              # and our folder
    built = mirror.build(tree, tmp_path / "m", mirror.write_texts({"loader": "ours", "pxelinux.cfg/default": "d"}))
    assert not (outside / "loader").exists() and list(outside.iterdir()) == []
    assert (built / "loader").read_text() == "ours" and not (built / "loader").is_symlink()
    assert sorted(p.name for p in (built / "pxelinux.cfg").iterdir()) == ["default"]


def test_it_is_built_only_into_a_new_folder(tree, tmp_path):
    existing = tmp_path / "m"
    existing.mkdir()
    (existing / "loader").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(FileExistsError):
        mirror.build(tree, existing, mirror.write_texts({"loader": "ours"}))
    assert not (tmp_path / "elsewhere").exists()
