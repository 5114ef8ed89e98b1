"""Boot a tree the ways clients do: BIOS/pxelinux, UEFI/GRUB over TFTP, iPXE over HTTP.

QEMU's user network has a DHCP and TFTP server built in and reaches the
host's loopback as 10.0.2.2, so a loopback HTTP server (`serve_http`)
serves iPXE and dracut's livenet.  A tree converted with ``--http-boot
URL`` has its TFTP root served at that URL's path and port when URL names
10.0.2.2 (`serve_base`; port 80 binds the host's loopback port 80).  A
server elsewhere cannot be stood in for: slirp's ``guestfwd`` could route
another address of the guest network to a loopback port, but moved the
79 MiB fixture initrd at a few hundred KB/s (iPXE had not finished it
after 383 s), so it is not used.

BIOS and iPXE boot SeaBIOS with the NIC's iPXE ROM.  UEFI boots OVMF with
no option ROM on a virtio NIC, so OVMF's own network stack does PXE: shim
fetching ``grubx64.efi`` through iPXE's EFI PXE base code gets a 4 MiB
buffer in place of the file's size and rejects it ("Malformed binary after
Attribute Certificate Table"; seen with Debian's shim 16.1 and ipxe-qemu
1.0.0+git-20190125).  Firmware PXE on real machines, and OVMF's, report
the size.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from ..serve.http import TreeServer
from . import host
from .machine import DEFAULT_MAC, BootResult, Machine, Watch, boot
from .tree import Route

GUEST_HOST = "10.0.2.2"


def machine(mode: str, tftp_root: Path, bootfile: str, memory_mib: int, mac: str = DEFAULT_MAC,
            firmware: Path | None = None) -> Machine:
    """The QEMU machine for one network boot; for ipxe, ``bootfile`` is the script's URL."""
    if mode == "uefi":
        return Machine(memory_mib=memory_mib, firmware=firmware or host.ovmf_firmware(), tftp_root=tftp_root,
                       bootfile=bootfile, mac=mac, nic="virtio-net-pci", nic_rom=False)
    if mode in ("bios", "ipxe"):
        return Machine(memory_mib=memory_mib, firmware=firmware, tftp_root=tftp_root, bootfile=bootfile, mac=mac)
    raise ValueError(f"mode must be bios, uefi or ipxe, not {mode!r}")


def boot_route(route: Route, tftp_root: Path, memory_mib: int, watch: Watch, accel: host.Accel, timeout: float,
               console_log: Path, mac: str = DEFAULT_MAC, firmware: Path | None = None,
               http_base: str | None = None) -> BootResult:
    """Boot ``route`` from ``tftp_root`` (served over HTTP as well for ipxe, and at ``http_base`` if given)."""
    assert route.bootfile is not None
    with contextlib.ExitStack() as stack:
        if http_base:
            stack.enter_context(serve_base(http_base, tftp_root))
        bootfile = route.bootfile
        if route.mode == "ipxe":
            port = stack.enter_context(serve_http(tftp_root))
            bootfile = f"http://{GUEST_HOST}:{port}/{route.bootfile}"
        return boot(machine(route.mode, tftp_root, bootfile, memory_mib, mac, firmware), watch, accel=accel,
                    timeout=timeout, console_log=console_log)


def unreachable(base: str) -> str:
    """Why QEMU's user network cannot stand in for the server at ``base`` ("" when it can)."""
    if urlsplit(base).hostname == GUEST_HOST:
        return ""
    return (f"its --http-boot URL {base} names a server QEMU's user network cannot stand in for; "
            f"boot-test a tree converted with http://{GUEST_HOST}[:PORT]/…")


@contextlib.contextmanager
def serve_base(base: str, directory: Path) -> Iterator[int]:
    """Serve ``directory`` where the guest finds ``base`` (on 10.0.2.2: the host's loopback); yields the port."""
    reason = unreachable(base)
    if reason:
        raise ValueError(reason)
    parts = urlsplit(base)
    with serve_http(directory, parts.port or 80, parts.path) as port:
        yield port


@contextlib.contextmanager
def serve_http(directory: Path, port: int = 0, prefix: str = "/") -> Iterator[int]:
    """Serve ``directory`` on 127.0.0.1 (the guest's 10.0.2.2) at URL path ``prefix``; yields the port.

    serve's own HTTP server, in its mode for a folder of the harness's: looked up per request, so it
    may be created after the server starts, and the overlay's links are followed.
    """
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    with TreeServer(directory, "127.0.0.1", port, lambda request: None, prefix=prefix, follow_links=True) as server:
        yield server.port
