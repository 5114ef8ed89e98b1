"""DHCP snippets that send each client the boot file its firmware can run.

A PXE client says what it is in option 93 (client system architecture,
RFC 4578): 0 is BIOS, 7 and 9 are x86-64 UEFI.  iPXE says so in the user
class ("iPXE") and, once it runs, is better served the iPXE script than a
second loader (which would loop).  The snippets name boot files by their
path from the TFTP root; the server address is the admin's to fill in.
"""

from __future__ import annotations

from dataclasses import dataclass

#: RFC 4578 / IANA processor architecture types we route.
ARCH_BIOS = 0
ARCH_UEFI_X64 = (7, 9)


@dataclass(frozen=True)
class BootFiles:
    """Per-firmware boot files, as paths from the TFTP root (None: not in this tree)."""

    bios: str | None
    uefi: str | None
    ipxe: str | None            # a script path, or an http:// URL to it
    tftp_root: str = "/srv/tftp"


def dnsmasq(files: BootFiles, comment: str) -> str:
    """A dnsmasq.conf fragment (dnsmasq serves TFTP itself from ``tftp-root``)."""
    lines = [f"# {comment}", "# Serve the tree by dnsmasq's own TFTP server:", "enable-tftp",
             f"tftp-root={files.tftp_root}", "",
             "# Tell firmware kinds apart by option 93 (client architecture), iPXE by its user class.",
             "dhcp-match=set:efi-x86_64,option:client-arch,7",
             "dhcp-match=set:efi-x86_64,option:client-arch,9",
             "dhcp-userclass=set:ipxe,iPXE"]
    if files.ipxe:
        lines.append(f"dhcp-boot=tag:ipxe,{files.ipxe}")
    if files.uefi:
        lines.append(f"dhcp-boot=tag:efi-x86_64,tag:!ipxe,{files.uefi}")
    if files.bios:
        lines.append(f"dhcp-boot=tag:!efi-x86_64,tag:!ipxe,{files.bios}")
    lines += [f"# {line}" for line in missing_notes(files)]
    lines.append("")
    return "\n".join(lines)


def missing_notes(files: BootFiles) -> list[str]:
    """Say which firmware this tree brings no loader for (integration mode, or none on the host)."""
    return [f"No {kind} loader in this tree: keep the boot file your TFTP root already serves {kind} clients."
            for kind, path in (("BIOS", files.bios), ("UEFI", files.uefi)) if not path]


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def isc_dhcpd(files: BootFiles, comment: str) -> str:
    """An ISC dhcpd.conf fragment for a subnet or global scope."""
    branches: list[tuple[str, str]] = []
    if files.ipxe:
        branches.append(('exists user-class and option user-class = "iPXE"', files.ipxe))
    if files.uefi:
        branches.append((" or ".join(f"option arch = 00:{a:02x}" for a in ARCH_UEFI_X64), files.uefi))
    lines = [f"# {comment}", "# Set next-server to the TFTP server holding the tree:",
             "# next-server 192.0.2.1;", *(f"# {line}" for line in missing_notes(files)),
             "option arch code 93 = unsigned integer 16;"]
    for i, (test, filename) in enumerate(branches):
        lines += [f"{'if' if i == 0 else '} elsif'} {test} {{", f"  filename {_quoted(filename)};"]
    if files.bios:
        if branches:
            lines += ["} else {", f"  filename {_quoted(files.bios)};", "}"]
        else:
            lines.append(f"filename {_quoted(files.bios)};")
    elif branches:
        lines.append("}")
    lines.append("")
    return "\n".join(lines)
