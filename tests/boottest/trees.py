"""Trees the boot-harness tests boot (in fakes) or inspect: self-contained, integrated, note-less."""

from __future__ import annotations

import json
from pathlib import Path

from livepxe.convert import ConvertOptions, convert

IMAGE_DIR = "live/f41"
BOOTFILE = "live.f41"
ADMIN_DEFAULT = "DEFAULT local\nLABEL local\n  LOCALBOOT 0\n"
ADMIN_GRUB = "set timeout=5\nmenuentry 'local disk' {\n  exit\n}\n"

HAND_MADE = """DEFAULT live
LABEL live
  KERNEL /img/vmlinuz0
  APPEND initrd=/img/initrd0.img root=live:/x.iso quiet
LABEL local
  APPEND -
"""


def self_contained(iso: Path, where: Path, **options) -> Path:
    return convert(ConvertOptions(iso=iso, output=where, progress=False, **options)).root


def integrated(iso: Path, root: Path, loaders: bool = True, image_dir: str = IMAGE_DIR,
               bootfile: str = BOOTFILE) -> Path:
    """An admin's TFTP root (default boots the local disk) with the ISO integrated; returns the image folder."""
    (root / "pxelinux.cfg").mkdir(parents=True, exist_ok=True)
    (root / "grub").mkdir(exist_ok=True)
    (root / "pxelinux.cfg/default").write_text(ADMIN_DEFAULT)
    (root / "grub/grub.cfg").write_text(ADMIN_GRUB)
    if loaders:
        for name in ("pxelinux.0", "ldlinux.c32", "bootx64.efi", "grubx64.efi"):
            (root / name).write_bytes(b"loader")
    convert(ConvertOptions(iso=iso, tftproot=root, imagedir=image_dir, bootfile=bootfile, progress=False))
    return root / image_dir


def hand_made(root: Path, name: str = "default") -> Path:
    """A tree livepxe did not write: no note, a 10-byte kernel and a 100-byte initrd."""
    (root / "pxelinux.cfg").mkdir(parents=True)
    (root / "img").mkdir()
    (root / "img/vmlinuz0").write_bytes(b"k" * 10)
    (root / "img/initrd0.img").write_bytes(b"i" * 100)
    (root / "pxelinux.0").write_bytes(b"p")
    (root / "pxelinux.cfg" / name).write_text(HAND_MADE)
    return root


def set_note(folder: Path, **fields) -> None:
    """Change fields of a tree's livepxe.json (to give the RAM fields telling values)."""
    path = folder / "livepxe.json"
    data = json.loads(path.read_text())
    data.update(fields)
    path.write_text(json.dumps(data))


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every path under ``root``: file bytes, link targets, folders; to prove a tree untouched."""
    out: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = (f"-> {path.readlink()}" if path.is_symlink() else "dir" if path.is_dir()
                    else path.read_bytes())
    return out
