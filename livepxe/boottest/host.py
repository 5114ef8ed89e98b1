"""What a QEMU boot test needs from the host: the emulator, NIC boot ROMs, UEFI firmware, an accelerator.

Where each distribution keeps ROMs and firmware is `livepxe.host.table`; the
emulator is run through `livepxe.host.run`.  Each lookup fails with a
LivepxeError naming the package to install, so a
user learns what is missing before a guest starts. The accelerator is
*probed*, not assumed: a ``/dev/kvm`` that opens can still be a nested
backend on which kernels hang in the decompressor, so ``auto`` starts the
test kernel under KVM and uses KVM only if the kernel prints its banner.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import LivepxeError
from ..host import run, table

QEMU = "qemu-system-x86_64"
ROM_DIRS = tuple(Path(d) for d in table.IPXE_ROM_DIRS)
ACCELS = ("auto", "kvm", "tcg")
#: The one variable that chooses the accelerator (``--accel`` wins over it).
ACCEL_ENV = "LIVEPXE_ACCEL"
#: What ``livepxe verify --boot`` read before the harnesses were one; still honoured, with a warning.
DEPRECATED_ACCEL_ENV = "LIVEPXE_QEMU_ACCEL"
OVMF_CANDIDATES = table.OVMF_FIRMWARE
#: (code, vars) pairs: Secure Boot firmware and a variable store with Microsoft's keys enrolled.
OVMF_SECBOOT_CANDIDATES = table.OVMF_SECBOOT
KVM_PROBE_SECONDS = 15.0
_probe_cache: dict[tuple[str, str], Accel] = {}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accel:
    """The accelerator chosen, and why (the test output says which)."""

    name: str  # "kvm" or "tcg"
    why: str


def qemu_binary() -> str:
    return run.require(QEMU)


def nic_rom(nic: str = "e1000", uefi: bool = False) -> Path:
    """The iPXE option ROM QEMU's NIC boots from.

    ``efi-*.rom`` holds both the BIOS and the UEFI driver; ``pxe-*.rom`` only
    the BIOS one, so it is a fallback for BIOS boots only.
    """
    names = [f"efi-{nic}.rom"] + ([] if uefi else [f"pxe-{nic}.rom"])
    for name in names:
        for d in ROM_DIRS:
            if (d / name).is_file():
                return d / name
    where = ", ".join(str(d) for d in ROM_DIRS)
    raise LivepxeError(f"iPXE boot ROM {' or '.join(names)} not found in {where}: "
                       "install ipxe-qemu (Debian) or ipxe-roms-qemu (Fedora/EL)")


def ovmf_firmware() -> Path:
    """The host's UEFI firmware for QEMU's -bios."""
    for candidate in OVMF_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise LivepxeError("no OVMF firmware for UEFI boots; install ovmf (Debian) or edk2-ovmf (Fedora/EL)")


def ovmf_secure_boot() -> tuple[Path, Path]:
    """(Secure Boot code image, variable template with Microsoft's keys enrolled) for pflash drives."""
    for code, variables in OVMF_SECBOOT_CANDIDATES:
        if Path(code).is_file() and Path(variables).is_file():
            return Path(code), Path(variables)
    raise LivepxeError("no Secure Boot OVMF firmware (code + Microsoft-enrolled vars) for Secure Boot boots; "
                       "install ovmf (Debian) or edk2-ovmf (Fedora/EL)")


def accel_from_env() -> str:
    """``$LIVEPXE_ACCEL``, else the deprecated ``$LIVEPXE_QEMU_ACCEL``, else ``auto``."""
    value = os.environ.get(ACCEL_ENV)
    if value:
        return value
    value = os.environ.get(DEPRECATED_ACCEL_ENV)
    if value:
        log.warning("%s is deprecated; set %s=%s instead", DEPRECATED_ACCEL_ENV, ACCEL_ENV, value)
        return value
    return "auto"


def firmware_file(path: Path) -> Path:
    if not path.is_file():
        hint = " (install ovmf)" if "ovmf" in str(path).lower() else ""
        raise LivepxeError(f"firmware {path} not found{hint}")
    return path


def kvm_usable() -> str | None:
    """None if /dev/kvm can be opened read-write, else why not."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        return f"/dev/kvm: {exc.strerror}"
    os.close(fd)
    return None


def probe_kvm(kernel: Path, seconds: float = KVM_PROBE_SECONDS) -> str | None:
    """Start ``kernel`` under KVM; None if it printed its banner in time, else why not."""
    with tempfile.TemporaryDirectory(prefix="livepxe-kvmprobe-") as tmp:
        log = Path(tmp) / "serial.log"
        args = ["-accel", "kvm", "-m", "256", "-display", "none",
                "-no-reboot", "-monitor", "none", "-serial", f"file:{log}",
                "-kernel", str(kernel), "-append", "console=ttyS0 panic=-1"]
        proc = run.popen(QEMU, args, stdin=run.DEVNULL, stdout=run.DEVNULL, stderr=run.PIPE)
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                if log.exists() and b"Linux version" in log.read_bytes():
                    return None
                if proc.poll() is not None:
                    err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
                    return f"QEMU with KVM exited at once ({err.splitlines()[-1] if err else proc.returncode})"
                time.sleep(0.2)
            return f"the kernel printed nothing within {seconds:.0f} s under KVM (nested KVM?)"
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def choose_accel(choice: str, probe_kernel: Path | None) -> Accel:
    """Resolve ``auto|kvm|tcg`` (``auto`` probes KVM with ``probe_kernel``)."""
    if choice not in ACCELS:
        raise LivepxeError(f"accelerator must be one of {', '.join(ACCELS)}, not {choice!r}")
    if choice == "tcg":
        return Accel("tcg", "TCG chosen")
    problem = kvm_usable()
    if choice == "kvm":
        if problem:
            raise LivepxeError(f"KVM requested but {problem}: use --accel tcg or auto")
        return Accel("kvm", "KVM chosen")
    if problem:
        return Accel("tcg", f"TCG: {problem}")
    if probe_kernel is None:
        return Accel("tcg", "TCG: no kernel to probe KVM with")
    key = (str(probe_kernel), QEMU)
    if key not in _probe_cache:
        why = _remembered_probe()
        if why is None:
            why = probe_kvm(probe_kernel) or ""
            _remember_probe(why)
        _probe_cache[key] = (Accel("kvm", "KVM: probe kernel started") if not why
                             else Accel("tcg", f"TCG: KVM unusable, {why}"))
    return _probe_cache[key]


def _probe_file() -> Path | None:
    """Where this host boot's KVM verdict is kept: it cannot change until a reboot."""
    try:
        boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    env = os.environ.get("LIVEPXE_CACHE")
    root = Path(env) if env else Path.home() / ".cache" / "livepxe"
    return root / f"kvm-probe-{boot_id}"


def _remembered_probe() -> str | None:
    """"" if KVM worked, the reason if it did not, None if never probed."""
    path = _probe_file()
    try:
        return path.read_text().strip() if path else None
    except OSError:
        return None


def _remember_probe(why: str) -> None:
    path = _probe_file()
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(why + "\n")
    except OSError:
        pass  # an unwritable cache only costs the next run another probe
