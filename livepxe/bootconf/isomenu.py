"""Which entry of a live ISO's own boot menus is the plain start, and the kernel arguments it gives.

Live ISOs offer the same kernel several ways: "Start", "Test this media &
start" (``rd.live.check``) and a troubleshooting "basic graphics" entry.
GRUB's default is often the media check (lorax writes ``set default="1"``)
and isolinux menus mark it ``menu default``, so the default alone does not
say which entry a network client should boot: we take the plain "Start"
entry, and the default only between equally plain ones.  Words only a
bootloader understands (``initrd=``, ``BOOT_IMAGE=``, GRUB ``$variables``)
never reach the result.
"""

from __future__ import annotations

import re
from typing import Sequence

from . import grub, pxelinux
from .entry import BootEntry
from .text import kernel_words

#: Menu titles of entries that are not the plain boot (matched without syslinux's ``^`` hotkey marks): lorax's and
#: livecd-creator's check, basic graphics and troubleshooting entries, KIWI's "Failsafe --" and "Mediacheck".
_FALLBACK_TITLE = re.compile(r"test this media|basic graphics|troubleshoot|rescue|failsafe|mediacheck", re.IGNORECASE)
_BOOTLOADER_ONLY = re.compile(r"^(?:initrd|BOOT_IMAGE)=|\$", re.IGNORECASE)


def is_grub(config: str) -> bool:
    """GRUB configs are ``*grub.cfg`` (``GRUB.CFG`` in plain ISO 9660); every other config an ISO has is
    syslinux-family."""
    return config.lower().endswith("grub.cfg")


def parse(config: str, text: str) -> list[BootEntry]:
    """Entries of one of the ISO's configs, by the parser its name calls for."""
    return (grub.parse if is_grub(config) else pxelinux.parse)(text, config)


def _rank(position: int, entry: BootEntry) -> tuple[bool, bool, bool, int]:
    return ("rd.live.check" in kernel_words(entry.cmdline), bool(_FALLBACK_TITLE.search(entry.title.replace("^", ""))),
            not entry.default, position)


def start_entry(entries: Sequence[BootEntry]) -> BootEntry:
    """The plain start among ``entries`` (all for one kernel): no media check, no fallback title, then the default,
    then the first."""
    return min(enumerate(entries), key=lambda pair: _rank(*pair))[1]


def kernel_args(entry: BootEntry) -> str:
    """The entry's kernel command line without the words only its bootloader reads."""
    return " ".join(w for w in kernel_words(entry.cmdline) if not _BOOTLOADER_ONLY.search(w))
