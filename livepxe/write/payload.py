"""The ISO as the initramfs carries it: a one-file newc cpio, optionally compressed.

Uncompressed by default: the squashfs inside is already compressed, so
gzip -9 over a gigabyte (the 2008 script) costs minutes for ~1% (measured
in bench/).  The kernel accepts gzip, xz (CRC32 check only) and zstd
archives; the external compressors are used because they are multi-threaded
C and stream, where Python's modules would hold the GIL.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import newc
from ..errors import LivepxeError
from ..host import run
from ..progress import Progress
from .streamcopy import FileRange, Segment

COMPRESSORS: dict[str, list[str]] = {
    "gzip": ["gzip", "-c", "-6"],
    "xz": ["xz", "-c", "--check=crc32", "-T0"],   # the kernel's xz only knows CRC32
    "zstd": ["zstd", "-c", "-q", "-T0"],
}


def decompressor(method: str) -> list[str]:
    """The command that streams a ``method`` archive back out (each checks its own CRC/checksum)."""
    return [COMPRESSORS[method][0], "-dc"]


def cpio_segments(name: str, iso: FileRange, mtime: int = 0) -> list[Segment]:
    """The archive holding ``iso`` as ``/name``; starts and ends 4-byte aligned."""
    return [newc.file_header(name, iso.length, mtime=mtime), iso, newc.padding(iso.length), newc.trailer()]


def check_compressor(method: str, flag: str = "--compress") -> list[str]:
    """The compressor's command line; LivepxeError naming the program when it is not installed."""
    command = COMPRESSORS[method]
    if run.which(command[0]) is None:
        raise LivepxeError(f"{flag} {method}: {run.missing(command[0])}, or use {flag} none")
    return command


def write_compressed(dest: Path, segments: list[Segment], method: str, progress: Progress | None) -> None:
    """Pipe ``segments`` through the compressor (``method`` keys COMPRESSORS) into ``dest`` (created, 0644)."""
    command = check_compressor(method)
    with open(dest, "xb") as out:
        os.fchmod(out.fileno(), 0o644)
        proc = run.popen(command[0], command[1:], stdin=run.PIPE, stdout=out)
        assert proc.stdin is not None
        try:
            for segment in segments:
                if isinstance(segment, bytes):
                    proc.stdin.write(segment)
                    if progress:
                        progress.advance(len(segment))
                    continue
                proc.stdin.flush()
                with open(segment.path, "rb") as source:
                    offset, remaining = segment.offset, segment.length
                    while remaining:  # sendfile into the pipe: no copy through Python
                        sent = os.sendfile(proc.stdin.fileno(), source.fileno(), offset, min(remaining, 1 << 24))
                        if sent == 0:
                            raise LivepxeError(f"{segment.path} ended early while compressing; is it truncated?")
                        offset += sent
                        remaining -= sent
                        if progress:
                            progress.advance(sent)
        finally:
            proc.stdin.close()
            status = proc.wait()
    if status != 0:
        raise LivepxeError(f"{command[0]} failed (exit {status}) while compressing; see its message above")
