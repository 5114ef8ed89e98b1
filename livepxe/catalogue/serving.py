"""A catalogue root as ``serve`` sees it: one tree whose boot configs are the root's menus.

``serve ROOT`` builds its one plan from a note like a tree's: the menus are
the configs, the root's own loaders the boot files (``serve.plan`` finds
them), and the largest image decides what lpxelinux must carry.  The images
themselves are verified one by one.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..note import BootFiles, ClientRam, TreeNote
from . import menus
from .scan import Image


def as_note(root: Path, images: list[Image]) -> TreeNote | None:
    """The note ``serve`` plans from for a root holding ``images``; None without images or livepxe menus."""
    written, _ = menus.writable(root)
    configs = {kind: path for kind, path in menus.MENU_PATHS.items()
               if path in written and (root / path).is_file()}
    if not images or not configs:
        return None
    biggest = max(images, key=lambda image: image.note.initrd_bytes).note
    return TreeNote(
        livepxe=__version__, iso="", volume=f"livepxe catalogue ({len(images)} images)", iso_name="",
        image_dir="", integrated=False, mode="catalogue", payload=biggest.payload, compress=biggest.compress,
        checksums=False, iso_url=None, initrd_bytes=biggest.initrd_bytes,
        client_ram_mib=ClientRam(bundled=max(i.note.client_ram_mib.bundled for i in images),
                                 http=max(i.note.client_ram_mib.http for i in images)),
        boot_files=BootFiles(ipxe=configs.get("ipxe")), configs=configs, uefi_loaders=None, uefi_signed=False)
