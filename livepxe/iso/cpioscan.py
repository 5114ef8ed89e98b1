"""Find the newc cpio members inside an initrd, streaming, without unpacking it.

An initrd is a chain of cpio archives, some compressed (dracut's image),
some not (an early microcode cpio; the ISO livepxe appends).  We only need
the uncompressed members' names, offsets and sizes, so we scan for the
``070701`` magic, accept a header only when all thirteen fields are hex and
the name is NUL-terminated inside the file, and then *seek* past the
member's data: a gigabyte ISO member costs one header read, and memory
stays one chunk whatever the file size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..newc import HEADER_SIZE as HEADER
from ..newc import MAGICS, TRAILER_NAME, aligned, header_sizes

CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Member:
    name: str
    offset: int      # where the member's data starts in the file
    size: int


def parse_header(fd: int, at: int, file_size: int) -> Member | None:
    """The member whose newc header starts at ``at``, or None if none valid does."""
    sizes = header_sizes(os.pread(fd, HEADER, at))
    if sizes is None:
        return None
    filesize, namesize = sizes
    if not 1 <= namesize <= 4096:
        return None
    name = os.pread(fd, namesize, at + HEADER)
    if len(name) != namesize or name[-1:] != b"\0" or b"\0" in name[:-1]:
        return None
    data = aligned(at + HEADER + namesize)
    if data + filesize > file_size:
        return None
    return Member(name[:-1].decode("utf-8", "replace"), data, filesize)


def members(path: Path) -> list[Member]:
    """Every uncompressed newc member in ``path`` (trailers excluded), in file order."""
    found: list[Member] = []
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        pos = 0
        while pos < size:
            chunk = os.pread(fd, CHUNK + 5, pos)
            hits = [i for i in (chunk.find(m) for m in MAGICS) if i >= 0]
            if not hits:
                pos += CHUNK
                continue
            at = pos + min(hits)
            member = parse_header(fd, at, size)
            if member is None:
                pos = at + 1
                continue
            if member.name != TRAILER_NAME:
                found.append(member)
            pos = aligned(member.offset + member.size)
    finally:
        os.close(fd)
    return found


def is_iso9660(path: Path, offset: int = 0) -> bool:
    """True when an ISO 9660 volume descriptor sits where it must (sector 16)."""
    with open(path, "rb") as fh:
        fh.seek(offset + 16 * 2048)
        return fh.read(6)[1:6] == b"CD001"


@dataclass(frozen=True)
class StreamMember:
    name: str
    size: int
    head: bytes      # the member's first bytes (up to what was asked)


def find_in_stream(stream: IO[bytes], name: str, head: int = 32 * 1024 + 8) -> StreamMember | None:
    """Read newc archives from a stream (a decompressor's output) until member ``name``.

    Streams cannot seek, so every member's data is read and dropped in
    chunks: memory stays one chunk whatever the member's size.  Returns None
    at the end of the stream or at anything that is not a newc header.
    """
    pos = 0

    def read_exact(count: int) -> bytes:
        nonlocal pos
        data = stream.read(count)
        pos += len(data)
        return data

    while True:
        header = read_exact(HEADER)
        if len(header) < HEADER:
            return None
        sizes = header_sizes(header)
        if sizes is None:
            if header.strip(b"\0"):
                return None
            continue  # zero padding between concatenated archives
        filesize, namesize = sizes
        raw_name = read_exact(namesize)
        read_exact(-pos % 4)
        member_name = raw_name.rstrip(b"\0").decode("utf-8", "replace").lstrip("./")
        first = read_exact(min(head, filesize)) if member_name == name else b""
        remaining = filesize - len(first)
        while remaining:
            chunk = read_exact(min(remaining, CHUNK))
            if not chunk:
                return None
            remaining -= len(chunk)
        read_exact(-pos % 4)
        if member_name == name:
            return StreamMember(member_name, filesize, first)


def is_iso9660_head(head: bytes) -> bool:
    """The first bytes of a file hold an ISO 9660 volume descriptor where one must be (sector 16)."""
    return head[16 * 2048 + 1: 16 * 2048 + 6] == b"CD001"
