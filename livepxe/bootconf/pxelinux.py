"""Render a pxelinux.cfg file from boot entries.

Plain ``LABEL``/``KERNEL``/``APPEND`` lines, so the only module pxelinux
needs is ``ldlinux.c32``.  The initrds go in ``initrd=a,b`` on the APPEND
line, which every SYSLINUX since 3.x understands.
"""

from __future__ import annotations

from typing import Sequence

from .entry import BootEntry


def render(entries: Sequence[BootEntry], comment: str) -> str:
    if not entries:
        raise ValueError("a pxelinux config needs at least one entry")
    several = len(entries) > 1
    lines = [f"# {comment}", f"DEFAULT {entries[0].label}",
             f"PROMPT {1 if several else 0}", f"TIMEOUT {50 if several else 1}"]
    for entry in entries:
        lines += ["", f"LABEL {entry.label}", f"  MENU LABEL {entry.title}", f"  KERNEL {entry.kernel}",
                  f"  APPEND initrd={','.join(entry.initrds)} {entry.cmdline}"]
    lines += ["", "ONERROR LOCALBOOT 0", ""]
    return "\n".join(lines)
