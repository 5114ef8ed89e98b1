"""A catalogue root as ``serve`` sees it: one tree whose boot configs are the root's menus.

``serve ROOT`` builds its one plan from a note like a tree's: the menus are
the configs, and the largest image decides what lpxelinux must carry.  A
root without loaders of its own (a lab root livepxe filled) gets the host's:
pxelinux, and the signed shim + GRUB (or an unsigned GRUB image), which
``serve`` puts beside the root's entries, never into it.  The images
themselves are verified one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import __version__
from ..host import efi, loaders
from ..tree.layout import GRUB_PREFIX_CONFIG
from ..tree.note import BootFiles, ClientRam, TreeNote
from . import menus
from .scan import Image

#: Loaders a root may already have at its top, by firmware (the root's own are served as they are).
ROOT_BIOS = ("pxelinux.0",)
ROOT_UEFI = ("bootx64.efi", efi.UNSIGNED_IMAGE)


@dataclass
class RootLoaders:
    """What serve hands out to each firmware for a catalogue root, and the host files it adds for that."""

    bios: str | None = None
    uefi: str | None = None
    uefi_kind: str | None = None
    signed: bool = False
    files: dict[str, Path] = field(default_factory=dict)    # name at the top of the served root -> host file
    texts: dict[str, str] = field(default_factory=dict)     # name -> text (where the chain's GRUB looks first)


def _bios(root: Path, found: RootLoaders, warn: Callable[[str], None]) -> None:
    own = next((n for n in ROOT_BIOS if (root / n).is_file()), None)
    if own:
        found.bios = own
        return
    host, missing = loaders.find_files(loaders.PXELINUX_FILES)
    if missing:
        warn(f"{root} has no pxelinux.0 and this host lacks {', '.join(missing)}: BIOS clients without iPXE get "
             "nothing; install pxelinux + syslinux-common (Debian) or syslinux-nonlinux (Fedora/EL)")
        return
    found.files.update(host)
    found.bios = "pxelinux.0"


def _uefi(root: Path, scratch: Path, found: RootLoaders, warn: Callable[[str], None]) -> None:
    own = next((n for n in ROOT_UEFI if (root / n).is_file()), None)
    if own:
        found.uefi = own
        return
    chain = efi.find_loaders(scratch, warn)
    if chain is None:
        warn(f"{root} has no UEFI loader and {efi.MISSING_HINT}")
        return
    found.files.update(chain.files)
    found.uefi, found.uefi_kind, found.signed = chain.boot_file, chain.kind, chain.signed
    if chain.config != GRUB_PREFIX_CONFIG and not (root / chain.config).exists():
        # Fedora's and EL's GRUB read grub.cfg beside themselves; the catalogue menu is grub/grub.cfg
        found.texts[chain.config] = f"configfile /{GRUB_PREFIX_CONFIG}\n"


def root_loaders(root: Path, scratch: Path, warn: Callable[[str], None]) -> RootLoaders:
    """The root's own loaders, else the host's (an unsigned GRUB image is made in ``scratch``)."""
    found = RootLoaders()
    _bios(root, found, warn)
    _uefi(root, scratch, found, warn)
    return found


def as_note(root: Path, images: list[Image], found: RootLoaders) -> TreeNote | None:
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
        boot_files=BootFiles(bios=found.bios, uefi=found.uefi, ipxe=configs.get("ipxe")), configs=configs,
        uefi_loaders=found.uefi_kind, uefi_signed=found.signed)
