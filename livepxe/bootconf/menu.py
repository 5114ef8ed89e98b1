"""A catalogue menu's entry: one image of a shared TFTP root, named by the per-image config of each loader.

The menus chain to the configs each conversion already wrote (pxelinux
``CONFIG``, GRUB ``configfile``, iPXE ``chain``), so an image's own boot
entries have one owner: its conversion.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MenuItem:
    label: str            # letters, digits and ._+- (made from the image folder)
    title: str            # untrusted (the ISO's volume label): each renderer cleans it its own way
    ram_mib: int          # what a client needs to boot it
    pxelinux: str         # per-image configs, paths from the TFTP root
    grub: str
    ipxe: str

    @property
    def caption(self) -> str:
        return f"{self.title} (needs {self.ram_mib} MiB RAM)"
