"""Boot a tree the ways clients do: BIOS/pxelinux, UEFI/GRUB, iPXE over HTTP (on `boottest`'s harness).

QEMU's user network has a DHCP and TFTP server built in and reaches the
host's loopback as 10.0.2.2, so a loopback HTTP server (`serve_http`)
serves iPXE and dracut's livenet.

UEFI boots OVMF with no option ROM on a virtio NIC, so OVMF's own network
stack does PXE: shim fetching ``grubx64.efi`` through iPXE's EFI PXE base
code gets a 4 MiB buffer in place of the file's size and rejects it
("Malformed binary after Attribute Certificate Table"; seen with Debian's
shim 16.1 and ipxe-qemu 1.0.0+git-20190125).  Firmware PXE on real
machines, and OVMF's, report the size.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from . import overlay as bootoverlay
from . import host as qemuhost
from .machine import BootResult, Machine, Watch, boot, default_timeout
from ..errors import LivepxeError
from ..verify import config_kind

OVMF_CANDIDATES = ("/usr/share/ovmf/OVMF.fd", "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_CODE.fd")
GUEST_HOST = "10.0.2.2"
MODES = ("bios", "uefi", "ipxe")
DEFAULT_BOOT_FILES = {"bios": "pxelinux.0", "uefi": "bootx64.efi", "ipxe": "boot.ipxe"}


def ovmf_firmware() -> Path:
    for candidate in OVMF_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise LivepxeError("no OVMF firmware for UEFI boots; install ovmf (Debian) or edk2-ovmf (Fedora)")


def accel_choice() -> str:
    """``$LIVEPXE_QEMU_ACCEL`` (auto|kvm|tcg), else TCG: network boots have no kernel to probe KVM with."""
    return os.environ.get("LIVEPXE_QEMU_ACCEL", "tcg")


def machine(tftp_root: Path, bootfile: str, firmware: str, ram_mib: int) -> Machine:
    """The QEMU machine for one network boot; ``firmware`` is "bios" or "uefi"."""
    if firmware == "uefi":
        return Machine(memory_mib=ram_mib, firmware=ovmf_firmware(), tftp_root=tftp_root, bootfile=bootfile,
                       nic="virtio-net-pci", nic_rom=False)
    if firmware == "bios":
        return Machine(memory_mib=ram_mib, tftp_root=tftp_root, bootfile=bootfile)
    raise ValueError(f"firmware must be bios or uefi, not {firmware!r}")


def boot_once(tftp_root: Path, bootfile: str, firmware: str, log: Path, marker: str | None,
              timeout: float | None = None, ram_mib: int = 1024) -> BootResult:
    """Boot once; pass on ``marker`` (or, without one, any sign of the live root's userspace)."""
    watch = Watch.marker(marker) if marker else Watch()
    accel = qemuhost.choose_accel(accel_choice(), None)
    limit = timeout or default_timeout(accel.name) + 120
    return boot(machine(tftp_root, bootfile, firmware, ram_mib), watch, accel=accel, timeout=limit,
                console_log=log)


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


def boot_mode(tree: Path, mode: str, log: Path, marker: str | None, timeout: float | None = None,
              ram_mib: int = 1024, boot_files: dict[str, str | None] | None = None) -> BootResult:
    """Boot a self-contained tree by ``mode``: bios (pxelinux, TFTP), uefi (GRUB, TFTP), ipxe (boot.ipxe, HTTP)."""
    bootfile = (boot_files or DEFAULT_BOOT_FILES).get(mode)
    if not bootfile or not (tree / bootfile).is_file():
        raise LivepxeError(f"{tree} has no {mode} boot file ({bootfile or 'none'}); convert on a host with its loaders")
    if mode == "ipxe":
        with serve_http(tree) as port:
            return boot_once(tree, f"http://{GUEST_HOST}:{port}/{bootfile}", "bios", log, marker, timeout, ram_mib)
    return boot_once(tree, bootfile, mode, log, marker, timeout, ram_mib)


#: Lines that carry kernel arguments, per config kind.
_KERNEL_LINE = {"pxelinux": "APPEND ", "grub": "linux ", "ipxe": "kernel "}


def serial_overlay(root: Path, dest: Path) -> Path:
    """A TFTP root mirroring ``root`` by symlinks, its pxelinux, GRUB and iPXE configs copied with a serial console.

    Live images print to the screen only; the boot check reads the serial
    port, so the kernel is told to use it, without touching the user's tree.
    """
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        target = dest / rel
        if path.is_dir() and not path.is_symlink():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        kind = config_kind(rel.as_posix())
        if kind is None:
            target.symlink_to(path.absolute())
            continue
        lines = []
        for line in path.read_text(errors="replace").splitlines():
            if line.strip().upper().startswith(_KERNEL_LINE[kind].upper()):
                line += "".join(f" {a}" for a in bootoverlay.CONSOLE_ARGS if a.split("=")[0] + "=" not in line)
            lines.append(line)
        target.write_text("\n".join(lines) + "\n")
    return dest


def boot_tree(root: Path, args) -> int:
    """``verify --boot``: boot a self-contained tree by each path it has; 0 when all reach userspace."""
    note_path = root / "livepxe.json"
    note = json.loads(note_path.read_text()) if note_path.is_file() else {}
    files = note.get("boot_files") or {}
    modes = [m for m in MODES if files.get(m) and (root / files[m]).is_file()
             and (not getattr(args, "only", None) or m in args.only)]
    if not modes:
        print(f"boot: {root} has no boot files of its own for {', '.join(args.only or MODES)} (integration "
              "trees boot through the TFTP root's loaders; use livepxe boot-test with --config there)")
        return 1
    ram = args.ram or max(1024, int(note.get("client_ram_mib", {}).get("bundled", 0)) + 256)
    status = 0
    with tempfile.TemporaryDirectory(prefix="livepxe-boot-") as tmp:
        overlay = serial_overlay(root, Path(tmp) / "tftp")
        for mode in modes:
            result = boot_mode(overlay, mode, Path(tmp) / f"{mode}.log", args.marker, args.timeout, ram, files)
            steps = ", ".join(f"{name} at {t:.0f} s" for name, t in result.milestones.items())
            print(f"boot {mode}: {result.summary()} [{ram} MiB]" + (f"; {steps}" if steps else ""))
            if not result.passed:
                status = 1
                print("\n".join("    " + line for line in result.last_lines()))
    return status
