"""Boot a tree in QEMU the ways clients do: BIOS/pxelinux, UEFI/GRUB, iPXE over HTTP.

QEMU's user network has a DHCP and TFTP server built in (``tftp=``,
``bootfile=``) and reaches the host's loopback as 10.0.2.2, so a loopback
HTTP server (``serve_http``) serves iPXE and dracut's livenet.  The serial
console goes to a file; a boot passes when the live root's marker line
appears there.

UEFI runs OVMF with the NIC's option ROM disabled, so OVMF's own network
stack does PXE: shim fetching ``grubx64.efi`` through iPXE's EFI PXE base
code gets a 4 MiB buffer in place of the file's size and rejects it
("Malformed binary after Attribute Certificate Table"; seen with Debian's
shim 16.1 and ipxe-qemu 1.0.0+git-20190125), which firmware PXE on real
machines does not do.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .errors import LivepxeError

OVMF_CANDIDATES = ("/usr/share/ovmf/OVMF.fd", "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_CODE.fd")
GUEST_HOST = "10.0.2.2"
MAC = "52:54:00:12:34:56"
MODES = ("bios", "uefi", "ipxe")


@dataclass
class BootRun:
    mode: str
    passed: bool
    seconds: float
    accel: str
    log: Path
    command: list[str] = field(default_factory=list)

    def tail(self, lines: int = 25) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.replace("\r", "").splitlines()[-lines:])


def qemu_binary() -> str:
    found = shutil.which("qemu-system-x86_64")
    if not found:
        raise LivepxeError("qemu-system-x86_64 not found; install qemu-system-x86 (Debian) or qemu-system-x86-core (Fedora)")
    return found


def ovmf_firmware() -> Path:
    for candidate in OVMF_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise LivepxeError("no OVMF firmware for UEFI boots; install ovmf (Debian) or edk2-ovmf (Fedora)")


def accelerator() -> str:
    """TCG unless ``$LIVEPXE_QEMU_ACCEL`` says otherwise (nested KVM hangs stock kernels here)."""
    return os.environ.get("LIVEPXE_QEMU_ACCEL", "tcg")


def qemu_command(tftp_root: Path, bootfile: str, firmware: str, log: Path, ram_mib: int) -> list[str]:
    """The QEMU invocation for one network boot; ``firmware`` is "bios" or "uefi"."""
    netdev = f"user,id=n0,tftp={tftp_root},bootfile={bootfile}"
    nic = f"virtio-net-pci,netdev=n0,mac={MAC}" + (",romfile=" if firmware == "uefi" else "")
    command = [qemu_binary(), "-machine", f"q35,accel={accelerator()}", "-m", str(ram_mib), "-smp", "2",
               "-nodefaults", "-display", "none", "-serial", f"file:{log}", "-no-reboot",
               "-netdev", netdev, "-device", nic, "-boot", "n"]
    if firmware == "uefi":
        command += ["-bios", str(ovmf_firmware())]
    return command


def boot(tftp_root: Path, bootfile: str, firmware: str, log: Path, marker: str,
         timeout: float = 420, ram_mib: int = 1024) -> BootRun:
    """Boot once; pass when ``marker`` reaches the serial console before ``timeout`` seconds."""
    if firmware not in ("bios", "uefi"):
        raise ValueError(f"firmware must be bios or uefi, not {firmware!r}")
    log.unlink(missing_ok=True)
    command = qemu_command(tftp_root, bootfile, firmware, log, ram_mib)
    start = time.monotonic()
    passed = False
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while time.monotonic() - start < timeout:
            if log.exists() and marker.encode() in log.read_bytes():
                passed = True
                break
            if proc.poll() is not None:
                passed = log.exists() and marker.encode() in log.read_bytes()
                break
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return BootRun(bootfile, passed, time.monotonic() - start, accelerator(), log, command)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve_http(directory: Path, port: int = 0) -> Iterator[int]:
    """Serve ``directory`` on 127.0.0.1 (the guest's 10.0.2.2) for the duration; yields the port."""
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


def boot_mode(tree: Path, mode: str, log: Path, marker: str, timeout: float = 420, ram_mib: int = 1024,
              boot_files: dict[str, str | None] | None = None) -> BootRun:
    """Boot a self-contained tree by ``mode``: bios (pxelinux over TFTP), uefi (GRUB over TFTP), ipxe (HTTP)."""
    files = boot_files or {"bios": "pxelinux.0", "uefi": "bootx64.efi", "ipxe": "boot.ipxe"}
    bootfile = files.get(mode)
    if not bootfile or not (tree / bootfile).is_file():
        raise LivepxeError(f"{tree} has no {mode} boot file ({bootfile or 'none'}); convert on a host with its loaders")
    if mode == "ipxe":
        with serve_http(tree) as port:
            run = boot(tree, f"http://{GUEST_HOST}:{port}/{bootfile}", "bios", log, marker, timeout, ram_mib)
    else:
        run = boot(tree, bootfile, mode, log, marker, timeout, ram_mib)
    run.mode = mode
    return run


def boot_tree(root: Path, args) -> int:
    """``verify --boot``: boot a self-contained tree by each path it has; 0 when all reach the marker."""
    import json
    import tempfile

    note_path = root / "livepxe.json"
    note = json.loads(note_path.read_text()) if note_path.is_file() else {}
    files = note.get("boot_files") or {}
    modes = [m for m in MODES if files.get(m) and (root / files[m]).is_file()
             and (not getattr(args, "only", None) or m in args.only)]
    if not modes:
        print(f"boot: {root} has no boot files of its own (integration trees boot through the TFTP root's "
              "loaders); boot-test a self-contained tree instead")
        return 1
    ram = args.ram or max(1024, int(note.get("client_ram_mib", {}).get("bundled", 0)) + 256)
    status = 0
    with tempfile.TemporaryDirectory(prefix="livepxe-boot-") as tmp:
        overlay = serial_overlay(root, Path(tmp) / "tftp")
        for mode in modes:
            run = boot_mode(overlay, mode, Path(tmp) / f"{mode}.log", args.marker, args.timeout, ram, files)
            print(f"boot {mode}: {'PASS' if run.passed else 'FAIL'} in {run.seconds:.0f} s ({run.accel}, {ram} MiB)")
            if not run.passed:
                status = 1
                print(run.tail())
    return status


#: Lines that carry kernel arguments, per config kind, and what to add so the console reaches the log.
_KERNEL_LINE = {"pxelinux": "APPEND ", "grub": "linux ", "ipxe": "kernel "}
SERIAL_ARG = "console=ttyS0,115200"


def serial_overlay(root: Path, dest: Path) -> Path:
    """A TFTP root mirroring ``root`` by symlinks, its boot configs copied with ``console=ttyS0`` added.

    Live images print to the screen only; the boot check reads the serial
    port, so the kernel is told to use it, without touching the user's tree.
    """
    from .verify import config_kind

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
            if line.strip().startswith(_KERNEL_LINE[kind]) and "console=ttyS0" not in line:
                line += f" {SERIAL_ARG}"
            lines.append(line)
        target.write_text("\n".join(lines) + "\n")
    return dest
