"""The test LAN for serve's boot tests: a site DHCP server, a serving host, QEMU clients on a tap.

The site's DHCP server is a plain dnsmasq that hands out addresses and
knows nothing of PXE (as most sites' servers); ``livepxe serve`` (or
tftp-hpa) runs on a second host; the client is QEMU on the bridge.  The
client QEMU runs from this process's thread moved into the switch
namespace, through the shared harness (`livepxe.boottest.machine.boot`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from livepxe.boottest import host as qemuhost
from livepxe.boottest.machine import BootResult, Machine, Watch, boot
from tests.fixtures import netns
from tests.fixtures.netns import Host, Lan

SITE = "198.18.0.1/24"
SERVER = "198.18.0.2/24"
SITE_RANGE = ("198.18.0.100", "198.18.0.150")
MAC = "52:54:00:12:34:56"
OVMF_SECBOOT = Path("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd")
OVMF_MS_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.ms.fd")
LOCKDOWN = "Kernel is locked down from EFI Secure Boot"
REPO = Path(__file__).resolve().parents[2]


def serve_lan(prefix: str, tools: tuple[str, ...] = ("dnsmasq", "curl")) -> Iterator[Lan]:
    """A LAN named ``prefix`` + this process's id, for a fixture to yield; skips (a CI failure) without ``tools``."""
    why = netns.usable() or next((f"needs {tool}" for tool in tools if shutil.which(tool) is None), None)
    if why:
        pytest.skip(why)
    with netns.Lan(tag=f"{prefix}{os.getpid() % 100000}") as made:
        yield made


def site_dhcp(lan: Lan, site: Host, work: Path, *extra: str) -> subprocess.Popen:
    """The site's DHCP server: addresses only (``extra``: what a site adds, e.g. next-server for tftp-hpa)."""
    log = open(work / "site-dhcp.log", "wb")
    return lan.spawn(site, ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--pid-file=", "--port=0",
                            "--interface=eth0", "--bind-interfaces", "--log-dhcp", "--log-facility=-",
                            f"--dhcp-range={SITE_RANGE[0]},{SITE_RANGE[1]},255.255.255.0,1h",
                            f"--dhcp-leasefile={work / 'site.leases'}", *extra], log)


def livepxe_serve(lan: Lan, server: Host, tree: Path, work: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    """``livepxe serve TREE --interface eth0 ARGS`` on ``server``; returns once it serves (or has failed)."""
    out = work / "serve.out"
    proc = lan.spawn(server, [sys.executable, "-m", "livepxe", "serve", str(tree), "--interface", "eth0", *args],
                     open(out, "wb"), cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 60
    while "clients boot" not in out.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"livepxe serve did not start:\n{out.read_text(errors='replace')}")
        time.sleep(0.2)
    return proc, out


@dataclass
class Client:
    """A QEMU client on ``tap``: BIOS (e1000 + iPXE ROM), UEFI (OVMF's own PXE) or UEFI with Secure Boot."""

    kind: str
    tap: str
    work: Path
    memory_mib: int = 1024
    mac: str = MAC

    def machine(self) -> Machine:
        netdev = ["-netdev", f"tap,id=n0,ifname={self.tap},script=no,downscript=no", "-boot", "order=n"]
        if self.kind == "bios":
            rom = qemuhost.nic_rom("e1000")
            return Machine(memory_mib=self.memory_mib,
                           extra_args=netdev + ["-device", f"e1000,netdev=n0,mac={self.mac},romfile={rom}"])
        nic = ["-device", f"virtio-net-pci,netdev=n0,mac={self.mac},romfile="]
        if self.kind == "uefi":
            return Machine(memory_mib=self.memory_mib, firmware=qemuhost.ovmf_firmware(), extra_args=netdev + nic)
        assert self.kind == "secureboot"
        variables = self.work / "OVMF_VARS.fd"
        shutil.copyfile(OVMF_MS_VARS, variables)
        return Machine(memory_mib=self.memory_mib, extra_args=[
            "-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on",
            "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_SECBOOT}",
            "-drive", f"if=pflash,format=raw,unit=1,file={variables}", *netdev, *nic])

    def boot(self, lan: Lan, watch: str | Watch, accel: qemuhost.Accel, timeout: float = 300,
             console_log: Path | None = None) -> BootResult:
        """Boot until ``watch`` (a marker, or a `Watch` with failure patterns of its own) or ``timeout``."""
        with lan.entered():
            return boot(self.machine(), Watch.marker(watch) if isinstance(watch, str) else watch, accel=accel,
                        timeout=timeout, console_log=console_log or self.work / f"{self.kind}.console")
