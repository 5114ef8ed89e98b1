"""Folders opened relative to a root without following links, and renames that never replace.

A TFTP root is shared: other people's images live there, and anyone who can
write to it can plant a symbolic link where livepxe is about to write
(``live -> ../elsewhere``, ``pxelinux.cfg -> /etc``).  So below the root
nothing is looked up by path: each folder is opened from its parent's
descriptor with ``O_NOFOLLOW``, and every mkdir, rename and unlink is
relative to such a descriptor.  A link, or a file where a folder should be,
is refused in one line that names it, before anything is written.  The root
itself is what the user named (following links on the way to it is theirs
to decide).

"Never replace what exists" must hold when the rename happens, not only
when it was checked: ``rename_noreplace`` uses ``renameat2(RENAME_NOREPLACE)``
(Linux 3.15+, glibc 2.28+), so of two runs committing to one place exactly
one succeeds.  Where the filesystem or C library lacks it, a file is
``link``-ed into place (which fails if the name exists) and its staged name
removed; a folder first claims its name with ``mkdir`` (which fails if the
name exists) and is then renamed onto that empty folder of its own.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
from pathlib import Path
from typing import Callable, List, Optional

from ..errors import LivepxeError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_RENAME_NOREPLACE = 1


def open_root(path: Path) -> int:
    """A descriptor of the folder the user named (links on the way to it followed)."""
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def describe(dir_fd: int, name: str) -> Optional[str]:
    """What is at ``name`` in ``dir_fd`` when it is not a real folder, for a message; None for a folder or nothing."""
    mode = entry_mode(dir_fd, name)
    if mode is None:
        return None
    if stat.S_ISLNK(mode):
        return f"is a symbolic link (to {os.readlink(name, dir_fd=dir_fd)!r})"
    if stat.S_ISDIR(mode):
        return None
    return "is a file, not a folder" if stat.S_ISREG(mode) else "is not a folder"


def open_below(root_fd: int, root: Path, relpath: str, hint: str,
               made: Optional[List[str]] = None) -> Optional[int]:
    """Open the folder ``relpath`` under ``root_fd`` through real folders only.

    With ``made`` given, missing folders are created (world-readable: TFTP
    daemons drop privileges) and their paths appended to it; a folder another
    run creates at the same moment is simply used.  Without it, a missing
    folder returns None.  A link or a non-folder on the way raises
    LivepxeError naming it, ending with ``hint`` (what the user can do).
    """
    fd = os.dup(root_fd)
    walked: List[str] = []
    try:
        for name in [part for part in relpath.split("/") if part]:
            walked.append(name)
            child, new = _open_child(fd, name, made is not None)
            os.close(fd)
            fd = -1
            if child is None:
                return None
            fd = child
            if new and made is not None:
                made.append("/".join(walked))
        opened, fd = fd, -1
        return opened
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        what = describe(fd, walked[-1]) or "is not a folder"
        raise LivepxeError(f"{root / '/'.join(walked)} {what}; livepxe writes into a TFTP root only through "
                           f"real folders and never follows a link there: {hint}") from None
    finally:
        if fd >= 0:
            os.close(fd)


def _open_child(fd: int, name: str, create: bool) -> tuple[Optional[int], bool]:
    """(descriptor or None when missing and not to be created, whether we made it) of folder ``name`` in ``fd``."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd), False
    except FileNotFoundError:
        if not create:
            return None, False
    made = True
    try:
        os.mkdir(name, 0o755, dir_fd=fd)
    except FileExistsError:  # another run made it between our open and our mkdir: use it
        made = False
    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
    if made:
        os.fchmod(child, 0o755)  # whatever the umask
    return child, made


def entry_mode(dir_fd: int, name: str) -> Optional[int]:
    """``st_mode`` of ``name`` itself (a link is not followed); None when nothing is there."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None


def is_empty_folder(dir_fd: int, name: str) -> bool:
    """Is ``name`` in ``dir_fd`` a real folder (not a link) with nothing in it?"""
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError:
        return False
    try:
        return not os.listdir(fd)
    finally:
        os.close(fd)


def read_small(dir_fd: int, name: str, limit: int = 1 << 20) -> Optional[str]:
    """The text of regular file ``name`` in ``dir_fd``, not following a link; None when there is no such file."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:  # missing, a link (ELOOP), unreadable: not a file livepxe can take as its own
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, limit).decode("utf-8", "replace")
    finally:
        os.close(fd)


def _load_renameat2() -> Optional[Callable[..., int]]:
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    except OSError:
        return None


_renameat2 = _load_renameat2()


def rename_noreplace(src_fd: int, src: str, dst_fd: int, dst: str) -> None:
    """Rename ``src`` (in ``src_fd``) to ``dst`` (in ``dst_fd``); FileExistsError if ``dst`` exists, whatever races."""
    if _renameat2 is not None:
        if _renameat2(src_fd, os.fsencode(src), dst_fd, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # the filesystem lacks the flag: fall back
            raise OSError(code, os.strerror(code), dst)
    if stat.S_ISDIR(os.stat(src, dir_fd=src_fd, follow_symlinks=False).st_mode):
        _claim_and_rename(src_fd, src, dst_fd, dst)
    else:
        os.link(src, dst, src_dir_fd=src_fd, dst_dir_fd=dst_fd, follow_symlinks=False)
        os.unlink(src, dir_fd=src_fd)


def _claim_and_rename(src_fd: int, src: str, dst_fd: int, dst: str) -> None:
    """A folder without RENAME_NOREPLACE: mkdir claims the name atomically, the rename replaces our empty claim."""
    os.mkdir(dst, 0o700, dir_fd=dst_fd)
    try:
        os.rename(src, dst, src_dir_fd=src_fd, dst_dir_fd=dst_fd)  # ENOTEMPTY if someone wrote into our claim
    except BaseException:
        try:
            os.rmdir(dst, dir_fd=dst_fd)
        except OSError:
            pass
        raise
