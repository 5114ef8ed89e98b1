"""A stripped copy of a live ISO that holds only LiveOS/ (what the live root needs).

Kernel, initrd and EFI images of the ISO are not needed once the ISO is
inside the initramfs; dropping them saves client RAM at the cost of
writing a new ISO.  pycdlib writes it in user space (no root, no mkisofs).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO, cast

import pycdlib

from ..iso.isoreader import IsoFile, LiveIso, malformed_as_error


class _Slice(io.RawIOBase):
    """A read-only window on a range of the source ISO, for pycdlib to copy from."""

    def __init__(self, fd: int, item: IsoFile):
        self._fd, self._start, self._length, self._pos = fd, item.offset, item.length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = base + pos
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer) -> int:
        want = max(0, min(len(buffer), self._length - self._pos))
        data = os.pread(self._fd, want, self._start + self._pos)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def volume_id(label: str) -> str:
    """The label as a volume identifier pycdlib can write: printable ASCII, at most 32 characters.

    The label comes from the source ISO, which may be damaged or hostile; the
    stripped ISO is found by its path (``root=live:/NAME.iso``), never by label.
    """
    return "".join(c if " " <= c <= "~" else "_" for c in label)[:32]


def write_stripped_iso(source: LiveIso, dest: Path) -> None:
    """Write to ``dest`` an ISO with ``source``'s label and only its LiveOS/ files (LivepxeError if pycdlib cannot)."""
    fd = os.open(source.path, os.O_RDONLY)
    try:
        iso = pycdlib.PyCdlib()
        with malformed_as_error(source.path, "copying its LiveOS/ files into a stripped ISO"):
            iso.new(interchange_level=4, rock_ridge="1.09", joliet=3, vol_ident=volume_id(source.label))
            iso.add_directory("/LIVEOS", rr_name="LiveOS", joliet_path="/LiveOS")
            for item in source.liveos_files:
                name = item.path.rsplit("/", 1)[-1]
                window = cast(BinaryIO, _Slice(fd, item))  # all pycdlib does with it is seek and read
                iso.add_fp(window, item.length, f"/LIVEOS/{name.upper()}", rr_name=name, joliet_path=f"/LiveOS/{name}")
            with open(dest, "xb") as out:
                iso.write_fp(out)
        iso.close()
    finally:
        os.close(fd)
