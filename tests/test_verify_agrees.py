"""`livepxe verify` agrees with `convert`: every tree convert writes passes, every kind of damage fails.

The trees are written by the real engine from a real (tiny) ISO; damage is
done to the bytes on disk, and GRUB's own parser is the judge of grub.cfg.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from livepxe.convert import ConvertOptions, convert
from livepxe.tree.verify import verify

URL = "http://198.18.0.1/live/"

#: Each option set convert accepts (compression needs its program).
VARIANTS = [
    dict(),
    dict(initrd_mode="separate"),
    dict(payload="liveos"),
    dict(payload="liveos", initrd_mode="separate"),
    dict(compress="gzip"),
    dict(compress="xz"),
    dict(compress="zstd"),
    dict(compress="gzip", initrd_mode="separate"),
    dict(compress="zstd", payload="liveos"),
    dict(checksums=False),
    dict(checksums=False, compress="xz"),
    dict(http_url=URL),
    dict(http_url=URL + "elsewhere.iso"),
    dict(http_url=URL, checksums=False),
]


def _needs(variant: dict) -> None:
    tool = variant.get("compress")
    if tool and shutil.which(tool) is None:
        pytest.skip(f"--compress {tool} needs '{tool}' (Debian package {'xz-utils' if tool == 'xz' else tool})")


def _write(iso: Path, tmp_path: Path, integrated: bool, **variant) -> Path:
    """Convert; return the folder verify is given (the tree, or the image folder of an integrated one)."""
    if integrated:
        root = tmp_path / "tftproot"
        root.mkdir()
        (root / "other-image").mkdir()
        convert(ConvertOptions(iso=iso, tftproot=root, imagedir="live/f41", bootfile="live.f41", progress=False,
                               **variant))
        return root / "live" / "f41"
    convert(ConvertOptions(iso=iso, output=tmp_path / "tree", progress=False, **variant))
    return tmp_path / "tree"


def _root(folder: Path) -> Path:
    note = json.loads((folder / "livepxe.json").read_text())
    return folder.parents[len(Path(note["image_dir"]).parts) - 1] if note["image_dir"] else folder


@pytest.mark.parametrize("integrated", [False, True], ids=["self-contained", "integrated"])
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: ",".join(f"{k}={v[k]}" for k in v) or "default")
def test_every_tree_convert_writes_verifies(tiny_iso, tmp_path, variant, integrated):
    _needs(variant)
    folder = _write(tiny_iso, tmp_path, integrated, **variant)
    report = verify(folder)
    assert report.ok, report.problems
    if not variant.get("http_url"):
        assert any("root=live:/Fedora-Tiny-Live.iso is carried by" in line for line in report.checked)


def _carried_iso_offset(folder: Path) -> tuple[Path, int, str]:
    """The file carrying the ISO's archive, where the archive starts, and its compression."""
    note = json.loads((folder / "livepxe.json").read_text())
    ((relpath, offset),) = [item for item in note["carried_archives"].items() if item[0].endswith(("0.img",))][:1]
    return _root(folder) / relpath, offset, note["compress"]


def _flip(path: Path, at: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(at)
        byte = fh.read(1)
        fh.seek(at)
        fh.write(bytes([byte[0] ^ 0x01]))


@pytest.mark.parametrize("compress", ["none", "gzip", "xz", "zstd"])
@pytest.mark.parametrize("where", ["iso-start", "pvd", "middle", "last-byte"])
def test_a_flipped_byte_in_the_carried_iso_fails(tiny_iso, tmp_path, compress, where):
    _needs(dict(compress=compress) if compress != "none" else {})
    folder = _write(tiny_iso, tmp_path, False, compress=compress)
    path, offset, _ = _carried_iso_offset(folder)
    archive_end = path.stat().st_size
    header = 112 + len("Fedora-Tiny-Live.iso")  # newc header + name, 4-aligned
    iso_size = tiny_iso.stat().st_size
    if compress == "none":
        start = offset + header + (-(offset + header) % 4)
        at = {"iso-start": start, "pvd": start + 16 * 2048 + 1, "middle": start + iso_size // 2,
              "last-byte": start + iso_size - 1}[where]
    else:  # somewhere in the compressed stream
        at = {"iso-start": offset + 20, "pvd": offset + (archive_end - offset) // 4,
              "middle": offset + (archive_end - offset) // 2, "last-byte": archive_end - 12}[where]
    _flip(path, at)
    report = verify(folder)
    assert not report.ok
    assert any("checksum differs" in p for p in report.problems)


@pytest.mark.parametrize("compress", ["gzip", "xz", "zstd"])
def test_without_a_manifest_the_compressors_check_still_catches_a_flip(tiny_iso, tmp_path, compress):
    _needs(dict(compress=compress))
    folder = _write(tiny_iso, tmp_path, False, compress=compress, checksums=False)
    path, offset, _ = _carried_iso_offset(folder)
    _flip(path, offset + (path.stat().st_size - offset) // 2)
    problems = verify(folder).problems
    assert any(f"the {compress} archive in initrd0.img is damaged" in p for p in problems), problems


def _edit(folder: Path, relpath: str, old: str, new: str) -> None:
    """Change a config and its manifest line, so only the change's meaning is wrong."""
    root = _root(folder)
    path = root / relpath
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new))
    sums = folder / "SHA256SUMS"
    after = hashlib.sha256(path.read_bytes()).hexdigest()
    sums.write_text(sums.read_text().replace(f"{before}  {relpath}", f"{after}  {relpath}"))


@pytest.mark.parametrize("relpath, old, new", [
    ("pxelinux.cfg/default", "KERNEL vmlinuz0", "KERNEL ../../../../etc/hostname"),
    ("grub/grub.cfg", "linux /vmlinuz0", "linux /../../../../etc/hostname"),
    ("boot.ipxe", "kernel vmlinuz0", "kernel ../../../../etc/hostname"),
])
def test_a_config_path_outside_the_tftp_root_fails(tiny_iso, tmp_path, relpath, old, new):
    folder = _write(tiny_iso, tmp_path, False)
    assert verify(folder).ok
    _edit(folder, relpath, old, new)
    problems = verify(folder).problems
    assert any(p.startswith(relpath) and "outside the TFTP root" in p for p in problems), problems


def test_a_symlink_leading_out_of_the_root_fails(tiny_iso, tmp_path):
    folder = _write(tiny_iso, tmp_path, True)
    root = _root(folder)
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "vmlinuz0").rename(outside / "vmlinuz0")
    os.symlink(outside / "vmlinuz0", folder / "vmlinuz0")
    problems = verify(folder).problems
    assert any("live/f41/vmlinuz0" in p and "outside the TFTP root" in p for p in problems), problems
    assert verify(folder).root == root


@pytest.mark.skipif(shutil.which("grub-script-check") is None, reason="needs grub-script-check (grub-common)")
@pytest.mark.parametrize("damage", [
    ("}\n", ""),                                  # an unclosed menuentry
    ("menuentry ", "menuentry 'unterminated "),   # an unterminated quote
])
def test_a_grub_cfg_grub_rejects_fails(tiny_iso, tmp_path, damage):
    folder = _write(tiny_iso, tmp_path, False)
    text = (folder / "grub/grub.cfg").read_text()
    old = damage[0] if damage[0] in text else text
    _edit(folder, "grub/grub.cfg", old, damage[1] if old == damage[0] else text + damage[1])
    problems = verify(folder).problems
    assert any(p.startswith("grub/grub.cfg: GRUB rejects it") for p in problems), problems


def test_a_missing_manifest_fails_when_the_note_says_one_was_written(tiny_iso, tmp_path):
    folder = _write(tiny_iso, tmp_path, False)
    (folder / "SHA256SUMS").unlink()
    assert any("SHA256SUMS is missing" in p for p in verify(folder).problems)
