"""Write a file as a sequence of byte strings and ranges of other files.

The bulk of every tree is one ISO copied into an initrd.  Copying through
Python buffers would double memory traffic, so ranges go through
``copy_file_range`` (in-kernel, no user-space copy), falling back to
``sendfile`` and then to plain reads where a filesystem refuses.  The
SHA-256 for the manifest is computed on the second core from the *source*
ranges while the kernel copies, so checksumming does not add a read pass.
Memory stays bounded by one chunk, whatever the ISO size.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence, Union

from ..progress import Progress

CHUNK = 64 * 1024 * 1024  # per copy call: big enough to amortise, small enough for progress
HASH_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class FileRange:
    """``length`` bytes of ``path`` starting at ``offset``."""

    path: Path
    offset: int
    length: int


Segment = Union[bytes, FileRange]


def total_length(segments: Iterable[Segment]) -> int:
    return sum(len(s) if isinstance(s, bytes) else s.length for s in segments)


class SourceTruncated(OSError):
    """A source file ended before the range we were told it holds."""


def open_source(path: Path) -> int:
    """A descriptor to read ``path``, which must be a regular file.

    Sources were checked when they were read, but a path can change: a FIFO
    put in place of the ISO would block the open (O_NONBLOCK prevents that)
    and then every read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return fd


def _copy_range(src_fd: int, offset: int, length: int, dst_fd: int, progress: Progress | None) -> None:
    use_copy_file_range = hasattr(os, "copy_file_range")
    use_sendfile = True
    while length:
        want = min(length, CHUNK)
        done = 0
        if use_copy_file_range:
            try:
                done = os.copy_file_range(src_fd, dst_fd, want, offset_src=offset)
            except OSError as exc:  # cross-device on old kernels, some FUSE/NFS
                if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                    raise
                use_copy_file_range = False
                continue
        elif use_sendfile:
            try:
                done = os.sendfile(dst_fd, src_fd, offset, want)
            except OSError as exc:
                if exc.errno not in (errno.EINVAL, errno.ENOSYS):
                    raise
                use_sendfile = False
                continue
        else:
            data = os.pread(src_fd, min(want, HASH_CHUNK), offset)
            done = len(data)
            view = memoryview(data)
            while view:
                view = view[os.write(dst_fd, view):]
        if done == 0:
            raise SourceTruncated(errno.EIO, "source ended early")
        offset += done
        length -= done
        if progress:
            progress.advance(done)


def _sha256(segments: Sequence[Segment], fds: dict[Path, int]) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(HASH_CHUNK)
    for segment in segments:
        if isinstance(segment, bytes):
            digest.update(segment)
            continue
        offset, remaining = segment.offset, segment.length
        while remaining:
            view = memoryview(buffer)[: min(remaining, HASH_CHUNK)]
            got = os.preadv(fds[segment.path], [view], offset)
            if got == 0:
                raise SourceTruncated(errno.EIO, f"{segment.path} ended early")
            digest.update(view[:got])  # hashlib releases the GIL for large updates
            offset += got
            remaining -= got
    return digest.hexdigest()


def write_file(
    dest: Path,
    segments: Sequence[Segment],
    progress: Progress | None = None,
    checksum: bool = True,
    mode: int = 0o644,
) -> str | None:
    """Create ``dest`` (which must not exist) from ``segments``.

    Returns the SHA-256 hex digest of what was written when ``checksum`` is
    true.  The file is world-readable (TFTP daemons that drop privileges
    must be able to serve it) whatever the umask or the source's mode.
    """
    paths = {s.path for s in segments if isinstance(s, FileRange)}
    copy_fds = {p: open_source(p) for p in paths}
    hash_fds = {p: open_source(p) for p in paths} if checksum else {}
    result: dict[str, object] = {}

    def hash_worker() -> None:
        try:
            result["digest"] = _sha256(segments, hash_fds)
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    hasher = threading.Thread(target=hash_worker, name="sha256", daemon=True) if checksum else None
    dst_fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        if hasher:
            hasher.start()
        for segment in segments:
            if isinstance(segment, bytes):
                view = memoryview(segment)
                while view:
                    view = view[os.write(dst_fd, view):]
                if progress:
                    progress.advance(len(segment))
            else:
                _copy_range(copy_fds[segment.path], segment.offset, segment.length, dst_fd, progress)
        os.fchmod(dst_fd, mode)
    finally:
        os.close(dst_fd)
        if hasher:
            hasher.join()
        for fd in (*copy_fds.values(), *hash_fds.values()):
            os.close(fd)
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result.get("digest")  # type: ignore[return-value]


def sha256_file(path: Path) -> str:
    """Digest of a whole file, read in bounded chunks."""
    fd = open_source(path)
    size = os.fstat(fd).st_size
    try:
        return _sha256([FileRange(path, 0, size)], {path: fd})
    finally:
        os.close(fd)
