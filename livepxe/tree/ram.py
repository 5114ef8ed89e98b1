"""The one RAM model: what a client needs to boot a tree, and what a test guest gets.

The loader puts the whole initrd in memory, the kernel unpacks it into the
rootfs (a second copy of the ISO plus the unpacked dracut image) before
freeing the packed one, and the ISO stays in RAM while the live system runs.
Calibrated against boots measured here (``bench/boot_ram.py``): the 44 MiB
fixture (79 MiB initrd) needs 320 MiB; a 1.12 GB ISO failed at 2 GiB and
booted at 3 GiB.
"""

from __future__ import annotations

import math

MIB = 1024 * 1024

#: What the kernel and a minimal live userspace take besides the initramfs.
BASE_MIB = 128
#: An unpacked dracut image is about this many times its compressed size.
UNPACKED_INITRD_FACTOR = 3
#: Test guests get the estimate plus this, and never less than FLOOR (dracut's rd.minmem default).
GUEST_HEADROOM_MIB = 256
GUEST_FLOOR_MIB = 1024


def _round_up(mib: float, step: int = 64) -> int:
    return step * math.ceil(mib / step)


def client_mib(initrd_bytes: int, iso_bytes: int, dracut_bytes: int) -> int:
    """Smallest client RAM (MiB, rounded up to 64) for a client that loads ``initrd_bytes`` of initrds."""
    peak = initrd_bytes + iso_bytes + UNPACKED_INITRD_FACTOR * dracut_bytes
    return _round_up(peak / MIB + BASE_MIB)


def by_mode(iso_bytes: int, dracut_bytes: int, bundled_initrd_bytes: int | None = None) -> dict[str, int]:
    """Client RAM (MiB) for each way of booting the same ISO.

    ``bundled_initrd_bytes`` is what a bundled client really loads, when the
    tree was written that way; otherwise the uncompressed append-mode size.
    """
    if bundled_initrd_bytes is None:
        bundled_initrd_bytes = dracut_bytes + (-dracut_bytes % 4) + iso_bytes + 512
    return {
        "bundled": client_mib(bundled_initrd_bytes, iso_bytes, dracut_bytes),
        # livenet downloads the ISO into the initramfs' tmpfs: one copy, not two
        "http": client_mib(dracut_bytes, iso_bytes, dracut_bytes),
    }


def unknown_split_mib(initrd_bytes: int) -> int:
    """An upper bound when only the initrds' total is known (a tree livepxe did not write).

    The peak grows faster with the dracut image (unpacked about 3×) than with
    a carried ISO (kept twice), so counting all of it as dracut image bounds
    every split.
    """
    return client_mib(initrd_bytes, 0, initrd_bytes)


def guest_mib(client: int) -> int:
    """RAM for a QEMU test guest booting a tree whose clients need ``client`` MiB."""
    return max(GUEST_FLOOR_MIB, _round_up(client + GUEST_HEADROOM_MIB))
