"""What one network-boot menu entry says, whatever the bootloader."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BootEntry:
    """A kernel, its initrds and arguments, with paths as the config must name them."""

    label: str
    title: str
    kernel: str
    initrds: tuple[str, ...]
    cmdline: str
