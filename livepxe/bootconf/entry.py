"""What one boot menu entry says, whatever the bootloader: what renderers take and parsers give back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class BootEntry:
    """A kernel, its initrds and arguments, with paths as the config names them.

    ``default`` marks the entry the loader boots unattended (renderers make
    the first entry the default when none is marked); ``config`` is the file
    a parsed entry was read from, empty for entries about to be rendered.
    """

    label: str
    title: str
    kernel: str
    initrds: tuple[str, ...]
    cmdline: str
    default: bool = False
    config: str = ""


def default_entry(entries: Sequence[BootEntry]) -> BootEntry:
    """The entry a renderer makes the default: the one marked so, else the first."""
    if not entries:
        raise ValueError("a boot config needs at least one entry")
    return next((e for e in entries if e.default), entries[0])
