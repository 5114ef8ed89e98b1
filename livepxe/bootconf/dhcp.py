"""What DHCP must tell each kind of client, shared by the dnsmasq and ISC dhcpd snippets.

A PXE client says what it is in option 93 (client system architecture,
RFC 4578): 0 is BIOS, 7 and 9 are x86-64 UEFI.  iPXE says so in the user
class ("iPXE") and, once it runs, is better served the iPXE script than a
second loader (which would loop).  The snippets name boot files by their
path from the TFTP root; the server address is the admin's to fill in.
"""

from __future__ import annotations

from dataclasses import dataclass

#: RFC 4578 / IANA processor architecture types of x86-64 UEFI (anything else is served the BIOS loader).
ARCH_UEFI_X64 = (7, 9)
DEFAULT_TFTP_ROOT = "/srv/tftp"


@dataclass(frozen=True)
class SiteBootFiles:
    """What the site's DHCP server hands out: boot files by firmware, from ``tftp_root`` (None: not in this tree)."""

    bios: str | None
    uefi: str | None
    ipxe: str | None            # a script path, or an http:// URL to it
    tftp_root: str = DEFAULT_TFTP_ROOT


def missing_notes(files: SiteBootFiles) -> list[str]:
    """Say which firmware this tree brings no loader for (integration mode, or none on the host)."""
    return [f"No {kind} loader in this tree: keep the boot file your TFTP root already serves {kind} clients."
            for kind, path in (("BIOS", files.bios), ("UEFI", files.uefi)) if not path]
