"""dnsmasq.conf snippets: render ours, parse any into its directives.

Quoting: dnsmasq reads ``name=value`` lines and has no quoting we can rely
on (``,`` separates fields, ``#`` after white space starts a comment, and it
reads a long line in pieces).  So a value is written only when it is made of
characters that mean nothing to dnsmasq; comments are cleaned to short
printable lines; nothing else from an ISO is written.
"""

from __future__ import annotations

import re

from .dhcp import SiteBootFiles, missing_notes
from .text import comment_lines, printable

#: Characters a dnsmasq value may hold here: a path or URL, no separator, quote, comment or space.
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9._/:+@%~?=&-]+$")
_BOOT_TAGS = {"ipxe": "tag:ipxe", "uefi": "tag:efi-x86_64,tag:!ipxe", "bios": "tag:!efi-x86_64,tag:!ipxe"}


def safe_value(value: str) -> bool:
    """Can ``value`` follow ``name=`` and mean only itself to dnsmasq?"""
    return bool(_SAFE_VALUE.match(value))


def render(files: SiteBootFiles, comment: str, folder: str | None = None) -> str:
    """A dnsmasq.conf fragment for the site's DHCP server (dnsmasq serves TFTP itself from ``tftp-root``).

    ``folder`` is where the snippets are.  A boot file dnsmasq cannot carry
    is a bug (layout names them); a TFTP root it cannot carry is the
    admin's folder, so it is left for them to set.
    """
    here = f"{folder or files.tftp_root + '/dhcp'}/dnsmasq.conf"
    where = [
        "# dnsmasq as the site's DHCP server: add this file to its configuration, beside your own",
        "# dhcp-range (addresses, router and DNS stay yours), e.g. in /etc/dnsmasq.conf:",
        f"#   conf-file={here if safe_value(here) else '/PATH/TO/THIS/FILE'}",
        "# dnsmasq names itself as next-server and serves the tree by its own TFTP server (below). TFTP",
        "# from another host instead: drop enable-tftp and tftp-root, and end each dhcp-boot line with",
        "# ,,ADDRESS of that host (e.g. dhcp-boot=tag:ipxe,boot.ipxe,,192.0.2.1).",
        "# Not for a site whose DHCP server is another program: run livepxe serve (proxyDHCP) beside it."]
    if safe_value(files.tftp_root):
        root = [f"tftp-root={files.tftp_root}"]
    else:
        root = comment_lines(f"tftp-root not written: dnsmasq cannot read the path {printable(files.tftp_root)!r}; "
                             "serve the tree from a folder whose path has no spaces, ',', '#' or quotes")
    lines = [*comment_lines(comment), *where, "",
             "# Serve the tree by dnsmasq's own TFTP server:", "enable-tftp", *root, "",
             "# Tell firmware kinds apart by option 93 (client architecture), iPXE by its user class.",
             "dhcp-match=set:efi-x86_64,option:client-arch,7",
             "dhcp-match=set:efi-x86_64,option:client-arch,9",
             "dhcp-userclass=set:ipxe,iPXE"]
    for kind, path in (("ipxe", files.ipxe), ("uefi", files.uefi), ("bios", files.bios)):
        if path is None:
            continue
        if not safe_value(path):
            raise ValueError(f"dnsmasq cannot carry the boot file {path!r}")
        lines.append(f"dhcp-boot={_BOOT_TAGS[kind]},{path}")
    lines += [f"# {line}" for line in missing_notes(files)]
    lines.append("")
    return "\n".join(lines)


def directives(text: str) -> list[tuple[str, str]]:
    """Every (name, value) dnsmasq would act on: one per line that is not blank or a comment."""
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            found.append((name.strip(), value.strip()))
    return found


def parse(text: str) -> SiteBootFiles:
    """The boot files and TFTP root a snippet of ours routes to."""
    boot: dict[str, str] = {}
    root = ""
    for name, value in directives(text):
        if name == "tftp-root":
            root = value
        elif name == "dhcp-boot":
            kind = next((k for k, tags in _BOOT_TAGS.items() if value.startswith(tags + ",")), None)
            if kind:
                boot[kind] = value[len(_BOOT_TAGS[kind]) + 1:]
    return SiteBootFiles(boot.get("bios"), boot.get("uefi"), boot.get("ipxe"), root)
