"""Open a file of an untrusted tree by a path that cannot leave it, whatever the tree holds or becomes.

A tree is written by an ordinary user and served by a root process, and
its owner may change it while a client asks: a check by path followed by
an open by path follows whatever link was swapped in between.  So every
component is opened relative to the folder opened before it, with
``O_NOFOLLOW``: a symbolic link is never followed by the kernel, only read
(``readlinkat``) and walked by this code, which refuses absolute targets
and any ``..`` above the tree.  The final file is looked at through an
``O_PATH`` descriptor first, so a FIFO or a device is never opened; it is
then opened for reading and must be the same inode.  Works on every kernel
EL8 onwards (``openat2``'s ``RESOLVE_BENEATH`` needs 5.6) and needs no /proc.
"""

from __future__ import annotations

import os
import stat
from collections import deque
from typing import List, Optional, Sequence

#: Links followed in one lookup, as the kernel's own limit.
MAX_LINKS = 40
_PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def open_beneath(root_fd: int, parts: Sequence[str]) -> Optional[int]:
    """A read-only descriptor of the world-readable regular file at ``parts`` under ``root_fd``, else None.

    None for anything missing, unreadable, not a regular file, a folder, or
    reached only through a link that leaves the tree.  The caller closes
    the descriptor.
    """
    folders: List[int] = []          # descriptors opened here; folders[-1] is where the walk stands
    pending = deque(parts)
    links = 0
    try:
        while pending:
            name = pending.popleft()
            if name in ("", "."):
                continue
            if name == "..":
                if not folders:
                    return None      # above the tree
                os.close(folders.pop())
                continue
            here = folders[-1] if folders else root_fd
            handle = os.open(name, _PATH_FLAGS, dir_fd=here)
            info = os.fstat(handle)
            if stat.S_ISLNK(info.st_mode):
                os.close(handle)
                links += 1
                target = os.readlink(name, dir_fd=here)
                if links > MAX_LINKS or target.startswith("/"):
                    return None
                pending.extendleft(reversed(target.split("/")))
                continue
            if stat.S_ISDIR(info.st_mode):
                folders.append(handle)
                continue
            os.close(handle)
            if pending and any(p not in ("", ".") for p in pending):
                return None          # a file named as a folder
            if not stat.S_ISREG(info.st_mode) or not info.st_mode & stat.S_IROTH:
                return None
            return _reopen(name, here, info)
        return None                  # the path names a folder: no listings, no index files
    except OSError:
        return None
    finally:
        for handle in folders:
            os.close(handle)


def _reopen(name: str, folder: int, seen: os.stat_result) -> Optional[int]:
    """Open ``name`` for reading; None unless it is still the inode ``seen`` (a swap in between is refused)."""
    handle = os.open(name, _READ_FLAGS, dir_fd=folder)
    now = os.fstat(handle)
    if (now.st_dev, now.st_ino) != (seen.st_dev, seen.st_ino) or not stat.S_ISREG(now.st_mode):
        os.close(handle)
        return None
    return handle
