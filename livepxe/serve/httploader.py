"""A pxelinux that takes only itself over TFTP: ``lpxelinux.0`` with the tree's HTTP URL as its path prefix.

``lpxelinux.0`` speaks HTTP, and resolves every relative name — ``ldlinux.c32``,
``pxelinux.cfg/...``, kernel, initrd — against DHCP option 210 (path prefix).
A proxy offer cannot carry option 210, so the prefix is embedded in a copy
of the loader with the distribution's ``pxelinux-options`` (syslinux-utils),
as an option applied after DHCP's.  TFTP then moves 43 KB instead of the
initrd: lock-step TFTP ran at 0.7–1.6 MB/s in the QEMU tests, HTTP at line rate.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

from ..errors import LivepxeError
from ..host import loaders, run
from ..host.table import FILE_PACKAGES

IMAGE = "livepxe-lpxelinux.0"
#: The largest initrd lpxelinux.0 (syslinux 6.04, lwIP) was seen to load over HTTP in QEMU
#: (bench/serve_boot.py, BIOS lpxelinux path): 634 MiB at 7.1 MB/s; at 1058 MiB it loaded for
#: minutes and said "Boot failed", while pxelinux.0 loaded the same initrd over TFTP.  Beyond it,
#: BIOS clients without iPXE get pxelinux.0 and TFTP: slow, but it boots.
LARGEST_INITRD = 634 << 20


def carries(initrd_bytes: int) -> bool:
    """Is ``initrd_bytes`` within what lpxelinux was seen to load over HTTP?"""
    return initrd_bytes <= LARGEST_INITRD


def find() -> Optional[tuple[Path, str]]:
    """(lpxelinux.0, pxelinux-options) on this host (where `host.table` says), or None when either is missing."""
    tool = run.which("pxelinux-options")
    loader = loaders.find_files(("lpxelinux.0",))[0].get("lpxelinux.0")
    return (loader, tool) if loader is not None and tool is not None else None


def missing() -> Optional[str]:
    """What this host lacks for `build`, with the packages that install it; None when it has both."""
    if loaders.find_files(("lpxelinux.0",))[0].get("lpxelinux.0") is None:
        return f"lpxelinux.0 is missing; install {FILE_PACKAGES['lpxelinux.0'].named()}"
    if run.which("pxelinux-options") is None:
        return f"pxelinux-options is missing; install {run.packages('pxelinux-options')}"
    return None


def build(folder: Path, prefix_url: str) -> Path:
    """Write ``folder/IMAGE``: lpxelinux.0 whose path prefix is ``prefix_url`` (ends in ``/``)."""
    found = find()
    if found is None:
        raise LivepxeError(f"HTTP for BIOS clients needs lpxelinux.0 and pxelinux-options: {missing()}, or serve "
                           "with --tftp-only")
    loader, _ = found
    image = folder / IMAGE
    shutil.copyfile(loader, image)
    run.run("pxelinux-options", ["--after", "path-prefix", prefix_url, str(image)])
    image.chmod(0o644)
    return image
