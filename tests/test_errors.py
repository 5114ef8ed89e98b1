"""Every bad input: one line on stderr naming the problem, a non-zero exit, nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pycdlib
import pytest
from isofactory import make_iso

import livepxe
from livepxe import cli


def run(*args: str, cwd: Path, user: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "livepxe", "convert", *args]
    if user:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "/usr/bin/env", "-i",
                   f"PYTHONPATH={env['PYTHONPATH']}", "/usr/bin/python3", "-m", "livepxe", "convert", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True)


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode != 0, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("livepxe: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def nothing_written(directory: Path, expected: set[str]) -> bool:
    return {p.name for p in directory.iterdir()} == expected


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def test_missing_iso(workdir):
    assert_one_line_error(run("nope.iso", cwd=workdir), "nope.iso: no such file")
    assert nothing_written(workdir, set())


def test_control_characters_in_a_name_do_not_break_the_line(workdir):
    assert_one_line_error(run("evil\nlivepxe: done\x1b[2J.iso", cwd=workdir), "evil\\nlivepxe: done\\x1b[2J.iso")


def test_not_an_iso(workdir):
    (workdir / "x.iso").write_bytes(os.urandom(100_000))
    assert_one_line_error(run("x.iso", cwd=workdir), "is not an ISO 9660 image")
    assert nothing_written(workdir, {"x.iso"})


def test_directory_instead_of_iso(workdir):
    (workdir / "d.iso").mkdir()
    assert_one_line_error(run("d.iso", cwd=workdir), "is a directory")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_device_is_refused_before_it_is_read(workdir, kind):
    """A FIFO with no writer would block the open for ever; a device would be read to its end."""
    if kind == "fifo":
        os.mkfifo(workdir / "x.iso")
        iso, expected = str(workdir / "x.iso"), "is a FIFO"
    else:
        iso, expected = "/dev/zero", "is a character device"
    proc = subprocess.run([sys.executable, "-m", "livepxe", "convert", iso], cwd=workdir, capture_output=True,
                          text=True, timeout=30)
    assert_one_line_error(proc, expected, "give the path of a live ISO file")
    assert nothing_written(workdir, {"x.iso"} if kind == "fifo" else set())


def _patch_record(iso: Path, name: bytes, field: int, value: int) -> None:
    """Set a both-endian 32-bit field (2: extent, 10: length) of the directory record named ``name``."""
    data = bytearray(iso.read_bytes())
    at = data.find(name)
    while at > 0 and data[at - 1] != len(name):  # a record has the name length just before it; a path table not
        at = data.find(name, at + 1)
    assert at > 0
    record = at - 33
    data[record + field:record + field + 8] = value.to_bytes(4, "little") + value.to_bytes(4, "big")
    iso.write_bytes(bytes(data))


@pytest.mark.parametrize("name", [b"SQUASHFS.IMG;1", b"VMLINUZ0.;1"])
@pytest.mark.parametrize("field, value", [(2, 0xFFFFFFF0), (2, 0x7FFFFFF), (10, 0x7FFFFFF0)],
                         ids=["extent-wraps", "extent-past-end", "length-past-end"])
def test_an_extent_outside_the_file_is_refused(workdir, name, field, value):
    """pycdlib cuts such a file at the end of the image (to a negative length if it starts beyond it)."""
    iso = make_iso(workdir / "e.iso", name_trees=("--norock",))
    _patch_record(iso, name, field, value)
    assert_one_line_error(run("e.iso", cwd=workdir), "e.iso is truncated or damaged",
                          name.decode().split(";")[0].rstrip("."), "runs past the end of the file")
    assert nothing_written(workdir, {"e.iso"})


def test_a_folder_loop_is_refused_not_walked_for_ever(workdir):
    """pycdlib 1.15 (Python 3.9's) walks a folder pointing back at the root until killed."""
    iso = make_iso(workdir / "l.iso", name_trees=("--norock",))
    root_extent = int.from_bytes(iso.read_bytes()[16 * 2048 + 158:16 * 2048 + 162], "little")
    _patch_record(iso, b"LIVEOS", 2, root_extent)
    proc = subprocess.run([sys.executable, "-m", "livepxe", "convert", "l.iso"], cwd=workdir, capture_output=True,
                          text=True, timeout=60)
    assert_one_line_error(proc, "l.iso is a damaged ISO 9660 image: folder /LIVEOS/ is reached twice")


def test_a_folder_claiming_gigabytes_is_refused_before_it_is_read(workdir):
    iso = make_iso(workdir / "g.iso", name_trees=("--norock",))
    _patch_record(iso, b"LIVEOS", 10, 0xFFFFFFFF)
    assert_one_line_error(run("g.iso", cwd=workdir), "g.iso is a damaged ISO 9660 image: folder /LIVEOS/",
                          "4294967295 bytes) lies past the end of the file")


def test_truncated_iso(workdir):
    iso = make_iso(workdir / "t.iso")
    with open(iso, "r+b") as stream:
        stream.truncate(iso.stat().st_size * 8 // 10)
    assert_one_line_error(run("t.iso", cwd=workdir), "t.iso is truncated", "copy or download it again")
    assert nothing_written(workdir, {"t.iso"})


def test_iso_that_is_not_a_live_image(workdir):
    make_iso(workdir / "plain.iso", liveos=None)
    assert_one_line_error(run("plain.iso", cwd=workdir), "is not a live image", "LiveOS/squashfs.img")


def test_rootfs_img_is_accepted_as_a_live_image(workdir):
    make_iso(workdir / "r.iso", liveos="rootfs.img")
    assert run("r.iso", "-q", cwd=workdir).returncode == 0


def test_iso_without_kernel(workdir):
    tree = workdir / "tree"
    (tree / "LiveOS").mkdir(parents=True)
    (tree / "LiveOS" / "squashfs.img").write_bytes(b"x" * 4096)
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-V", "L", "-o", str(workdir / "k.iso"), str(tree)],
                   check=True)
    assert_one_line_error(run("k.iso", cwd=workdir), "holds no kernel", "images/pxeboot")


def test_output_exists(workdir, tiny_iso):
    """A folder livepxe did not write: --force would not replace it either, so the refusal does not offer it."""
    (workdir / "tftpboot").mkdir()
    (workdir / "tftpboot" / "keep").write_text("mine")
    proc = run(str(tiny_iso), cwd=workdir)
    assert_one_line_error(proc, "tftpboot already exists and holds no livepxe.json", "choose another -o/--output")
    assert "--force" not in proc.stderr
    assert (workdir / "tftpboot" / "keep").read_text() == "mine"


@pytest.mark.parametrize("imagedir, message", [("/live/x", "is absolute"), ("live/../x", "no '..'")])
def test_bad_imagedir(workdir, tiny_iso, imagedir, message):
    (workdir / "root").mkdir()
    proc = run(str(tiny_iso), "--tftproot", "root", "--imagedir", imagedir, "--bootfile", "b", cwd=workdir)
    assert_one_line_error(proc, "--imagedir", message)
    assert nothing_written(workdir / "root", set())


def test_incomplete_integration_options(workdir, tiny_iso):
    assert_one_line_error(run(str(tiny_iso), "--tftproot", ".", cwd=workdir), "needs all of --tftproot, --imagedir")


def test_missing_tftp_root(workdir, tiny_iso):
    proc = run(str(tiny_iso), "--tftproot", "nope", "--imagedir", "a", "--bootfile", "b", cwd=workdir)
    assert_one_line_error(proc, "TFTP root", "does not exist")


def test_iso_of_4_gib_or_more(workdir):
    with open(workdir / "big.iso", "wb") as stream:  # sparse: costs no disk
        stream.truncate(4 * 1024 ** 3)
    assert_one_line_error(run("big.iso", cwd=workdir), "4.00 GiB", "under 4 GiB", "--payload liveos")
    assert nothing_written(workdir, {"big.iso"})


def test_unsafe_iso_name_is_carried_under_a_safe_one(workdir):
    make_iso(workdir / "My Live (test).iso")
    proc = run("My Live (test).iso", "-o", "out", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "livepxe: warning: 'My Live (test).iso' cannot appear in a boot config; "
        "the initramfs carries it as My-Live-test.iso"]
    assert "root=live:/My-Live-test.iso " in (workdir / "out" / "pxelinux.cfg" / "default").read_text()


def test_interrupt_leaves_nothing_behind(workdir, tiny_iso, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("livepxe.write.execute.write_file", interrupted)
    assert cli.main(["convert", str(tiny_iso), "-o", str(workdir / "out")]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert nothing_written(workdir, {tiny_iso.name})


# --- as an ordinary user --------------------------------------------------------------------------

@pytest.fixture
def user_sandbox():
    """A world-accessible folder with livepxe + pycdlib importable by user nobody (65534)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root (to switch to user nobody (65534)) and setpriv")
    base = Path(tempfile.mkdtemp(prefix="livepxe-user-"))
    os.chmod(base, 0o755)
    lib = base / "lib"
    for package in (livepxe, pycdlib):
        shutil.copytree(Path(package.__file__).parent, lib / package.__name__,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for path in [lib, *lib.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    work = base / "work"
    work.mkdir()
    os.chown(work, 65534, 65534)
    yield work, {"PYTHONPATH": str(lib)}
    shutil.rmtree(base)


def test_converts_as_an_ordinary_user(user_sandbox):
    work, env = user_sandbox
    iso = make_iso(work.parent / "Live.iso")
    os.chmod(iso, 0o644)
    proc = run(str(iso), "-o", "tree", cwd=work, user="65534", env=env)
    assert proc.returncode == 0, proc.stderr
    assert (work / "tree" / "initrd0.img").stat().st_uid != 0
    assert "client RAM needed" in proc.stdout


def test_unreadable_iso_as_an_ordinary_user(user_sandbox):
    work, env = user_sandbox
    iso = make_iso(work.parent / "Secret.iso")
    os.chmod(iso, 0o600)
    assert_one_line_error(run(str(iso), cwd=work, user="65534", env=env), "permission denied")


def test_unwritable_destination_as_an_ordinary_user(user_sandbox):
    work, env = user_sandbox
    iso = make_iso(work.parent / "Live.iso")
    os.chmod(iso, 0o644)
    proc = run(str(iso), "-o", str(work.parent / "tree"), cwd=work, user="65534", env=env)
    assert_one_line_error(proc, "is not writable by this user")
    assert not (work.parent / "tree").exists()
