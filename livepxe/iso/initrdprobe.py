"""What can this dracut initrd boot?  Look at its file list, not its cmdline.

``root=live:/NAME.iso`` (the ISO carried in the initramfs) needs dracut's
``dmsquash-live`` module: KIWI's own ``kiwi-live`` takes only ``CDLABEL=``
and URLs, and initramfs-tools' live-boot none of these.

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
import posixpath
from pathlib import Path

from ..host import run
from . import cpioscan

LIVENET = ("usr/sbin/livenetroot", "sbin/livenetroot")
NETROOT_HANDLERS = ("usr/sbin/ifup", "sbin/ifup", "usr/libexec/nm-initrd-generator", "usr/lib/nm-initrd-generator",
                    "usr/lib/NetworkManager/nm-initrd-generator")
NETWORKD = ("usr/lib/systemd/systemd-networkd", "lib/systemd/systemd-networkd")
#: File names (any folder) that only a live-root module installs: its root script and its cmdline hook.
LIVE_MODULES = {"dmsquash-live": ("dmsquash-live-root", "parse-dmsquash-live.sh"),
                "kiwi-live": ("kiwi-live-root", "parse-kiwi-live.sh")}


def _leading_archives(path: Path, offset: int, length: int | None) -> tuple[list[str], int]:
    """Member names of the uncompressed cpio archives the initrd starts with, and where what follows starts."""
    end = offset + (length if length is not None else path.stat().st_size - offset)
    names: list[str] = []
    fd = os.open(path, os.O_RDONLY)
    try:
        pos = offset
        while pos < end:
            member = cpioscan.parse_header(fd, pos, end)
            if member is None:
                break
            pos = (member.offset + member.size + 3) & ~3
            if member.name == "TRAILER!!!":
                while pos < end and os.pread(fd, 4, pos) == b"\0\0\0\0":  # padding between archives
                    pos += 4
            else:
                names.append(member.name.lstrip("./"))
        return names, min(pos, end)
    finally:
        os.close(fd)


def main_archive_offset(path: Path, offset: int = 0, length: int | None = None) -> int:
    """Where the archive after any leading uncompressed cpio archives starts."""
    return _leading_archives(path, offset, length)[1]


def file_names(path: Path, offset: int = 0, length: int | None = None) -> set[str] | None:
    """Names in the initrd's main archive; None when it cannot be listed (no bsdtar, unknown format)."""
    if run.which("bsdtar") is None:
        return None
    start = main_archive_offset(path, offset, length)
    with open(path, "rb") as source:
        source.seek(start)
        proc = run.run("bsdtar", ["-tf", "-"], stdin=source, check=False, text=False)
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


def _live_module(name: str) -> str | None:
    base = posixpath.basename(name.rstrip("/"))
    return next((module for module, files in LIVE_MODULES.items() if any(base.endswith(f) for f in files)), None)


def live_modules(path: Path, offset: int = 0, length: int | None = None) -> set[str] | None:
    """The live-root modules (`LIVE_MODULES`) in the initrd; None when it cannot be listed (no bsdtar, unknown format).

    The listing stops as soon as dmsquash-live shows up: a Fedora initrd of
    100 MB takes seconds to decompress whole.  An initrd that is one
    uncompressed archive is read without bsdtar.
    """
    leading, start = _leading_archives(path, offset, length)
    found = {m for m in map(_live_module, leading) if m}
    end = offset + (length if length is not None else path.stat().st_size - offset)
    if "dmsquash-live" in found or start >= end:
        return found
    if run.which("bsdtar") is None:
        return None
    with open(path, "rb") as source:
        source.seek(start)
        with run.popen("bsdtar", ["-tf", "-"], stdin=source, stdout=run.PIPE, stderr=run.DEVNULL) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                module = _live_module(line.decode(errors="replace").strip())
                if module:
                    found.add(module)
                if module == "dmsquash-live":
                    proc.kill()
                    return found
    return found if proc.returncode == 0 else None
