"""Check an ISO's directory hierarchies before pycdlib walks them.

pycdlib up to 1.15 (the newest for Python 3.9, EL9's Python) walks a folder
whose record points back at itself or an ancestor for ever, and reads a
folder in one piece of whatever size its record claims (4 GiB for
0xFFFFFFFF): a damaged or hostile ISO would hang livepxe or exhaust memory.
Newer pycdlib catches some of this; this walk keeps every version safe.  It
reads each folder of each hierarchy (the primary volume descriptor's and each
supplementary one's, such as Joliet) once, and refuses in one line naming
the file a folder or path table outside the file, or a folder reached twice.
Anything else odd is left for pycdlib to judge.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import List, Set, Tuple

from ..errors import LivepxeError

_FIRST_DESCRIPTOR = 16 * 2048
_DESCRIPTOR = 2048
_MAX_DESCRIPTORS = 64         # real images have 2-5; a damaged one may have no terminator
_MAX_FOLDERS = 100_000        # a live ISO has a few dozen
_MAX_LISTING = 256 * 1024 ** 2  # bytes of folder records read per hierarchy; a live ISO has a few KiB
_PRIMARY, _SUPPLEMENTARY, _TERMINATOR = 1, 2, 255


def check(path: Path, fd: int, size: int) -> None:
    """Raise LivepxeError when a hierarchy of the ISO in ``fd`` (``size`` bytes) would mislead a reader."""
    for offset in range(_FIRST_DESCRIPTOR, _FIRST_DESCRIPTOR + _MAX_DESCRIPTORS * _DESCRIPTOR, _DESCRIPTOR):
        descriptor = os.pread(fd, _DESCRIPTOR, offset)
        if len(descriptor) < _DESCRIPTOR or descriptor[0] == _TERMINATOR:
            return
        if descriptor[0] in (_PRIMARY, _SUPPLEMENTARY) and descriptor[1:6] == b"CD001":
            _Hierarchy(path, fd, size, descriptor).check()


class _Hierarchy:
    """One volume descriptor's folders."""

    def __init__(self, path: Path, fd: int, size: int, descriptor: bytes):
        self._path, self._fd, self._size = path, fd, size
        self._block = struct.unpack_from("<H", descriptor, 128)[0]
        self._descriptor = descriptor
        self._encoding = "utf-16-be" if descriptor[0] == _SUPPLEMENTARY else "latin-1"  # Joliet names are UCS-2
        self._listed = 0

    def _refuse(self, what: str) -> LivepxeError:
        return LivepxeError(f"{self._path} is a damaged ISO 9660 image: {what}; "
                            "copy or download it again, or give a live ISO made by livecd-creator")

    def _within(self, extent: int, length: int, what: str) -> None:
        if self._block == 0 or extent * self._block + length > self._size:
            raise self._refuse(f"{what} (block {extent}, {length} bytes) lies past the end of the file")

    def check(self) -> None:
        table_size = struct.unpack_from("<I", self._descriptor, 132)[0]  # both-endian: the little-endian half
        self._within(struct.unpack_from("<I", self._descriptor, 140)[0], table_size, "the path table")  # type L
        self._within(struct.unpack_from(">I", self._descriptor, 148)[0], table_size, "the path table")  # type M
        root = self._descriptor[156:190]
        queue: List[Tuple[int, int, str]] = [(*struct.unpack_from("<I4xI", root, 2), "/")]
        seen: Set[int] = set()
        while queue:
            extent, length, name = queue.pop()
            self._within(extent, length, f"folder {name}")
            if extent in seen:
                raise self._refuse(f"folder {name} is reached twice (a folder loop)")
            self._listed += length
            if len(seen) >= _MAX_FOLDERS or self._listed > _MAX_LISTING:
                raise self._refuse(f"its folders exceed {_MAX_FOLDERS} or {_MAX_LISTING >> 20} MiB of records")
            seen.add(extent)
            queue += self._subfolders(extent, length, name)

    def _shown(self, raw: bytes) -> str:
        """A folder's name for a message: printable, whatever bytes the image holds."""
        return "".join(c if c.isprintable() else "?" for c in raw.decode(self._encoding, "replace"))

    def _subfolders(self, extent: int, length: int, name: str) -> List[Tuple[int, int, str]]:
        """(extent, length, name) of each folder listed in a folder (never '.' or '..'; empty ones skipped)."""
        data = os.pread(self._fd, length, extent * self._block)
        found, offset = [], 0
        while offset + 34 <= len(data):
            size = data[offset]
            if size < 34:  # 0 pads to the next block; anything else under a record's minimum ends the listing
                offset = (offset // self._block + 1) * self._block if size == 0 else len(data)
                continue
            flags, name_length = data[offset + 25], data[offset + 32]
            child = data[offset + 33:offset + 33 + name_length]
            if flags & 2 and child not in (b"\0", b"\1"):
                child_extent, child_length = struct.unpack_from("<I4xI", data, offset + 2)
                if child_length:
                    found.append((child_extent, child_length, f"{name}{self._shown(child)}/"[-200:]))
            offset += size
        return found
