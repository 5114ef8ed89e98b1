"""The kernel arguments a live ISO's own boot menus give, read with the same parsers as our trees.

livecd-creator writes isolinux.cfg (syslinux) and, since 2023 by default,
grub.cfg.  We read the entries of the first config that has any and take,
for each kernel, its plain "Start" entry: not the one that runs the media
check (``rd.live.check``) nor a troubleshooting one ("basic graphics"),
preferring the menu default.  Words only a bootloader understands
(``initrd=``, ``BOOT_IMAGE=``, GRUB ``$variables``) never reach the result.
"""

from __future__ import annotations

import posixpath
import re
from typing import Mapping, Sequence

from . import grub, pxelinux
from .entry import BootEntry
from .text import kernel_words

#: Menu titles of entries that are not the plain boot (matched without syslinux's ``^`` hotkey marks).
_FALLBACK_TITLE = re.compile(r"test this media|basic graphics|troubleshoot|rescue", re.IGNORECASE)
_BOOTLOADER_ONLY = re.compile(r"^(?:initrd|BOOT_IMAGE)=|\$", re.IGNORECASE)


def parse_first(configs: Mapping[str, str]) -> tuple[list[BootEntry], str | None]:
    """Entries of the first config (in the given order) that has any, and its name."""
    for name, text in configs.items():
        parser = grub.parse if name.endswith("grub.cfg") else pxelinux.parse
        entries = parser(text, name)
        if entries:
            return entries, name
    return [], None


def _rank(position: int, entry: BootEntry) -> tuple[bool, bool, bool, int]:
    return ("rd.live.check" in kernel_words(entry.cmdline), bool(_FALLBACK_TITLE.search(entry.title.replace("^", ""))),
            not entry.default, position)


def args_for_kernel(entries: Sequence[BootEntry], kernel_name: str) -> str | None:
    """Arguments of the plain boot entry for ``kernel_name``, or None if no entry names it."""
    mine = [(i, e) for i, e in enumerate(entries)
            if posixpath.basename(e.kernel.rstrip("/")).lower() == kernel_name.lower()]
    if not mine:
        return None
    best = min(mine, key=lambda pair: _rank(*pair))[1]
    return " ".join(w for w in kernel_words(best.cmdline) if not _BOOTLOADER_ONLY.search(w))
