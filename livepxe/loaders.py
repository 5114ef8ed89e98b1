"""Find the host's network bootloaders (pxelinux) to copy into a tree.

Distributions keep SYSLINUX in different places; we look where Fedora/EL
and Debian/Ubuntu put them, after ``$LIVEPXE_SYSLINUX_DIR`` if set.
"""

from __future__ import annotations

import os
from pathlib import Path

SYSLINUX_DIRS = (
    "/usr/share/syslinux",              # Fedora, EL
    "/usr/lib/PXELINUX",                # Debian, Ubuntu: pxelinux.0, lpxelinux.0
    "/usr/lib/syslinux/modules/bios",   # Debian, Ubuntu: *.c32
    "/usr/lib/syslinux",
)

#: What a config with plain LABEL/KERNEL/APPEND lines needs: nothing beyond ldlinux.
PXELINUX_FILES = ("pxelinux.0", "ldlinux.c32")
#: The same for ``--http-boot``: lpxelinux.0 fetches ``http://`` paths itself (Debian: /usr/lib/PXELINUX).
LPXELINUX_FILES = ("lpxelinux.0", "ldlinux.c32")


def search_dirs() -> list[Path]:
    extra = os.environ.get("LIVEPXE_SYSLINUX_DIR")
    return [Path(d) for d in ((extra,) if extra else ()) + SYSLINUX_DIRS]


def find_files(names: tuple[str, ...] = PXELINUX_FILES) -> tuple[dict[str, Path], list[str]]:
    """Map each name to the first host file found; also return the names not found."""
    found: dict[str, Path] = {}
    for name in names:
        for directory in search_dirs():
            candidate = directory / name
            if candidate.is_file():
                found[name] = candidate
                break
    return found, [n for n in names if n not in found]
