"""Tiny live ISOs for engine tests, built with xorriso at test time.

They have the shape of livecd-creator's output (kernel, initrd, LiveOS/,
bootloader configs) but random bytes inside: enough to check what the
engine reads and writes, not to boot (the boot tests use a real fixture).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

LABEL = "Fedora-Tiny-Live"
ISOLINUX_CFG = """default vesamenu.c32
timeout 600
label linux{n}
  menu label ^Start Fedora-Tiny-Live
  kernel vmlinuz{n}
  append initrd=initrd{n}.img root=live:CDLABEL=Fedora-Tiny-Live rootfstype=auto ro rd.live.image quiet rhgb rd.luks=0
  menu default
label check{n}
  menu label Test this ^media & start Fedora-Tiny-Live
  kernel vmlinuz{n}
  append initrd=initrd{n}.img root=live:CDLABEL=Fedora-Tiny-Live rootfstype=auto ro rd.live.image rd.live.check quiet
"""
GRUB_CFG = """set default="1"
set timeout=60
menuentry 'Start Fedora-Tiny-Live' --class fedora {{
	linux /images/pxeboot/vmlinuz{n} root=live:CDLABEL=Fedora-Tiny-Live rd.live.image quiet rhgb
	initrd /images/pxeboot/initrd{n}.img
}}
menuentry 'Test this media & start Fedora-Tiny-Live' --class fedora {{
	linux /images/pxeboot/vmlinuz{n} root=live:CDLABEL=Fedora-Tiny-Live rd.live.image rd.live.check quiet
	initrd /images/pxeboot/initrd{n}.img
}}
"""


def write_random(path: Path, size: int, chunk: int = 16 * 1024 * 1024) -> None:
    """Incompressible bytes, written in chunks so a large file never sits in memory."""
    with open(path, "wb") as stream:
        while size > 0:
            stream.write(os.urandom(min(chunk, size)))
            size -= chunk


def require_xorriso() -> str:
    tool = shutil.which("xorriso")
    if tool is None:
        pytest.skip("xorriso is not installed (apt-get install xorriso / dnf install xorriso)")
    return tool


def make_iso(
    dest: Path,
    layout: str = "current",
    kernels: int = 1,
    configs: tuple[str, ...] = ("isolinux", "grub"),
    liveos: str | None = "squashfs.img",
    squashfs_size: int = 300_000,
    initrd_size: int = 40_921_187 % 100_000,  # deliberately not a multiple of 4
    label: str = LABEL,
    name_trees: tuple[str, ...] = ("-R", "-J"),
) -> Path:
    """Write a live-looking ISO to ``dest`` and return it."""
    xorriso = require_xorriso()
    tree = dest.parent / (dest.name + ".tree")
    shutil.rmtree(tree, ignore_errors=True)
    kernel_dir = {"current": "images/pxeboot", "old": "isolinux", "plain": "isolinux"}[layout]
    (tree / kernel_dir).mkdir(parents=True)
    for n in range(kernels):
        suffix = "" if layout == "plain" else str(n)
        (tree / kernel_dir / f"vmlinuz{suffix}").write_bytes(os.urandom(5000 + n))
        write_random(tree / kernel_dir / f"initrd{suffix}.img", initrd_size + n)
    if liveos:
        (tree / "LiveOS").mkdir()
        write_random(tree / "LiveOS" / liveos, squashfs_size)
    if "isolinux" in configs:
        (tree / "isolinux").mkdir(exist_ok=True)
        text = "".join(ISOLINUX_CFG.format(n=n if layout != "plain" else "") for n in range(kernels))
        if layout == "current":  # isolinux reads names relative to its own folder: livecd-creator names them in full
            text = text.replace("kernel vmlinuz", "kernel /images/pxeboot/vmlinuz").replace(
                "initrd=initrd", "initrd=/images/pxeboot/initrd")
        (tree / "isolinux" / "isolinux.cfg").write_text(text)
    if "grub" in configs:
        (tree / "boot" / "grub2").mkdir(parents=True)
        text = "".join(GRUB_CFG.format(n=n) for n in range(kernels))
        (tree / "boot" / "grub2" / "grub.cfg").write_text(text)
    subprocess.run([xorriso, "-as", "mkisofs", "-quiet", *name_trees, "-V", label, "-o", str(dest), str(tree)],
                   check=True, capture_output=True)
    shutil.rmtree(tree)
    return dest
