"""Can this dracut initrd fetch its live root over HTTP?  Look at its file list, not its cmdline.

``root=live:http://…`` needs dracut's ``livenet`` module (``livenetroot``) and a
network handler that runs dracut's netroot hooks once the link is up:
network-legacy (``ifup``/dhclient) or network-manager (``nm-initrd-generator``).
Debian's dracut 059 falls back to ``systemd-networkd``, which brings the link
up and never starts the download, so the boot waits for ever (seen in QEMU).

A dracut image may start with an uncompressed early cpio (microcode); the
file list we want is in the compressed archive after it, which
libarchive's ``bsdtar`` lists from a stream (gzip, xz, zstd, lz4...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from . import cpioscan

LIVENET = ("usr/sbin/livenetroot", "sbin/livenetroot")
NETROOT_HANDLERS = ("usr/sbin/ifup", "sbin/ifup", "usr/libexec/nm-initrd-generator", "usr/lib/nm-initrd-generator",
                    "usr/lib/NetworkManager/nm-initrd-generator")
NETWORKD = ("usr/lib/systemd/systemd-networkd", "lib/systemd/systemd-networkd")


def main_archive_offset(path: Path, offset: int = 0, length: int | None = None) -> int:
    """Where the archive after any leading uncompressed cpio archives starts."""
    end = offset + (length if length is not None else path.stat().st_size - offset)
    fd = os.open(path, os.O_RDONLY)
    try:
        pos = offset
        while pos < end:
            member = cpioscan.parse_header(fd, pos, end)
            if member is None:
                return pos
            pos = (member.offset + member.size + 3) & ~3
            if member.name == "TRAILER!!!":
                while pos < end and os.pread(fd, 4, pos) == b"\0\0\0\0":  # padding between archives
                    pos += 4
        return pos
    finally:
        os.close(fd)


def file_names(path: Path, offset: int = 0, length: int | None = None) -> set[str] | None:
    """Names in the initrd's main archive; None when it cannot be listed (no bsdtar, unknown format)."""
    bsdtar = shutil.which("bsdtar")
    if bsdtar is None:
        return None
    start = main_archive_offset(path, offset, length)
    with open(path, "rb") as source:
        source.seek(start)
        proc = subprocess.run([bsdtar, "-tf", "-"], stdin=source, capture_output=True)
    if proc.returncode != 0:
        return None
    return {line.lstrip("./") for line in proc.stdout.decode(errors="replace").splitlines()}


def http_root_problems(path: Path, offset: int = 0, length: int | None = None) -> list[str]:
    """Why this initrd cannot boot ``root=live:http://…``; empty when it can (or when we cannot tell)."""
    names = file_names(path, offset, length)
    if names is None:
        return []
    if not names & set(LIVENET):
        return ["the ISO's initrd has no dracut livenet module (no livenetroot): it cannot download the ISO; "
                "rebuild the image with livenet in dracut's modules, or bundle the ISO (no --http-url)"]
    if not names & set(NETROOT_HANDLERS) and names & set(NETWORKD):
        return ["the ISO's initrd brings the network up with systemd-networkd only, which never starts "
                "livenet's download; rebuild it with dracut's network-manager or network-legacy module"]
    return []
