"""Serve a tree through a sealed, read-only bind mount in serve's own mount namespace; never delete through it.

dnsmasq drops root before it reads a file, so a tree under a private folder
(a 0700 home, a ``mktemp -d``) is out of its reach; and dnsmasq's TFTP
follows whatever link the tree's owner plants while it runs.  So ``serve``
moves itself into a mount namespace of its own and binds the tree onto a
folder in its work folder, read-only, ``nodev``, ``nosuid`` and, where the
kernel has it (5.10) and the tree holds no link, ``nosymfollow``: no link
on that mount is ever followed, whoever adds it later.  dnsmasq, its
child, sees the same mount; the namespace, and with it the mount, ends with
the process however it ends.

Mounts are found in ``/proc/self/mountinfo``, never by ``os.path.ismount``
(which does not see a bind mount of the same file system), and the work
folder is removed only when nothing is mounted below it: a failed remount,
or a signal in the middle, can leave the work folder, never empty the tree.
The mount calls are system calls (no ``mount`` program, nothing to find on
PATH).  Where no namespace can be made, a public tree is served in place
and a private one is refused in one line naming the folder to open.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import stat
from pathlib import Path
from typing import Iterator, List, Optional

from ..errors import LivepxeError

log = logging.getLogger(__name__)
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_NOSYMFOLLOW = 1, 2, 4, 32, 4096, 256
MS_REC, MS_PRIVATE = 16384, 1 << 18
MNT_DETACH = 2
#: The tree's entries looked at for links before sealing (a TFTP root is small; a huge one is not sealed).
SCAN_LIMIT = 100_000


def closed_folder(root: Path) -> Optional[Path]:
    """The first folder from ``root`` up that others cannot enter, or None when the TFTP user reaches it."""
    for folder in (root, *root.parents):
        if not folder.stat().st_mode & 0o001:
            return folder
    return None


def bind_point(work: Path) -> Path:
    return work / "root"


def reachable(root: Path, work: Path) -> Path:
    """A sealed read-only bind of ``root`` inside ``work``; ``root`` itself where that cannot be made and is not needed.

    Call before any thread starts: a process with threads cannot leave its mount namespace.
    """
    closed = closed_folder(root)
    if closed is not None and root.stat().st_mode & 0o005 != 0o005:
        raise LivepxeError(f"{root} is not world-readable, so the TFTP server (which drops root) cannot read it: "
                           f"chmod o+rx {root}")
    target = bind_point(work)
    target.mkdir()
    target.chmod(0o755)
    try:
        _private_mounts()
        _mount(str(root), str(target), MS_BIND)
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
        if not holds_links(root):
            try:
                _mount(None, str(target), flags | MS_NOSYMFOLLOW)
                return target
            except OSError as exc:   # before Linux 5.10: sealed against devices, not against links added later
                log.debug("nosymfollow refused (%s); links the tree gains while served are followed by TFTP", exc)
        _mount(None, str(target), flags)
        return target
    except OSError as exc:
        if not release(work):
            raise LivepxeError(f"a bind mount of {root} could not be made read-only ({exc}) nor undone: "
                               f"{target} stays mounted in serve's namespace until it exits; nothing was "
                               "served") from None
        if closed is None:
            log.debug("serving %s in place: no private bind mount (%s)", root, exc)
            return root
        raise LivepxeError(f"{closed} is not world-searchable, so the TFTP server (which drops root) cannot read "
                           f"{root}, and a private bind mount failed ({exc.strerror or exc}): chmod o+x {closed}, "
                           "or serve a tree from a public folder such as /srv/tftp") from None


def cover(source: str, target: str) -> None:
    """Bind ``source`` (a file of serve's) over ``target`` in serve's namespace, read-only: what serves it sees ours."""
    _mount(source, target, MS_BIND)
    _mount(None, target, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def entries(root: Path) -> Iterator[Optional[str]]:
    """Every path below ``root``, links not followed; a last None when more than `SCAN_LIMIT` were there."""
    seen = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in (*dirs, *files):
            seen += 1
            if seen > SCAN_LIMIT:
                yield None
                return
            yield os.path.join(folder, name)


def holds_links(root: Path) -> bool:
    """Does the tree hold a symbolic link (or more entries than are worth looking at)?"""
    return any(path is None or stat.S_ISLNK(os.lstat(path).st_mode) for path in entries(root))


def mount_points() -> List[str]:
    """Every mount point of this process's namespace, decoded (``\\040`` is a space in mountinfo)."""
    points = []
    with open("/proc/self/mountinfo", "rb") as table:
        for line in table:
            fields = line.split(b" ")
            if len(fields) > 4:
                points.append(_unescape(fields[4]))
    return points


def mounted_below(folder: Path) -> List[str]:
    """The mount points at or below ``folder``."""
    base = os.path.realpath(folder)
    return [p for p in mount_points() if p == base or p.startswith(base.rstrip("/") + "/")]


def release(work: Path) -> bool:
    """Detach every mount at or below ``work``; True only when the mount table shows none left."""
    for point in sorted(mounted_below(work), key=len, reverse=True):
        try:
            _umount(point)
        except OSError as exc:
            log.warning("could not unmount %s: %s", point, exc)
    return not mounted_below(work)


def remove_work(work: Path) -> List[str]:
    """Remove ``work`` when nothing is mounted in it; else leave it whole.  Returns what was left (for one line)."""
    if not work.exists():
        return []
    if not release(work):
        return [str(work)]
    shutil.rmtree(work, ignore_errors=True)   # fd-based: it unlinks links, never follows them
    return [str(work)] if work.exists() else []


def _unescape(raw: bytes) -> str:
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i:i + 1] == b"\\" and raw[i + 1:i + 4].isdigit() and len(raw[i + 1:i + 4]) == 3:
            out.append(int(raw[i + 1:i + 4], 8))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return os.fsdecode(bytes(out))


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount(source: Optional[str], target: str, flags: int) -> None:
    libc = _libc()
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    src = os.fsencode(source) if source is not None else None
    if libc.mount(src, os.fsencode(target), None, flags, None) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno), target)


def _umount(target: str) -> None:
    libc = _libc()
    if libc.umount2(os.fsencode(target), MNT_DETACH) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno), target)


_entered: List[bool] = []


def _private_mounts() -> None:
    """Enter a new mount namespace whose mounts propagate nowhere (once: a serve that starts over is already in it,
    and by then has threads, which cannot leave a namespace)."""
    if _entered:
        return
    libc = _libc()
    if libc.unshare(CLONE_NEWNS) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare(CLONE_NEWNS): {os.strerror(errno)}")
    _mount(None, "/", MS_REC | MS_PRIVATE)
    _entered.append(True)
