"""What ``serve`` tells each kind of client to boot, decided once from the tree's note.

A PXE client says what it is in its DHCP request: option 93 (client
architecture: 0 BIOS, 7 or 9 x86-64 UEFI) and, when it runs iPXE, the user
class ``iPXE``.  BIOS clients get pxelinux, UEFI clients the tree's shim
(or a GRUB that names this server, see `grubearly`; UEFI HTTP Boot clients,
vendor class ``HTTPClient``, a disk image with the signed chain, see
`sbdisk`), and iPXE clients the tree's ``boot.ipxe`` over HTTP, so kernel
and initrd travel over HTTP too.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from ..errors import LivepxeError
from ..tree.layout import GRUB_PREFIX_CONFIG
from ..tree.note import TreeNote

#: The loaders an integrated tree boots through: the TFTP root's own, when it has them.
ROOT_LOADERS = {"bios": "pxelinux.0", "uefi": "bootx64.efi"}


@dataclass(frozen=True)
class Plan:
    root: Path                                 # the TFTP root; the HTTP server serves the same folder
    interface: str
    address: ipaddress.IPv4Interface
    http_port: int
    dhcp_range: Optional[Tuple[str, str]]      # None: proxyDHCP, the site hands out addresses
    bios: Optional[str]                        # boot files, paths from the root
    uefi: Optional[str]
    ipxe: Optional[str]                        # the iPXE script (fetched over HTTP); None: iPXE boots like its firmware
    grub_config: Optional[str]                 # the GRUB config UEFI clients read
    label: str                                 # the image's name, for the PXE menu
    uefi_http: Optional[str] = None            # disk image UEFI HTTP Boot clients get (`sbdisk`), from the root
    builds: Tuple[str, ...] = ()               # loaders serve makes at start (`loaders.build`)
    notes: Tuple[str, ...] = ()                # each downgrade `loaders.choose` decided, one line each
    signed_chain: Optional[Tuple[str, str]] = None   # the tree's shim and GRUB the Secure Boot disk carries
    uefi_next_server: bool = False             # the UEFI boot file finds this host only if the site's DHCP names it
    #: A catalogue root without loaders of its own: host loaders (name at the top of the served root, host
    #: file) and small configs (name, text) serve puts beside the root's entries (`loaders.build`).
    host_files: Tuple[Tuple[str, Path], ...] = ()
    made_files: Tuple[Tuple[str, str], ...] = ()

    def source(self, relpath: str) -> Path:
        """Where a served file's bytes are: a host loader serve adds, or the root's own file."""
        return dict(self.host_files).get(relpath, self.root / relpath)

    @property
    def proxy(self) -> bool:
        return self.dhcp_range is None

    @property
    def ip(self) -> str:
        return str(self.address.ip)

    @property
    def http_base(self) -> str:
        port = "" if self.http_port == 80 else f":{self.http_port}"
        return f"http://{self.ip}{port}/"

    @property
    def ipxe_url(self) -> Optional[str]:
        return self.http_base + self.ipxe if self.ipxe else None

    @property
    def uefi_http_url(self) -> Optional[str]:
        return self.http_base + self.uefi_http if self.uefi_http else None

    def routes(self) -> list[str]:
        """What each kind of client is handed, e.g. ``UEFI livepxe-grubx64.efi`` (the banner's and configs' words)."""
        routes = [f"BIOS {self.bios}" if self.bios else "", f"UEFI {self.uefi}" if self.uefi else "",
                  f"UEFI HTTP Boot (Secure Boot) {self.uefi_http_url}" if self.uefi_http_url else "",
                  f"iPXE {self.ipxe_url}" if self.ipxe_url else ""]
        return [route for route in routes if route]


def tftp_root(tree: Path, tree_note: TreeNote) -> Path:
    """The folder TFTP serves: the tree, or for an integrated image folder the root above it."""
    tree = tree.absolute()
    return tree.parents[tree_note.root_below - 1] if tree_note.root_below else tree


def make(tree: Path, tree_note: TreeNote, interface: str, address: ipaddress.IPv4Interface, http_port: int,
         dhcp_range: Optional[Tuple[str, str]] = None, ipxe_script: bool = True) -> Plan:
    root = tftp_root(tree, tree_note)
    files = dict(tree_note.boot_files.items())
    for kind, loader in ROOT_LOADERS.items():
        if files.get(kind) is None and (root / loader).is_file():
            files[kind] = loader
    if dhcp_range is not None:
        check_range(address, dhcp_range)
    if not any(files.values()):
        raise LivepxeError(f"{tree} names no boot file for any client; convert the ISO again")
    return Plan(root=root, interface=interface, address=address, http_port=http_port, dhcp_range=dhcp_range,
                bios=files.get("bios"), uefi=files.get("uefi"), ipxe=files.get("ipxe") if ipxe_script else None,
                grub_config=tree_note.configs.get("grub", GRUB_PREFIX_CONFIG if files.get("uefi") else None),
                label=tree_note.volume)


def parse_range(text: str) -> Tuple[str, str]:
    """``START,END`` as two IPv4 addresses (argparse type)."""
    parts = text.split(",")
    try:
        start, end = (ipaddress.IPv4Address(p.strip()) for p in parts)
    except ValueError:
        raise LivepxeError(f"--dhcp wants START,END (two IPv4 addresses), not {text!r}") from None
    if int(end) < int(start):
        raise LivepxeError(f"--dhcp range {text} ends before it starts")
    return str(start), str(end)


def check_range(address: ipaddress.IPv4Interface, dhcp_range: Tuple[str, str]) -> None:
    for value in dhcp_range:
        if ipaddress.IPv4Address(value) not in address.network:
            raise LivepxeError(f"--dhcp address {value} is outside {address.network}, the network of {address.ip}")
    low, high = (int(ipaddress.IPv4Address(v)) for v in dhcp_range)
    if low <= int(address.ip) <= high:
        raise LivepxeError(f"--dhcp range {dhcp_range[0]}-{dhcp_range[1]} holds this server's own address {address.ip}")
