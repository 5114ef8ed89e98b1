"""``livepxe remove ROOT IMAGEDIR``: take one image out of a catalogue root, and out of its menus, at once.

Only what that image's conversion wrote goes: its folder (refused if it
holds anything livepxe does not write there), its per-image configs, its
menu entries and the per-machine defaults that chose it.  Everything is first moved into a staging folder in the root;
a failure puts it all back.  With no image left, livepxe's menus go too, so
the root is as it was before livepxe.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .. import signals
from ..errors import LivepxeError
from ..tree.layout import DHCP_SNIPPETS, DNSMASQ, IPXE_SCRIPT, ISO_INITRD, NOTE, SUMS, check_imagedir
from ..write import safefs, staging
from . import menus, scan, settings

_IMAGE_FILE = re.compile(r"^(vmlinuz\d+|initrd\d+\.img)$")
_DHCP_DIR = DNSMASQ.split("/")[0]
_DHCP_FILES = {name.split("/")[1] for name in DHCP_SNIPPETS}
PREFIX = ".livepxe-"


def _foreign(folder_fd: int, iso_name: str) -> list[str]:
    """Entries of an image folder livepxe does not write there."""
    ours = {IPXE_SCRIPT, NOTE, SUMS, ISO_INITRD, iso_name}
    found = []
    for name in os.listdir(folder_fd):
        mode = safefs.entry_mode(folder_fd, name)
        if name == _DHCP_DIR and mode is not None and stat.S_ISDIR(mode):
            dhcp_fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder_fd)
            try:
                found += [f"{name}/{n}" for n in os.listdir(dhcp_fd) if n not in _DHCP_FILES]
            finally:
                os.close(dhcp_fd)
        elif mode is None or not stat.S_ISREG(mode) or not (name in ours or _IMAGE_FILE.match(name)):
            found.append(name)
    return found


@dataclass
class _Moves:
    """What was moved into the staging folder, to put back on failure."""

    stage_fd: int
    done: list[tuple[int, str, str]] = field(default_factory=list)   # (folder fd, name, staged name)

    def aside(self, folder_fd: int, name: str) -> None:
        staged = str(len(self.done))
        os.rename(name, staged, src_dir_fd=folder_fd, dst_dir_fd=self.stage_fd)
        self.done.append((folder_fd, name, staged))

    def put_back(self) -> None:
        for folder_fd, name, staged in reversed(self.done):
            safefs.rename_noreplace(self.stage_fd, staged, folder_fd, name)


def _folder(root_fd: int, root: Path, relpath: str, opened: list[int]) -> int | None:
    folder = relpath.rpartition("/")[0]
    if not folder:
        return root_fd
    fd = safefs.open_below(root_fd, root, folder, "remove it by hand")
    if fd is not None:
        opened.append(fd)
    return fd


def remove(root: Path, image_dir: str) -> list[str]:
    """Remove the image at ``image_dir``; returns the images left.  LivepxeError when it is not livepxe's."""
    image_dir = check_imagedir(image_dir)
    with menus.root_lock(root), signals.deferred():
        found = scan.images(root)
        image = next((i for i in found if i.image_dir == image_dir), None)
        if image is None:
            raise LivepxeError(f"{root} holds no image {image_dir} livepxe placed; `livepxe list {root}` shows them")
        rest = [i for i in found if i is not image]
        writable, _ = menus.writable(root)
        _commit(root, image, rest, writable)
    return [i.image_dir for i in rest]


def _commit(root: Path, image: scan.Image, rest: list[scan.Image], writable: list[str]) -> None:
    root_fd = safefs.open_root(root)
    opened: list[int] = []
    stage = staging.create(root_fd, root, PREFIX)
    moves = _Moves(stage.fd)
    keep = False         # a put-back failed: the staging folder holds the only copy
    try:
        folder_fd = safefs.open_below(root_fd, root, image.image_dir, "remove it by hand")
        assert folder_fd is not None  # scan found its note there
        opened.append(folder_fd)
        foreign = _foreign(folder_fd, image.note.iso_name)
        if foreign:
            raise LivepxeError(f"{root / image.image_dir} holds {', '.join(sorted(foreign)[:3])}, which livepxe "
                               "did not write; move it out first, then remove the image")
        ui = menus.ui_module(root)
        current = settings.read(root)
        chosen = current.without(image.image_dir)   # per-machine defaults naming it go with it
        staged_menus = {path: menus.render(path, rest, ui, chosen)
                        for path in menus.writable(root, chosen)[0]} if rest else {}
        if rest and chosen != current:
            staged_menus[settings.SETTINGS] = chosen.to_json()
        placed: list[str] = []
        try:
            parent_fd = _folder(root_fd, root, image.image_dir, opened)
            assert parent_fd is not None
            moves.aside(parent_fd, image.image_dir.rpartition("/")[2])
            for relpath in image.note.configs.values():
                if not relpath.startswith(image.image_dir + "/"):
                    _aside_file(root_fd, root, relpath, moves, opened)
            for relpath in writable:
                _aside_file(root_fd, root, relpath, moves, opened)
            if not rest or settings.SETTINGS in staged_menus:   # the last image: the choices go with the menus
                _aside_file(root_fd, root, settings.SETTINGS, moves, opened)
            for relpath, text in staged_menus.items():
                _place(stage.fd, root_fd, root, relpath, text, opened)
                placed.append(relpath)
        except BaseException:
            for relpath in placed:
                _unplace(root_fd, root, relpath, opened)
            keep = True
            moves.put_back()
            keep = False
            raise
    finally:
        os.close(stage.fd)
        for fd in opened:
            os.close(fd)
        os.close(root_fd)
        if not keep:
            shutil.rmtree(stage.path, ignore_errors=True)


def _aside_file(root_fd: int, root: Path, relpath: str, moves: _Moves, opened: list[int]) -> None:
    """Move a regular file into the staging folder; a missing one is fine, a link or folder is left alone."""
    folder_fd = _folder(root_fd, root, relpath, opened)
    name = relpath.rpartition("/")[2]
    if folder_fd is None:
        return
    mode = safefs.entry_mode(folder_fd, name)
    if mode is not None and stat.S_ISREG(mode):
        if menus.is_menu_path(relpath):
            text = safefs.read_small(folder_fd, name)
            if text is None or not menus.is_ours(text):
                return
        moves.aside(folder_fd, name)


def _place(stage_fd: int, root_fd: int, root: Path, relpath: str, text: str, opened: list[int]) -> None:
    """Write a menu in the staging folder, then rename it into place (never replacing: the old one is aside)."""
    made: list[str] = []
    folder = relpath.rpartition("/")[0]
    folder_fd = safefs.open_below(root_fd, root, folder, "remove it by hand", made) if folder else root_fd
    assert folder_fd is not None
    if folder_fd != root_fd:
        opened.append(folder_fd)
    name, staged = relpath.rpartition("/")[2], f"menu-{relpath.replace('/', '-')}"
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=stage_fd)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    safefs.rename_noreplace(stage_fd, staged, folder_fd, name)


def _unplace(root_fd: int, root: Path, relpath: str, opened: list[int]) -> None:
    try:
        folder_fd = _folder(root_fd, root, relpath, opened)
        if folder_fd is not None:
            os.unlink(relpath.rpartition("/")[2], dir_fd=folder_fd)
    except (OSError, LivepxeError):
        pass
