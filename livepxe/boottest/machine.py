"""Boot a machine in QEMU and watch its serial console for proof of userspace.

One harness for the test suite and for ``livepxe boot-test``: a `Machine`
says what to boot (network boot from a TFTP root or a boot-file URL, or a
kernel/initrd/CD-ROM directly; BIOS, or UEFI with ``firmware``), a `Watch`
says which console lines mean success and which mean certain failure, and
`boot` runs QEMU with a hard time limit and returns a `BootResult`.

With ``-nographic`` SeaBIOS mirrors the screen to the serial port, so the
log holds the firmware's, iPXE's and pxelinux's messages as well as the
kernel's (with ``console=ttyS0``) — a failed boot shows where it stopped.
Known-fatal lines (a kernel panic, a pxelinux load failure, dracut's
emergency shell) end the run at once instead of waiting for the time limit.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Pattern, Sequence

from ..errors import LivepxeError
from ..host import run
from . import host as qemuhost

DEFAULT_MAC = "52:54:00:12:34:56"
ANSI = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|[()][A-Za-z0-9]|[A-Za-z])")

#: Lines that mean the live root's userspace is running, for images that print no marker.
USERSPACE_PATTERNS = (
    r"LIVEPXE-BOOT-OK",                                  # livepxe's test fixture
    r"Welcome to (?!.*(?:Initramfs|dracut)).*!",         # systemd of the live root (not the initramfs')
    r"\blogin: *$",                                      # a getty on the serial console
)
#: Lines after which the boot cannot succeed.
FAILURE_PATTERNS = (
    r"Kernel panic - not syncing",
    r"Initramfs unpacking failed",
    r"Loading \S+\.\.\. failed",                         # pxelinux could not fetch kernel/initrd
    r"Could not find kernel image",
    r"No more network devices",                          # iPXE gave up
    r"No bootable device",                               # SeaBIOS gave up
    r"Entering emergency mode",                          # dracut/systemd emergency shell
    r"dracut-initqueue.*[Cc]ould not boot",
    r"Don't know how to handle",                         # dracut lacks a module for root=
    r"losetup: /\S+: failed to set up loop device",      # root=live:/NAME.iso not in the initramfs
    r"VFS: Unable to mount root fs",
    r"Generating \"/run/initramfs/rdsosreport.txt\"",
)
#: Lines that echo the command line: a marker in them proves nothing.
ECHO_LINES = re.compile(r"command line:|cmdline:|BOOT_IMAGE=", re.IGNORECASE)
MILESTONES = (("kernel", re.compile(r"Linux version \d")),
              ("initramfs", re.compile(r"Run /init as init process|Welcome to .*(Initramfs|dracut)")),
              ("switch-root", re.compile(r"Switch Root|Switching root")))


@dataclass
class Machine:
    """What QEMU boots. Network boot if ``tftp_root`` or ``bootfile`` is set."""

    memory_mib: int = 1024
    smp: int = 2
    firmware: Path | None = None          # -bios, e.g. OVMF for UEFI; None = SeaBIOS
    tftp_root: Path | None = None
    bootfile: str | None = None           # path in the TFTP root, or a URL iPXE fetches
    mac: str = DEFAULT_MAC
    nic: str = "e1000"
    nic_rom: bool = True                  # False: no iPXE ROM, the firmware's own PXE (OVMF + virtio-net-pci)
    kernel: Path | None = None            # direct kernel boot (no firmware, no network)
    initrd: Path | None = None
    append: str = ""
    cdrom: Path | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def network_boot(self) -> bool:
        return self.tftp_root is not None or self.bootfile is not None


@dataclass
class Watch:
    """Console patterns: any success line passes, any failure line fails."""

    success: Sequence[str] = USERSPACE_PATTERNS
    failure: Sequence[str] = FAILURE_PATTERNS

    @classmethod
    def marker(cls, text: str) -> Watch:
        return cls(success=(re.escape(text),))

    def compiled(self) -> tuple[list[Pattern[str]], list[Pattern[str]]]:
        return [re.compile(p) for p in self.success], [re.compile(p) for p in self.failure]


@dataclass
class BootResult:
    passed: bool
    reason: str
    seconds: float | None                  # power-on to userspace, when reached
    elapsed: float
    accel: qemuhost.Accel
    console_log: Path
    milestones: dict[str, float] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)

    def console_lines(self) -> list[str]:
        raw = self.console_log.read_bytes().decode(errors="replace") if self.console_log.exists() else ""
        return clean_lines(raw)

    def last_lines(self, n: int = 25) -> list[str]:
        return self.console_lines()[-n:]

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        when = f", userspace after {self.seconds:.1f} s" if self.seconds is not None else ""
        return f"{verdict}: {self.reason}{when} ({self.accel.why}; {self.elapsed:.1f} s in all)"


def clean_lines(raw: str) -> list[str]:
    """Console text without terminal escapes, carriage returns or empty lines."""
    text = ANSI.sub("", raw).replace("\b", "")
    lines = []
    for line in re.split(r"\r?\n|\r", text):
        line = line.strip()
        if line:
            lines.append(line)
    return lines


def default_timeout(accel: str, payload_bytes: int = 0) -> float:
    """A limit generous for the accelerator and for the bytes TFTP must move.

    QEMU's user-mode TFTP moved the fixture at roughly 4 MB/s under TCG;
    the limit allows a quarter of that, plus the boot itself.
    """
    base = 150.0 if accel == "kvm" else 300.0
    return base + payload_bytes / 1e6


def qemu_command(m: Machine, accel: str, serial_log: Path) -> list[str]:
    """The QEMU command line for a machine (no display; serial console to a file)."""
    cmd = [qemuhost.qemu_binary(), "-accel", accel, "-m", str(m.memory_mib), "-smp", str(m.smp),
           "-nographic", "-monitor", "none", "-serial", f"file:{serial_log}", "-no-reboot"]
    if accel == "kvm":
        cmd += ["-cpu", "host"]
    if m.firmware is not None:
        cmd += ["-bios", str(qemuhost.firmware_file(m.firmware))]
    if m.network_boot:
        netdev = "user,id=n0"
        if m.tftp_root is not None:
            if not m.tftp_root.is_dir():
                raise LivepxeError(f"TFTP root {m.tftp_root} is not a folder")
            netdev += f",tftp={_qemu_opt(str(m.tftp_root.resolve()))}"
        if m.bootfile:
            netdev += f",bootfile={_qemu_opt(m.bootfile)}"
        rom = _qemu_opt(str(qemuhost.nic_rom(m.nic, uefi=m.firmware is not None))) if m.nic_rom else ""
        cmd += ["-netdev", netdev,
                "-device", f"{m.nic},netdev=n0,mac={m.mac},romfile={rom}",
                "-boot", "order=n"]
    else:
        cmd += ["-nic", "none"]
    if m.kernel is not None:
        cmd += ["-kernel", str(m.kernel)]
        if m.initrd is not None:
            cmd += ["-initrd", str(m.initrd)]
        if m.append:
            cmd += ["-append", m.append]
    if m.cdrom is not None:
        cmd += ["-cdrom", str(m.cdrom)]
        if m.kernel is None and not m.network_boot:
            cmd += ["-boot", "order=d"]
    return cmd + list(m.extra_args)


def _qemu_opt(value: str) -> str:
    """Escape a value for a QEMU -netdev/-device option list (commas double)."""
    return value.replace(",", ",,")


def boot(m: Machine, watch: Watch | None = None, accel: str | qemuhost.Accel = "auto",
         timeout: float | None = None, console_log: Path | None = None,
         probe_kernel: Path | None = None) -> BootResult:
    """Boot ``m`` until a success or failure line, QEMU's exit, or the time limit."""
    watch = watch or Watch()
    chosen = accel if isinstance(accel, qemuhost.Accel) else qemuhost.choose_accel(
        accel, probe_kernel or m.kernel)
    limit = timeout if timeout is not None else default_timeout(chosen.name)
    if console_log is None:
        console_log = Path(tempfile.mkstemp(prefix="livepxe-console-", suffix=".log")[1])
    console_log.parent.mkdir(parents=True, exist_ok=True)
    console_log.write_bytes(b"")
    cmd = qemu_command(m, chosen.name, console_log)
    success, failure = watch.compiled()
    scanner = _Scanner(success, failure)
    start = time.monotonic()
    errors = tempfile.TemporaryFile()  # a file, not a pipe: a chatty QEMU must never block
    proc = run.popen(qemuhost.QEMU, cmd[1:], stdin=run.DEVNULL, stdout=run.DEVNULL, stderr=errors)
    verdict: tuple[bool, str] | None = None
    try:
        with open(console_log, "rb") as log:
            while verdict is None:
                exited = proc.poll() is not None
                verdict = scanner.feed(log.read(), time.monotonic() - start)
                if verdict is None and exited:
                    verdict = scanner.feed(log.read(), time.monotonic() - start, final=True)
                    if verdict is None:
                        errors.seek(0)
                        verdict = (False, _exit_reason(proc.returncode, errors.read().decode(errors="replace").strip()))
                elif verdict is None and time.monotonic() - start > limit:
                    verdict = (False, f"no sign of userspace within the {limit:.0f} s limit")
                elif verdict is None:
                    time.sleep(0.2)
            if not verdict[0] and scanner.failed_at is not None:
                _grace(proc, 3.0)  # let the panic trace or emergency message reach the log
    finally:
        _stop(proc)
        errors.close()
    return BootResult(passed=verdict[0], reason=verdict[1], seconds=scanner.passed_at,
                      elapsed=time.monotonic() - start, accel=chosen, console_log=console_log,
                      milestones=scanner.milestones, command=cmd)


def _exit_reason(code: int | None, stderr: str) -> str:
    last = stderr.splitlines()[-1] if stderr else ""
    if code == 0:
        return "the guest powered off or rebooted before reaching userspace"
    return f"QEMU exited with status {code}" + (f": {last}" if last else "")


class _Scanner:
    """Splits console bytes into lines and matches them as they arrive."""

    def __init__(self, success: list[Pattern[str]], failure: list[Pattern[str]]) -> None:
        self.success, self.failure = success, failure
        self.buffer = ""
        self.passed_at: float | None = None
        self.failed_at: float | None = None
        self.milestones: dict[str, float] = {}

    def feed(self, data: bytes, now: float, final: bool = False) -> tuple[bool, str] | None:
        self.buffer += data.decode(errors="replace")
        *lines, self.buffer = re.split(r"\r?\n|\r", self.buffer)
        if final:
            lines.append(self.buffer)
            self.buffer = ""
        for raw in lines:
            line = ANSI.sub("", raw).strip()
            if not line:
                continue
            for name, pattern in MILESTONES:
                if name not in self.milestones and pattern.search(line):
                    self.milestones[name] = now
            if not ECHO_LINES.search(line) and any(p.search(line) for p in self.success):
                self.passed_at = now
                self.milestones["userspace"] = now
                return True, f"userspace reached ({line[:80]})"
            for p in self.failure:
                if p.search(line):
                    self.failed_at = now
                    return False, f"boot failed: {line[:160]}"
        return None


def _grace(proc: run.Popen, seconds: float) -> None:
    try:
        proc.wait(timeout=seconds)
    except run.TimeoutExpired:
        pass


def _stop(proc: run.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except run.TimeoutExpired:
            proc.kill()
            proc.wait()
