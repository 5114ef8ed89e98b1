"""Let the TFTP server reach a tree under a private folder (a 0700 home, a ``mktemp -d``).

dnsmasq drops root before it reads a file, so every folder above the tree
must be world-searchable.  Rather than ask the user to open their home
folder, ``serve`` moves itself into a mount namespace of its own and binds
the tree read-only onto a folder in its (world-searchable) work folder;
dnsmasq, its child, sees the same mount.  The namespace, and with it the
mount, ends with the process however it ends: nothing to clean up.  Where
that is impossible (no ``CAP_SYS_ADMIN``, no ``mount``), the old refusal
stands, naming the folder to open.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Optional

from ..errors import LivepxeError

log = logging.getLogger(__name__)
CLONE_NEWNS = 0x00020000


def closed_folder(root: Path) -> Optional[Path]:
    """The first folder from ``root`` up that others cannot enter, or None when the TFTP user reaches it."""
    for folder in (root, *root.parents):
        if not folder.stat().st_mode & 0o001:
            return folder
    return None


def reachable(root: Path, work: Path) -> Path:
    """``root`` itself when the TFTP user reaches it, else a private read-only bind of it inside ``work``.

    Call before any thread starts: a process with threads cannot leave its mount namespace.
    """
    closed = closed_folder(root)
    if closed is None:
        return root
    if root.stat().st_mode & 0o005 != 0o005:
        raise LivepxeError(f"{root} is not world-readable, so the TFTP server (which drops root) cannot read it: "
                           f"chmod o+rx {root}")
    target = bind_point(work)
    target.mkdir()
    target.chmod(0o755)
    try:
        _private_mounts()
        _run(["mount", "--bind", str(root), str(target)])
        _run(["mount", "-o", "remount,bind,ro", str(target)])
    except (OSError, LivepxeError) as exc:
        release(work)
        log.debug("private bind mount failed: %s", exc)
        raise LivepxeError(f"{closed} is not world-searchable, so the TFTP server (which drops root) cannot read "
                           f"{root}, and a private bind mount failed ({exc}): chmod o+x {closed}, or serve a tree "
                           "from a public folder such as /srv/tftp") from None
    log.debug("serving %s through a private bind mount at %s", root, target)
    return target


def bind_point(work: Path) -> Path:
    return work / "root"


def release(work: Path) -> bool:
    """Unmount the bind in ``work`` if there is one; False when it is still mounted (never delete through it)."""
    target = bind_point(work)
    if os.path.ismount(target):
        try:
            _run(["umount", "--lazy", str(target)])
        except LivepxeError as exc:
            log.warning("could not unmount %s: %s", target, exc)
    return not os.path.ismount(target)


def _private_mounts() -> None:
    """Enter a new mount namespace whose mounts propagate nowhere."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare(CLONE_NEWNS): {os.strerror(errno)}")
    _run(["mount", "--make-rprivate", "/"])


def _run(cmd: list[str]) -> None:
    tool = shutil.which(cmd[0]) or shutil.which(cmd[0], path="/usr/bin:/bin:/usr/sbin:/sbin")
    if tool is None:
        raise LivepxeError(f"{cmd[0]} not found (util-linux)")
    proc = subprocess.run([tool, *cmd[1:]], capture_output=True, text=True)
    if proc.returncode != 0:
        raise LivepxeError(f"{' '.join(cmd)}: {(proc.stderr or proc.stdout).strip()[-160:]}")
