"""One line per client step — DHCP answer, each file fetched — from dnsmasq's log and the HTTP server.

dnsmasq's ``log-dhcp`` lines carry a transaction id, so the client's
architecture (``vendor class: PXEClient:Arch:00007``) and iPXE user class
are tied to its MAC on the ``PXE(...)``/``DHCPACK(...)`` line; TFTP lines name
only the client's IP, tied to a MAC by those lines (or the ARP table).
dnsmasq logs a TFTP transfer when it ends, not when it starts, so a TFTP
step's seconds are counted from the client's previous step; HTTP steps are
timed by the server itself.  Everything else dnsmasq says is dropped:
``serve`` stays quiet while nothing boots.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Generic, Optional, TypeVar

from ..bootconf.text import printable
from .http import Request
from .tftpwatch import PROBE

_LINE = re.compile(r"^dnsmasq-(?P<kind>dhcp|tftp)\[\d+\]: (?P<text>.*)$")
_XID = re.compile(r"^(?P<xid>\d+) (?P<text>.*)$")
_ARCH = re.compile(r"vendor class: PXEClient:Arch:(?P<arch>\d{5})")
_PXE = re.compile(r"^PXE\([^)]*\) (?:(?P<ip>\d+\.\d+\.\d+\.\d+) )?(?P<mac>[0-9a-f:]{17}) (?P<file>\S+)")
_ACK = re.compile(r"^DHCPACK\([^)]*\) (?P<ip>\d+\.\d+\.\d+\.\d+) (?P<mac>[0-9a-f:]{17})")
_SENT = re.compile(r"^sent (?P<path>\S+) to (?P<ip>\S+)$")
_MISSING = re.compile(r"^file (?P<path>\S+) not found for (?P<ip>\S+)$")
_FAILED = re.compile(r"^failed sending (?P<path>\S+) to (?P<ip>\S+)$")
#: pxelinux asks for a config by MAC and by IP prefixes before ``default``: misses there are its design, not news
#: (as are serve's own liveness probes, `tftpwatch.PROBE`).
PXELINUX_PROBES = "pxelinux.cfg/"
ARCH_NAMES = {0: "BIOS", 6: "UEFI-ia32", 7: "UEFI", 9: "UEFI"}


@dataclass(frozen=True)
class Step:
    client: str                    # MAC, or the IP when no MAC is known
    firmware: str                  # BIOS, UEFI, iPXE/BIOS, ... or "?"
    what: str                      # "dhcp proxy offer", "tftp pxelinux.0", "http /initrd0.img"
    nbytes: Optional[int] = None
    seconds: Optional[float] = None
    note: str = ""

    def line(self) -> str:
        out = f"{self.client} {self.firmware:<10} {self.what}"
        if self.nbytes is not None:
            out += f" {_size(self.nbytes)}"
        if self.seconds is not None:
            out += f" in {self.seconds:.1f} s"
            if self.nbytes and self.seconds > 0.05:
                out += f" ({self.nbytes / self.seconds / 1e6:.1f} MB/s)"
        # Client text (URLs, DHCP strings, file names) reaches an admin's terminal: no control characters.
        return printable(out + (f" {self.note}" if self.note else ""), 300)


def _size(nbytes: int) -> str:
    if nbytes < 10 * 1024:
        return f"{nbytes} B"
    return f"{nbytes / 1024:.0f} KiB" if nbytes < 1048576 else f"{nbytes / 1048576:.1f} MiB"


def arp_mac(ip: str, table: Path = Path("/proc/net/arp")) -> Optional[str]:
    """The MAC the kernel has for ``ip`` (columns: IP, HW type, flags, MAC, mask, device)."""
    try:
        rows = table.read_text().splitlines()[1:]
    except OSError:
        return None
    for row in rows:
        cols = row.split()
        if len(cols) >= 4 and cols[0] == ip and cols[3] != "00:00:00:00:00:00":
            return cols[3]
    return None


#: Clients (transactions, MACs, addresses) remembered per table; a lab has hundreds, not thousands.
CLIENTS_KEPT = 4096
K = TypeVar("K")
V = TypeVar("V")


class Recent(OrderedDict, Generic[K, V]):
    """A dict that forgets its least recently written entries beyond ``limit``."""

    def __init__(self, limit: int = CLIENTS_KEPT) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        if key in self:
            self.move_to_end(key)
        super().__setitem__(key, value)
        while len(self) > self.limit:
            self.popitem(last=False)


class StepLog:
    """Turns dnsmasq log lines and HTTP requests into `Step`s for ``emit``.

    Called from dnsmasq's log reader and from HTTP request threads at once,
    so one lock guards the client tables.
    """

    def __init__(self, root: Path, emit: Callable[[Step], None], clock: Callable[[], float] = time.monotonic,
                 arp: Callable[[str], Optional[str]] = arp_mac) -> None:
        self.root = root
        self.emit = emit
        self.clock = clock
        self.arp = arp
        # Each table keeps the newest CLIENTS_KEPT entries: spoofed DISCOVERs cannot grow them without bound.
        self.arch: Recent[str, int] = Recent()          # xid -> client architecture
        self.ipxe: Recent[str, bool] = Recent()         # xids whose client runs iPXE
        self.firmware: Recent[str, str] = Recent()      # MAC -> firmware name
        self.macs: Recent[str, str] = Recent()          # IP -> MAC
        self.last_step: Recent[str, float] = Recent()   # MAC -> when its previous step was seen
        self.last_what: Recent[str, str] = Recent()     # MAC -> its previous step, to drop repeats
        self.lock = threading.Lock()

    def dnsmasq_line(self, line: str) -> None:
        match = _LINE.match(line)
        if not match:
            return
        with self.lock:
            if match["kind"] == "dhcp":
                self._dhcp(match["text"])
            else:
                self._tftp(match["text"])

    def http_request(self, request: Request) -> None:
        if request.method == "HEAD":
            return  # a size probe (UEFI HTTP Boot sends one before its GET), not a step
        note = "" if request.status in (200, 206) else f"(HTTP {request.status})"
        with self.lock:
            self._step(self._mac(request.client), f"http {request.path}", request.nbytes, request.seconds, note)

    def _dhcp(self, text: str) -> None:
        match = _XID.match(text)
        if not match:
            return
        xid, body = match["xid"], match["text"]
        arch = _ARCH.search(body)
        if arch:
            self.arch[xid] = int(arch["arch"])
        elif body == "user class: iPXE":
            self.ipxe[xid] = True
        elif (pxe := _PXE.match(body)) is not None:
            self._known(pxe["mac"], pxe["ip"], xid)
            what = "dhcp proxy offer" if pxe["file"] == "proxy" else f"dhcp boot {pxe['file']}"
            self._step(pxe["mac"], what)
        elif (ack := _ACK.match(body)) is not None:
            self._known(ack["mac"], ack["ip"], xid)
            self._step(ack["mac"], f"dhcp address {ack['ip']}")

    def _known(self, mac: str, ip: Optional[str], xid: str) -> None:
        if ip:
            self.macs[ip] = mac
        if xid in self.arch:
            name = ARCH_NAMES.get(self.arch[xid], f"arch{self.arch[xid]}")
            self.firmware[mac] = f"iPXE/{name}" if xid in self.ipxe else name

    def _tftp(self, text: str) -> None:
        for pattern, kind in ((_SENT, "sent"), (_MISSING, "missing"), (_FAILED, "failed")):
            match = pattern.match(text)
            if not match:
                continue
            mac = self._mac(match["ip"])
            rel = self._relative(match["path"])
            if kind == "sent":
                path = Path(match["path"])
                size = path.stat().st_size if path.is_file() else None
                since = self.last_step.get(mac)
                self._step(mac, f"tftp {rel}", size, self.clock() - since if since is not None else None)
            elif not (kind == "missing" and rel.startswith((PXELINUX_PROBES, PROBE))):
                self._step(mac, f"tftp {rel}", note="not found" if kind == "missing" else "failed")
            return

    def _relative(self, path: str) -> str:
        try:
            return os.path.relpath(path, self.root)
        except ValueError:
            return path

    def _mac(self, ip: str) -> str:
        if ip not in self.macs:
            mac = self.arp(ip)
            if mac:
                self.macs[ip] = mac
        return self.macs.get(ip, ip)

    def _step(self, mac: str, what: str, nbytes: Optional[int] = None, seconds: Optional[float] = None,
              note: str = "") -> None:
        key = f"{what} {note}"
        now = self.clock()
        self.last_step[mac] = now
        if nbytes is None and self.last_what.get(mac) == key:
            return  # a retried DHCP exchange or a repeated probe says nothing new
        self.last_what[mac] = key
        self.emit(Step(mac, self.firmware.get(mac, "?"), what, nbytes, seconds, note))
