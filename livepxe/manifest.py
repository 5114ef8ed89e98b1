"""The tree's manifest (SHA256SUMS) and the client RAM a bundled boot needs."""

from __future__ import annotations

import math

MIB = 1024 * 1024

#: What the kernel and a minimal live userspace take besides the initramfs.
BASE_RAM_MIB = 128
#: An unpacked dracut image is about this many times its compressed size.
UNPACKED_INITRD_FACTOR = 3


def sha256sums(digests: dict[str, str]) -> str:
    """``sha256sum -c`` format, paths relative to the TFTP root, sorted."""
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(digests.items()))


def parse_sha256sums(text: str) -> dict[str, str]:
    result = {}
    for line in text.splitlines():
        if line.strip():
            digest, _, path = line.partition("  ")
            result[path.lstrip("*")] = digest
    return result


def client_ram_mib(initrd_bytes: int, iso_bytes: int, original_initrd_bytes: int) -> int:
    """Smallest client RAM (MiB, rounded up to 64) for a bundled boot.

    The loader puts the whole initrd in memory, the kernel unpacks it into
    the rootfs (a second copy of the ISO plus the unpacked dracut image)
    before freeing the packed one, and the ISO stays in RAM while the live
    system runs.  Checked against boots measured here: the 44 MiB fixture
    (79 MiB initrd) needs 320 MiB (bench/boot_ram.py); a 1.12 GB ISO failed
    at 2 GiB and booted at 3 GiB.
    """
    peak = initrd_bytes + iso_bytes + UNPACKED_INITRD_FACTOR * original_initrd_bytes
    return 64 * math.ceil((peak / MIB + BASE_RAM_MIB) / 64)
