"""Boot a tree the ways clients do: BIOS/pxelinux, UEFI/GRUB over TFTP, iPXE over HTTP.

QEMU's user network has a DHCP and TFTP server built in and reaches the
host's loopback as 10.0.2.2, so a loopback HTTP server (`serve_http`)
serves iPXE and dracut's livenet.

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
import functools
import http.server
import threading
from pathlib import Path
from typing import Iterator

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
               console_log: Path, mac: str = DEFAULT_MAC, firmware: Path | None = None) -> BootResult:
    """Boot ``route`` from ``tftp_root`` (served over HTTP as well for ipxe)."""
    assert route.bootfile is not None
    if route.mode == "ipxe":
        with serve_http(tftp_root) as port:
            url = f"http://{GUEST_HOST}:{port}/{route.bootfile}"
            return boot(machine(route.mode, tftp_root, url, memory_mib, mac, firmware), watch, accel=accel,
                        timeout=timeout, console_log=console_log)
    return boot(machine(route.mode, tftp_root, route.bootfile, memory_mib, mac, firmware), watch, accel=accel,
                timeout=timeout, console_log=console_log)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve_http(directory: Path, port: int = 0) -> Iterator[int]:
    """Serve ``directory`` on 127.0.0.1 (the guest's 10.0.2.2) for the duration; yields the port.

    The folder is looked up per request, so it may be created after the server starts.
    """
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, name="livepxe-http", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
