"""A shared TFTP root is walked, not trusted: a planted link or a file in the way is refused, nothing written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from livepxe.convert import ConvertOptions, convert
from livepxe.errors import LivepxeError
from livepxe.write import safefs


def snapshot(*folders: Path) -> dict[str, str]:
    """Every entry under ``folders`` (links as their target, not followed), to compare before and after."""
    found = {}
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            found[str(path)] = f"-> {os.readlink(path)}" if path.is_symlink() else (
                "dir" if path.is_dir() else path.read_bytes().hex())
    return found


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A TFTP root with another image's files, beside a folder a planted link could point at."""
    (tmp_path / "elsewhere").mkdir()
    tftp = tmp_path / "tftpboot"
    (tftp / "pxelinux.cfg").mkdir(parents=True)
    (tftp / "pxelinux.cfg" / "default").write_text("DEFAULT other\n")
    (tftp / "other").mkdir()
    (tftp / "other" / "vmlinuz0").write_bytes(b"other kernel")
    return tftp


def integrate(iso: Path, root: Path, imagedir: str = "live/x", force: bool = False) -> None:
    convert(ConvertOptions(iso=iso, tftproot=root, imagedir=imagedir, bootfile="live-x", progress=False, force=force))


@pytest.mark.parametrize("planted, target, refused", [
    ("live", "../elsewhere", "live is a symbolic link (to '../elsewhere')"),
    ("live/x", "../../elsewhere", "live/x is a symbolic link (to '../../elsewhere')"),
    ("pxelinux.cfg", "../elsewhere", "pxelinux.cfg is a symbolic link (to '../elsewhere')"),
    ("grub", "../elsewhere", "grub is a symbolic link (to '../elsewhere')"),
    ("pxelinux.cfg/live-x", "../../elsewhere/f", "pxelinux.cfg/live-x is a symbolic link (to '../../elsewhere/f')"),
    ("live/x/vmlinuz0", "/etc/hostname", "live/x/vmlinuz0 is a symbolic link (to '/etc/hostname')"),
], ids=["imagedir-parent", "imagedir", "pxelinux.cfg", "grub", "config-file", "kernel-file"])
@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_a_planted_link_is_refused_and_nothing_is_written(tiny_iso, root, planted, target, refused, force):
    shutil.rmtree(root / planted, ignore_errors=True)  # pxelinux.cfg/ is a real folder of the root until now
    (root / planted).parent.mkdir(parents=True, exist_ok=True)
    (root / planted).symlink_to(target)
    before = snapshot(root, root.parent / "elsewhere")
    with pytest.raises(LivepxeError) as caught:
        integrate(tiny_iso, root, force=force)
    message = str(caught.value)
    assert f"{root}/{refused}" in message and "\n" not in message
    assert snapshot(root, root.parent / "elsewhere") == before


@pytest.mark.parametrize("planted", ["live", "grub"])
def test_a_file_where_a_folder_goes_is_named(tiny_iso, root, planted):
    (root / planted).write_text("not a folder")
    with pytest.raises(LivepxeError, match=f"{root}/{planted} is a file, not a folder; .*replace it by a real folder"):
        integrate(tiny_iso, root)


def test_a_link_planted_during_the_run_is_refused_at_the_commit(tiny_iso, root, monkeypatch):
    """The preflight saw a real folder; the commit walks again and takes back what it had already placed."""
    import livepxe.write.execute as engine

    real_write = engine.write_file

    def plant_then_write(dest, *args, **kwargs):
        if not (root / "grub").is_symlink():
            (root / "grub").symlink_to("../elsewhere")
        return real_write(dest, *args, **kwargs)

    monkeypatch.setattr(engine, "write_file", plant_then_write)
    before = snapshot(root.parent / "elsewhere")
    with pytest.raises(LivepxeError, match="grub is a symbolic link"):
        integrate(tiny_iso, root)
    assert snapshot(root.parent / "elsewhere") == before
    assert sorted(p.name for p in root.iterdir()) == ["grub", "other", "pxelinux.cfg"]
    assert not (root / "pxelinux.cfg" / "live-x").exists()


def test_a_planted_staging_link_is_neither_followed_nor_removed(tiny_iso, root):
    (root / ".livepxe-planted").symlink_to("../elsewhere")
    (root.parent / "elsewhere" / "keep").write_text("x")
    integrate(tiny_iso, root)
    assert (root / ".livepxe-planted").is_symlink() and (root.parent / "elsewhere" / "keep").read_text() == "x"


def test_everything_written_is_inside_the_root(tiny_iso, root):
    before = snapshot(root.parent / "elsewhere")
    integrate(tiny_iso, root)
    assert snapshot(root.parent / "elsewhere") == before
    assert (root / "live" / "x" / "vmlinuz0").is_file() and not (root / "live").is_symlink()
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []


def test_a_folder_another_run_makes_at_the_same_moment_is_used(tmp_path, monkeypatch):
    """Two runs into sibling imagedirs both make live/: the one whose mkdir comes second uses the first's."""
    real_mkdir = os.mkdir

    def other_run_first(path, mode=0o777, *, dir_fd=None):
        real_mkdir(path, mode, dir_fd=dir_fd)  # the other run's mkdir lands between our open and ours
        real_mkdir(path, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "mkdir", other_run_first)
    root_fd = safefs.open_root(tmp_path)
    made: list[str] = []
    try:
        fd = safefs.open_below(root_fd, tmp_path, "live/b", "hint", made)
        assert fd is not None
        os.close(fd)
    finally:
        os.close(root_fd)
    assert (tmp_path / "live" / "b").is_dir() and made == []
