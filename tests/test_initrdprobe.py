"""Spotting initrds that cannot fetch an HTTP live root, on small dracut-shaped archives made here."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from livepxe.convert import ConvertOptions, convert
from livepxe.iso import initrdprobe
from livepxe.tree.verify import verify

pytestmark = pytest.mark.skipif(shutil.which("bsdtar") is None, reason="needs bsdtar (libarchive-tools)")


def initrd(dest: Path, files: list[str], early: bool = False, compress: str = "-z") -> Path:
    """A gzip'ed newc archive holding ``files`` (optionally after an uncompressed early cpio)."""
    main = dest.parent / (dest.name + ".d")
    for name in files:
        (main / name).parent.mkdir(parents=True, exist_ok=True)
        (main / name).write_text("x")
    data = b""
    if early:
        edir = dest.parent / (dest.name + ".early")
        (edir / "kernel/x86/microcode").mkdir(parents=True)
        (edir / "kernel/x86/microcode/GenuineIntel.bin").write_bytes(b"\1" * 1001)
        data = subprocess.run(["bsdtar", "--format", "newc", "-cf", "-", "-C", str(edir), "."],
                              check=True, capture_output=True).stdout
        data += b"\0" * (-len(data) % 4)
    data += subprocess.run(["bsdtar", "--format", "newc", compress, "-cf", "-", "-C", str(main), "."],
                           check=True, capture_output=True).stdout
    dest.write_bytes(data)
    return dest


GOOD = ["usr/sbin/livenetroot", "usr/sbin/ifup", "usr/lib/systemd/systemd-networkd", "init"]


@pytest.mark.parametrize("early", [False, True])
@pytest.mark.parametrize("compress", ["-z", "-J"])
def test_livenet_with_a_netroot_handler_passes(tmp_path, early, compress):
    path = initrd(tmp_path / "i.img", GOOD, early, compress)
    assert "usr/sbin/livenetroot" in initrdprobe.file_names(path)
    assert initrdprobe.http_root_problems(path) == []


def test_an_early_cpio_is_skipped_to_reach_the_main_archive(tmp_path):
    path = initrd(tmp_path / "i.img", GOOD, early=True)
    assert initrdprobe.main_archive_offset(path) > 1001
    assert "kernel/x86/microcode/GenuineIntel.bin" not in initrdprobe.file_names(path)


def test_no_livenet_is_named(tmp_path):
    path = initrd(tmp_path / "i.img", ["usr/sbin/ifup", "init"], early=True)
    assert "no dracut livenet module" in initrdprobe.http_root_problems(path)[0]


def test_systemd_networkd_alone_is_named(tmp_path):
    path = initrd(tmp_path / "i.img", ["usr/sbin/livenetroot", "usr/lib/systemd/systemd-networkd", "init"])
    assert "systemd-networkd only" in initrdprobe.http_root_problems(path)[0]


def test_an_unreadable_initrd_makes_no_claim(tmp_path):
    path = tmp_path / "random.img"
    path.write_bytes(bytes(range(256)) * 64)
    assert initrdprobe.file_names(path) is None and initrdprobe.http_root_problems(path) == []


def test_verify_fails_an_http_tree_whose_initrd_cannot_download(tiny_iso, tmp_path):
    tree = convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", progress=False,
                                  http_url="http://192.0.2.1/")).root
    assert verify(tree).ok  # the tiny ISO's initrd is random bytes: nothing to claim
    before = hashlib.sha256((tree / "initrd0.img").read_bytes()).hexdigest()
    initrd(tmp_path / "bad.img", ["usr/sbin/ifup", "init"]).replace(tree / "initrd0.img")
    after = hashlib.sha256((tree / "initrd0.img").read_bytes()).hexdigest()
    sums = tree / "SHA256SUMS"
    sums.write_text(sums.read_text().replace(before, after))
    problems = verify(tree).problems
    assert problems and all("no dracut livenet module" in p for p in problems)


def test_convert_warns_when_the_isos_initrd_cannot_download(tiny_iso, tmp_path):
    iso = tmp_path / "NoLivenet.iso"
    bad = initrd(tmp_path / "bad.img", ["usr/sbin/ifup", "usr/sbin/dmsquash-live-root", "init"], early=True)
    subprocess.run(["xorriso", "-indev", str(tiny_iso), "-outdev", str(iso), "-boot_image", "any", "keep",
                    "-update", str(bad), "/images/pxeboot/initrd0.img"], check=True, capture_output=True)
    result = convert(ConvertOptions(iso=iso, output=tmp_path / "t", progress=False, http_url="http://192.0.2.1/"))
    assert [w for w in result.warnings if "no dracut livenet module" in w]
    bundled = convert(ConvertOptions(iso=iso, output=tmp_path / "b", progress=False))
    assert not [w for w in bundled.warnings if "livenet" in w]  # only HTTP mode needs livenet
