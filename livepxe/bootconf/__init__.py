"""Boot configuration formats: for each, its renderer, its parser and its quoting rules side by side.

One module per format: ``pxelinux``, ``grub``, ``ipxe`` (boot entries),
``dnsmasq``, ``dhcpd`` and ``kea`` (DHCP snippets for the site's own server).  Entry formats render
:class:`BootEntry` values and parse their own text back into them, so the
engine, ``verify``, the boot harness and the reader of an ISO's own menus
(``isomenu``) all read configs the same way.  Text an ISO chose (labels,
file names, kernel arguments) is data to every renderer: `printable` shows
it, each format's ``carries`` says which kernel words it can pass on
unchanged, and a renderer refuses any it cannot.
"""

from __future__ import annotations

import posixpath
import re
from types import ModuleType
from typing import Sequence

from . import grub, ipxe, pxelinux
from .entry import BootEntry
from .text import kernel_words, printable

__all__ = ["BootEntry", "FORMATS", "add_kernel_args", "carried_cmdline", "kind_of", "parse", "printable",
           "tree_entries", "tree_path"]

#: The formats that carry boot entries, by the name `kind_of` gives.
FORMATS: dict[str, ModuleType] = {"pxelinux": pxelinux, "grub": grub, "ipxe": ipxe}
_GRUB_DEVICE = re.compile(r"^\([^)]*\)|^\$\{root\}|^\$root(?![A-Za-z0-9_])")


def kind_of(relpath: str) -> str | None:
    """The entry format of a tree file, by its path from the TFTP root (None: not a boot-entry config)."""
    name = posixpath.basename(relpath)
    if relpath.startswith("pxelinux.cfg/"):
        return "pxelinux"
    if name == "grub.cfg" or (relpath.startswith("grub/") and name.endswith(".cfg")):
        return "grub"
    if name.endswith(".ipxe"):
        return "ipxe"
    return None


def parse(kind: str, text: str, path: str = "") -> list[BootEntry]:
    """The entries of a ``kind`` config, with paths as it names them; ``path`` is recorded as their ``config``."""
    return FORMATS[kind].parse(text, path)


def tree_path(kind: str, path: str, config: str) -> str:
    """Where ``path``, as the ``kind`` config at ``config`` names it, is under the TFTP root (URLs as they are).

    GRUB names files on ``$root`` (the TFTP server), so ``(dev)`` and
    ``$root`` prefixes go, and a file on GRUB's ``(http,HOST)`` device is
    its URL (``grub.url_of``); iPXE resolves a relative URI against the script's
    own; pxelinux against its boot file's folder, the TFTP root in a tree.
    A path that climbs out of the root keeps its leading ``..``.
    """
    if "://" in path:
        return path
    if kind == "grub":
        url = grub.url_of(path)
        if url is not None:
            return url
        path = _GRUB_DEVICE.sub("", path)
    elif kind == "pxelinux" and path.startswith("::"):
        path = path[2:]
    base = posixpath.dirname(config) if kind == "ipxe" and not path.startswith("/") else ""
    return posixpath.normpath(posixpath.join(base, path.lstrip("/")))


def tree_entries(kind: str, text: str, config: str) -> list[BootEntry]:
    """`parse`, with kernel and initrd paths from the TFTP root (what ``verify`` checks)."""
    return [BootEntry(e.label, e.title, tree_path(kind, e.kernel, config),
                      tuple(tree_path(kind, p, config) for p in e.initrds), e.cmdline, e.default, config)
            for e in parse(kind, text, config)]


def add_kernel_args(kind: str, text: str, args: Sequence[str]) -> str:
    """The ``kind`` config ``text`` with ``args`` on every kernel command line that lacks them.

    Line edits: everything else in the config stays as written.  Raises
    ValueError for an argument the format cannot carry.
    """
    return FORMATS[kind].add_kernel_args(text, args)


def carried_cmdline(cmdline: str) -> tuple[str, list[str]]:
    """``cmdline`` without the words some entry format cannot carry unchanged, and those words.

    Every boot path must boot the same arguments, so a word goes when any
    format refuses it; the caller tells the user which.
    """
    kept: list[str] = []
    dropped: list[str] = []
    for word in kernel_words(cmdline):
        (kept if all(fmt.carries(word) for fmt in FORMATS.values()) else dropped).append(word)
    return " ".join(kept), dropped
