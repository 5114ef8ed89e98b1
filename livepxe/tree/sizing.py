"""Size guidance: when a bundled initrd is too big to fetch the way the client fetches it.

Limits (see shared field notes): TFTP without RFC 2348 block-size
negotiation or block-number rollover stops at 65535 blocks of 512 bytes =
32 MiB; GRUB on some UEFI firmware runs out of memory for initrds of a few
hundred MiB and the EFI stub fails near 1 GiB; legacy BIOS loaders are
often capped at 2-3 GiB.  Fetching the ISO by URL (dracut's livenet) keeps
the initrd at the dracut image's size and saves one copy of the ISO in RAM.
"""

from __future__ import annotations

from .ram import MIB

TFTP_PLAIN_LIMIT = 65535 * 512          # bytes over 512-byte TFTP blocks
UEFI_GRUB_RISK = 512 * MIB
EFI_STUB_RISK = 1024 * MIB
BIOS_LOADER_RISK = 2048 * MIB
HTTP_HINT = "serve it over HTTP (iPXE's boot.ipxe), or let the client download the ISO with --http-url"


def initrd_warnings(initrd_bytes: int) -> list[str]:
    """Warnings for a client that must load ``initrd_bytes`` of initrd; empty when small."""
    size = f"{initrd_bytes / MIB:.0f} MiB"
    notes = []
    if initrd_bytes > TFTP_PLAIN_LIMIT:
        notes.append(f"clients load {size} of initrd: TFTP servers or clients without block-size negotiation "
                     f"(RFC 2348) stop at 32 MiB, and TFTP is slow for large files; {HTTP_HINT}")
    if initrd_bytes > BIOS_LOADER_RISK:
        notes.append(f"{size} of initrd is past what legacy BIOS loaders (pxelinux) and many UEFI firmwares "
                     "can load; use --http-url, or --payload liveos to shrink it")
    elif initrd_bytes > EFI_STUB_RISK:
        notes.append(f"{size} of initrd is near the EFI stub's limit (\"Failed to alloc highmem\" near 1 GiB) "
                     "on some UEFI clients; test one, or use --http-url")
    elif initrd_bytes > UEFI_GRUB_RISK:
        notes.append(f"{size} of initrd: GRUB on some UEFI firmware runs out of memory for initrds this "
                     "large; test a UEFI client, or use --http-url")
    return notes
