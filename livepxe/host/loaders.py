"""Find the host's network bootloaders (pxelinux) to copy into a tree.

Distributions keep SYSLINUX in different places (`livepxe.host.table`); we
look in each, after ``$LIVEPXE_SYSLINUX_DIR`` if set.
"""

from __future__ import annotations

import os
from pathlib import Path

from .table import SYSLINUX_DIRS

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
