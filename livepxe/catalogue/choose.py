"""``livepxe menu ROOT``: the admin chooses the image that boots unattended (for all, or for one MAC) and
the timeout.

The choice is saved in the root (``settings``) and every livepxe menu is
rewritten with it at once: each new file is written in a staging folder of
the root, then renamed over the old one, under the root's lock.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional

from .. import signals
from ..errors import LivepxeError
from ..write import safefs, staging
from . import menus, scan, settings
from .remove import PREFIX


def choose(root: Path, default: Optional[str], timeout_s: Optional[int], mac: Optional[str] = None,
           forget: bool = False) -> settings.MenuSettings:
    """Save the choices given (others kept) and rewrite the menus; LivepxeError for an unknown image.

    With ``mac``, ``default`` is that machine's (``forget``: it has none again); a per-machine pxelinux
    file no longer chosen is removed when it is livepxe's.
    """
    with menus.root_lock(root), signals.deferred():
        found = scan.images(root)
        if not found:
            raise LivepxeError(f"{root} holds no image livepxe placed: convert one with --tftproot first")
        held = [image.image_dir for image in found]
        if default is not None and default not in held:
            raise LivepxeError(f"{root} holds no image {default}; choose one of {', '.join(held)}")
        current = settings.read(root)
        chosen = settings.MenuSettings(current.default if mac is not None or default is None else default,
                                       timeout_s if timeout_s is not None else current.timeout_s,
                                       current.machines)
        if mac is not None and (default is not None or forget):
            chosen = chosen.machine(mac, None if forget else default)
        old, _ = menus.writable(root, current)
        writable, _ = menus.writable(root, chosen)
        ui = menus.ui_module(root)
        files = {settings.SETTINGS: chosen.to_json(), **{p: menus.render(p, found, ui, chosen) for p in writable}}
        _replace_all(root, files)
        _drop_stale(root, [p for p in old if p not in writable])
    return chosen


def _drop_stale(root: Path, paths: list[str]) -> None:
    """Remove the per-machine menus no machine is given any more (only livepxe's own)."""
    root_fd = safefs.open_root(root)
    try:
        for relpath in paths:
            folder, _, name = relpath.rpartition("/")
            folder_fd = safefs.open_below(root_fd, root, folder, "") if folder else root_fd
            if folder_fd is None:
                continue
            try:
                text = safefs.read_small(folder_fd, name)
                if text is not None and menus.is_ours(text):
                    os.unlink(name, dir_fd=folder_fd)
            finally:
                if folder_fd != root_fd:
                    os.close(folder_fd)
    finally:
        os.close(root_fd)


def _replace_all(root: Path, files: dict[str, str]) -> None:
    root_fd = safefs.open_root(root)
    stage = staging.create(root_fd, root, PREFIX)
    try:
        for index, (relpath, text) in enumerate(files.items()):
            staged = f"new-{index}"
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=stage.fd)
            with os.fdopen(fd, "w") as out:
                out.write(text)
            folder, _, name = relpath.rpartition("/")
            folder_fd = safefs.open_below(root_fd, root, folder, "remove it by hand", []) if folder else root_fd
            assert folder_fd is not None
            try:
                os.rename(staged, name, src_dir_fd=stage.fd, dst_dir_fd=folder_fd)  # a link there is replaced
            finally:
                if folder_fd != root_fd:
                    os.close(folder_fd)
    finally:
        os.close(stage.fd)
        os.close(root_fd)
        shutil.rmtree(stage.path, ignore_errors=True)
