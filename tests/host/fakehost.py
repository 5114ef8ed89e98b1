"""Fake host roots laid out as each distribution's packages install them (public package file lists).

Every file gets distinct random bytes, so a test can tell which host file a tree carries.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The signed chain's files per distribution, as the packages in the comments install them.
SIGNED = {
    # shim-signed, grub-efi-amd64-signed
    "debian": ("usr/lib/shim/shimx64.efi.signed", "usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed"),
    # shim-signed (current shim as .latest), grub-efi-amd64-signed
    "ubuntu": ("usr/lib/shim/shimx64.efi.signed.latest", "usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed"),
    # shim-x64, grub2-efi-x64 (vendor folder on the ESP)
    "fedora": ("boot/efi/EFI/fedora/shimx64.efi", "boot/efi/EFI/fedora/grubx64.efi"),
    "redhat": ("boot/efi/EFI/redhat/shimx64.efi", "boot/efi/EFI/redhat/grubx64.efi"),
    "centos": ("boot/efi/EFI/centos/shimx64.efi", "boot/efi/EFI/centos/grubx64.efi"),
    "almalinux": ("boot/efi/EFI/almalinux/shimx64.efi", "boot/efi/EFI/almalinux/grubx64.efi"),
    "rocky": ("boot/efi/EFI/rocky/shimx64.efi", "boot/efi/EFI/rocky/grubx64.efi"),
    # shim, grub2-x86_64-efi
    "opensuse": ("usr/share/efi/x86_64/shim.efi", "usr/share/efi/x86_64/grub.efi"),
}
#: Beside the ESP pair, what an EL host has elsewhere (shim-x64 also installs EFI/BOOT's fallback copy).
EL_EXTRAS = ("boot/efi/EFI/BOOT/BOOTX64.EFI", "boot/efi/EFI/BOOT/fbx64.efi")


def fake_host(root: Path, distro: str) -> tuple[bytes, bytes]:
    """Lay out ``distro``'s signed chain under ``root``; return (shim bytes, GRUB bytes)."""
    shim_path, grub_path = SIGNED[distro]
    shim, grub = b"MZ shim " + os.urandom(64), b"MZ grub " + os.urandom(64)
    for relpath, data in ((shim_path, shim), (grub_path, grub)):
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_bytes(data)
    if shim_path.startswith("boot/efi/"):
        for extra in EL_EXTRAS:
            (root / extra).parent.mkdir(parents=True, exist_ok=True)
            (root / extra).write_bytes(b"MZ other " + os.urandom(16))
    return shim, grub
