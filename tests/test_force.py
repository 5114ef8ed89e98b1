"""--force replaces only what livepxe wrote, and "never overwritten without --force" holds at the commit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from isofactory import make_iso

from livepxe.convert import ConvertOptions, convert
from livepxe.errors import LivepxeError
from livepxe.tree.layout import Layout
from livepxe.write import safefs
from livepxe.write.treewriter import TreeWriter


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "livepxe", "convert", "-q", *args], cwd=cwd, capture_output=True,
                          text=True)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("livepxe: error: "), proc.stderr
    return lines[0]


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_force_refuses_a_folder_livepxe_did_not_write(tiny_iso, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mine").write_text("x")
    line = one_line_error(cli(str(tiny_iso), "-o", "data", "--force", cwd=tmp_path))
    assert "data holds no livepxe.json (livepxe did not write it): --force replaces only a tree livepxe wrote" in line
    assert listing(tmp_path / "data") == ["mine"]


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_an_empty_output_folder_is_used(tiny_iso, tmp_path, force):
    # Issue 19 item 7: an empty -o folder (made for the tree) was refused, even with --force.
    (tmp_path / "t").mkdir()
    run = cli(str(tiny_iso), "-o", "t", "-q", *force, cwd=tmp_path)
    assert run.returncode == 0 and run.stderr == ""
    assert (tmp_path / "t" / "livepxe.json").is_file()


def test_an_empty_output_folder_filled_during_the_run_is_left_alone(tiny_iso, tmp_path, monkeypatch):
    import livepxe.write.execute as engine
    (tmp_path / "t").mkdir()
    real_write = engine.write_file

    def someone_else_fills_it(dest, *args, **kwargs):
        (tmp_path / "t" / "theirs").write_text("x")
        return real_write(dest, *args, **kwargs)

    monkeypatch.setattr(engine, "write_file", someone_else_fills_it)
    with pytest.raises(LivepxeError, match="t already exists and holds no livepxe.json"):
        convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", progress=False))
    assert listing(tmp_path / "t") == ["theirs"]


def test_force_refuses_the_folder_holding_the_iso(tiny_iso, tmp_path):
    before = listing(tmp_path)
    line = one_line_error(cli(tiny_iso.name, "-o", ".", "--force", cwd=tmp_path))
    assert f"{tmp_path} holds no livepxe.json" in line
    assert listing(tmp_path) == before


def test_force_refuses_a_tftp_root_with_images(tiny_iso, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    convert(ConvertOptions(iso=tiny_iso, tftproot=root, imagedir="live/a", bootfile="a", progress=False))
    before = listing(root)
    assert "root holds no livepxe.json" in one_line_error(cli(str(tiny_iso), "-o", "root", "--force", cwd=tmp_path))
    assert "is an image folder of a TFTP root" in one_line_error(
        cli(str(tiny_iso), "-o", "root/live/a", "--force", cwd=tmp_path))
    assert listing(root) == before


def test_force_refuses_a_tree_holding_the_iso(tiny_iso, tmp_path):
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", progress=False))
    os.rename(tiny_iso, tmp_path / "t" / tiny_iso.name)
    line = one_line_error(cli(f"t/{tiny_iso.name}", "-o", "t", "--force", cwd=tmp_path))
    assert "t holds the ISO being converted" in line
    assert (tmp_path / "t" / tiny_iso.name).is_file()


def test_force_refuses_a_link_to_a_tree(tiny_iso, tmp_path):
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", progress=False))
    (tmp_path / "link").symlink_to("t")
    assert "link is a symbolic link (to 't')" in one_line_error(
        cli(str(tiny_iso), "-o", "link", "--force", cwd=tmp_path))


def test_the_refusal_offers_force_only_for_livepxes_own_tree(tiny_iso, tmp_path):
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", progress=False))
    assert "already exists; remove it, choose another -o/--output, or pass --force to replace it" in one_line_error(
        cli(str(tiny_iso), "-o", "t", cwd=tmp_path))
    assert cli(str(tiny_iso), "-o", "t", "--force", cwd=tmp_path).returncode == 0


def test_integration_force_replaces_the_same_image_only(tiny_iso, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    for imagedir, bootfile in (("live/a", "a"), ("live/b", "b")):
        convert(ConvertOptions(iso=tiny_iso, tftproot=root, imagedir=imagedir, bootfile=bootfile, progress=False))
    again = cli(str(tiny_iso), "--tftproot", "root", "--imagedir", "live/a", "--bootfile", "a", cwd=tmp_path)
    assert "live/a/vmlinuz0 already exists; pass --force to replace it" in one_line_error(again)
    forced = ["--tftproot", "root", "--imagedir", "live/a", "--bootfile", "a", "--force"]
    assert cli(str(tiny_iso), *forced, cwd=tmp_path).returncode == 0
    other = cli(str(tiny_iso), "--tftproot", "root", "--imagedir", "live/a", "--bootfile", "b", "--force", cwd=tmp_path)
    line = one_line_error(other)
    assert "pxelinux.cfg/b already exists and" in line and "live/a/livepxe.json does not list it" in line
    assert "/live/b/" in (root / "pxelinux.cfg" / "b").read_text()


def test_a_folder_made_at_the_output_during_the_run_is_left_alone(tiny_iso, tmp_path, monkeypatch):
    import livepxe.write.execute as engine

    real_write = engine.write_file

    def someone_else_makes_it(dest, *args, **kwargs):
        (tmp_path / "t").mkdir(exist_ok=True)
        return real_write(dest, *args, **kwargs)

    monkeypatch.setattr(engine, "write_file", someone_else_makes_it)
    with pytest.raises(LivepxeError, match="t already exists and holds no livepxe.json"):  # checked again at commit
        convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", progress=False))
    assert listing(tmp_path / "t") == [] and sorted(p.name for p in tmp_path.iterdir()) == [tiny_iso.name, "t"]


@pytest.mark.parametrize("integrated", [False, True], ids=["self-contained", "integrated"])
def test_of_two_runs_staged_for_one_place_the_second_commit_fails(tmp_path, integrated):
    layout = Layout.integration(tmp_path, "live", "b") if integrated else Layout.self_contained(tmp_path / "t")
    first, second = TreeWriter(layout), TreeWriter(layout)
    for writer in (first, second):
        writer.check_targets(["live/f"])
    with first:
        first.path("live/f").write_text("first")
    with pytest.raises(LivepxeError, match="already exists and"):  # not written by a livepxe: the second run's note
        with second:
            second.path("live/f").write_text("second")
    where = tmp_path / "live" / "f" if integrated else tmp_path / "t" / "live" / "f"
    assert where.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.fixture
def bigger_iso(tmp_path: Path) -> Path:
    """Big enough (~24 MiB) that two runs started together overlap."""
    return make_iso(tmp_path / "Big.iso", squashfs_size=24 * 1024 * 1024)


def start(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "livepxe", "convert", "-q", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_runs_into_one_output_one_wins(bigger_iso, tmp_path):
    runs = [start(str(bigger_iso), "-o", "t", cwd=tmp_path) for _ in range(2)]
    results = sorted((run.wait(), run.stderr.read()) for run in runs)
    assert [status for status, _ in results] == [0, 1], results
    assert results[1][1].count("\n") == 1 and ("appeared while livepxe" in results[1][1]
                                                or "already exists" in results[1][1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Big.iso", "t"]


def test_runs_into_sibling_imagedirs_of_one_root_all_succeed(bigger_iso, tmp_path):
    for attempt in range(3):
        root = tmp_path / f"root{attempt}"
        root.mkdir()
        runs = [start(str(bigger_iso), "--tftproot", str(root), "--imagedir", f"live/{name}", "--bootfile", name,
                      cwd=tmp_path) for name in ("a", "b")]
        assert [(run.wait(), run.stderr.read()) for run in runs] == [(0, ""), (0, "")]
        assert sorted(p.name for p in root.iterdir()) == ["grub", "live", "menu.ipxe", "pxelinux.cfg"]
        menu = (root / "pxelinux.cfg/default").read_text()   # the later commit's menu names both images
        assert "CONFIG pxelinux.cfg/a" in menu and "CONFIG pxelinux.cfg/b" in menu, menu


@pytest.mark.parametrize("renameat2", [True, False], ids=["renameat2", "fallback"])
@pytest.mark.parametrize("kind", ["file", "folder"])
def test_rename_noreplace_never_replaces(tmp_path, monkeypatch, kind, renameat2):
    """The commit's last step: with renameat2(RENAME_NOREPLACE), or link / mkdir-claim where it is missing."""
    if not renameat2:
        monkeypatch.setattr(safefs, "_renameat2", None)
    fd = safefs.open_root(tmp_path)
    try:
        for name in ("a", "b", "taken"):
            (tmp_path / name).mkdir() if kind == "folder" else (tmp_path / name).write_text(name)
        safefs.rename_noreplace(fd, "a", fd, "new")
        with pytest.raises(FileExistsError):
            safefs.rename_noreplace(fd, "b", fd, "taken")
    finally:
        os.close(fd)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "new", "taken"]
    if kind == "file":
        assert (tmp_path / "new").read_text() == "a" and (tmp_path / "taken").read_text() == "taken"


def test_a_forced_commit_that_fails_puts_the_previous_image_back(tiny_iso, tmp_path, monkeypatch):
    """Kernel, initrd and pxelinux config were already replaced when the commit met a link at grub/: all taken back."""
    import livepxe.write.execute as engine

    root = tmp_path / "root"
    root.mkdir()
    convert(ConvertOptions(iso=tiny_iso, tftproot=root, imagedir="live", bootfile="b", progress=False))
    before = {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    real_write = engine.write_file

    def swap_grub_for_a_link(dest, *args, **kwargs):
        if not (root / "grub").is_symlink():
            os.rename(root / "grub", root / "grub.real")
            (root / "grub").symlink_to("grub.real")
        return real_write(dest, *args, **kwargs)

    monkeypatch.setattr(engine, "write_file", swap_grub_for_a_link)
    with pytest.raises(LivepxeError, match="grub is a symbolic link"):
        convert(ConvertOptions(iso=tiny_iso, tftproot=root, imagedir="live", bootfile="b", progress=False,
                               append="console=ttyS0", force=True))
    os.unlink(root / "grub")
    os.rename(root / "grub.real", root / "grub")
    assert {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []
