"""The root-level menus of a catalogue root: where they go, when they are livepxe's, what they say.

A menu file is livepxe's when its first lines carry ``MARK``; one that is not
(the admin's own ``pxelinux.cfg/default``) is never replaced: the plan
leaves it out and says how to reach livepxe's images from it.  A machine
with its own default (``livepxe menu --mac``) gets a pxelinux file of its
own, ``pxelinux.cfg/01-<mac>`` (pxelinux reads it before ``default``);
GRUB's and iPXE's menus test the MAC themselves, so they stay one file.
"""

from __future__ import annotations

import fcntl
import os
import re
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from ..bootconf import grub, ipxe, pxelinux
from ..bootconf.menu import MenuItem
from ..errors import LivepxeError
from ..tree.layout import GRUB_PREFIX_CONFIG, IPXE_SCRIPT, PXELINUX_DIR
from ..write import safefs
from . import settings as _settings
from .scan import Image
from .settings import DEFAULTS, MenuSettings

MARK = "livepxe catalogue menu"
#: kind -> where the root's loaders look first: pxelinux's default, GRUB with prefix /grub, iPXE's chain target.
MENU_PATHS = {"pxelinux": f"{PXELINUX_DIR}/default", "grub": GRUB_PREFIX_CONFIG, "ipxe": "menu.ipxe"}
UI_MODULES = ("vesamenu.c32", "menu.c32")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]")
_MAC_FILE = re.compile(rf"^{PXELINUX_DIR}/01-([0-9a-f]{{2}}-){{5}}[0-9a-f]{{2}}$")


def mac_path(mac: str) -> str:
    """The pxelinux config a machine reads first: ``01-`` (Ethernet) and its MAC, lower case, with hyphens."""
    return f"{PXELINUX_DIR}/01-{mac.replace(':', '-')}"


def is_menu_path(relpath: str) -> bool:
    """Whether livepxe may write a menu at ``relpath`` (the root's menus and the per-machine pxelinux files)."""
    return relpath in MENU_PATHS.values() or bool(_MAC_FILE.match(relpath))


def menu_paths(chosen: MenuSettings) -> dict[str, str]:
    """relpath -> kind of every menu for these settings: the root's, and one pxelinux file per machine."""
    return {**{path: kind for kind, path in MENU_PATHS.items()},
            **{mac_path(mac): "pxelinux" for mac, _ in chosen.machines}}


def is_ours(text: str) -> bool:
    return MARK in "\n".join(text.splitlines()[:3])


def writable(root: Path, chosen: Optional[MenuSettings] = None) -> tuple[list[str], list[str]]:
    """The menu paths livepxe may write in ``root`` (free or its own) for ``chosen`` (default: the root's
    settings), and why the others are not."""
    ok, warnings = [], []
    paths = menu_paths(_settings.read(root) if chosen is None else chosen)
    root_fd = safefs.open_root(root)
    try:
        for relpath, kind in paths.items():
            folder, _, name = relpath.rpartition("/")
            try:
                folder_fd = safefs.open_below(root_fd, root, folder, "") if folder else root_fd
            except LivepxeError:  # a link or a file on the way: not written; the image's own targets say why
                warnings.append(f"{root / folder} is not a real folder, so the {kind} menu was not written")
                continue
            if folder_fd is None:
                ok.append(relpath)
                continue
            try:
                mode = safefs.entry_mode(folder_fd, name)
                text = safefs.read_small(folder_fd, name) if mode is not None and stat.S_ISREG(mode) else None
            finally:
                if folder_fd != root_fd:
                    os.close(folder_fd)
            if mode is None or (text is not None and is_ours(text)):
                ok.append(relpath)
            else:
                what = f"{kind} menu" if relpath in MENU_PATHS.values() else "per-machine pxelinux menu"
                warnings.append(f"{root / relpath} is not livepxe's, so the {what} of this root's images "
                                f"was not written; {HOW_TO_REACH[kind]}")
    finally:
        os.close(root_fd)
    return ok, warnings


HOW_TO_REACH = {
    "pxelinux": "each image has its own pxelinux.cfg/BOOTFILE: add 'LABEL x / CONFIG pxelinux.cfg/BOOTFILE' to yours",
    "grub": "each image has its own grub/BOOTFILE.cfg: add a menuentry with 'configfile /grub/BOOTFILE.cfg' to yours",
    "ipxe": "each image has its own IMAGEDIR/boot.ipxe: chain it from your script",
}


def items(images: list[Image]) -> list[MenuItem]:
    return [MenuItem(_UNSAFE.sub("-", image.image_dir), image.note.volume or image.image_dir, image.ram_mib,
                     image.note.configs["pxelinux"], image.note.configs["grub"],
                     image.note.configs.get("ipxe", f"{image.image_dir}/{IPXE_SCRIPT}"))
            for image in images]


def render(relpath: str, images: list[Image], ui: str | None, chosen: MenuSettings = DEFAULTS) -> str:
    """The menu at ``relpath`` (one of `menu_paths`) offering ``images``; the default is the admin's choice
    (``livepxe menu``) while that image is there, else the first; a machine's own, likewise."""
    entries = items(images)
    label = {image.image_dir: item.label for item, image in zip(entries, images)}
    comment = f"{MARK}: written by livepxe for {len(entries)} image(s); rewritten whenever one is added or removed"
    kind = menu_paths(chosen)[relpath]
    default = label.get(chosen.default or "")
    machines = [(mac, label[image_dir]) for mac, image_dir in chosen.machines if image_dir in label]
    if kind == "pxelinux":
        if relpath != MENU_PATHS["pxelinux"]:   # a machine's own file: its default
            default = next((lab for mac, lab in machines if mac_path(mac) == relpath), default)
            comment += "; the default of the machine this file is named after (livepxe menu --mac)"
        return pxelinux.render_menu(entries, comment, ui, chosen.timeout_s, default)
    if kind == "grub":
        return grub.render_menu(entries, comment, chosen.timeout_s, default, machines)
    return ipxe.render_menu(entries, comment, chosen.timeout_s, default=default, machines=machines)


@contextmanager
def root_lock(root: Path) -> Iterator[None]:
    """Held from reading the root's images to committing its menus, so two conversions into one root both
    end up in them (an flock on the root folder itself: no lock file in the admin's root)."""
    fd = safefs.open_root(root)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def ui_module(root: Path) -> str | None:
    """The menu module the root's pxelinux can load (it brings its own), else None: the plain prompt."""
    root_fd = safefs.open_root(root)
    try:
        for name in UI_MODULES:
            if safefs.entry_mode(root_fd, name) is not None:
                return name
        return None
    finally:
        os.close(root_fd)
