"""dnsmasq for ``serve``: its config, rendered from a `Plan`, and the process.

The distribution's dnsmasq does DHCP and TFTP; livepxe writes no protocol
code.  In proxy mode (``dhcp-range=ADDRESS,proxy``) it answers only PXE
clients and never hands out an address, so it can run beside a site's
DHCP server; ``pxe-service`` lines route by client architecture (x86PC,
x86-64_EFI) and the ``iPXE`` user class.  With ``--dhcp`` it is an
ordinary DHCP server for an isolated lab, routing by ``dhcp-boot``, and its
``next-server`` is itself, which is what GRUB needs to find its config.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
from pathlib import Path
from typing import Callable, Optional

from ..bootconf.dnsmasq import safe_value
from ..errors import LivepxeError
from ..host import run
from .plan import Plan

log = logging.getLogger(__name__)
#: x86-64 UEFI by option 93: 7 (the standard), 9 (sent by some firmware; "BC_EFI" to dnsmasq).
UEFI_CSAS = ("x86-64_EFI", "BC_EFI")
#: TFTP transfers at once (dnsmasq's default is 50): a lab's boot storm, Secure Boot clients fetching everything.
TFTP_MAX = 500
#: How long dnsmasq may take to bind its sockets or to exit on SIGTERM.
START_SECONDS = 5.0
STOP_SECONDS = 5.0


def binary() -> str:
    return run.require("dnsmasq", "to serve DHCP and TFTP")


def _value(value: str, what: str) -> str:
    if not safe_value(value):
        raise LivepxeError(f"dnsmasq cannot carry the {what} {value!r}: serve a tree whose path has no spaces, "
                           "',', '#' or quotes")
    return value


def render(plan: Plan, tftp_root: Optional[Path], leasefile: Optional[Path] = None) -> str:
    """The whole dnsmasq.conf: no DNS, DHCP (proxy or range) and TFTP on ``plan.interface`` only.

    ``tftp_root`` None: no TFTP server (another one, e.g. tftp-hpa, serves port 69 on ``plan.ip``),
    so each boot file names that server's address.
    """
    tftp = ["enable-tftp", f"tftp-root={_value(str(tftp_root), 'TFTP root')}", f"tftp-max={TFTP_MAX}"]
    lines = ["# Written by livepxe serve; dnsmasq --test accepts it.",
             "port=0", f"interface={_value(plan.interface, 'interface')}", "bind-interfaces", "log-dhcp",
             *(tftp if tftp_root is not None else []),
             "dhcp-match=set:efi-x86_64,option:client-arch,7",
             "dhcp-match=set:efi-x86_64,option:client-arch,9",
             "dhcp-userclass=set:ipxe,iPXE"]
    if plan.proxy:
        lines.append(f"dhcp-range={plan.ip},proxy,{plan.address.netmask}")
        lines += _pxe_services(plan, server="" if tftp_root is not None else plan.ip)
        if plan.uefi_http_url:
            # UEFI HTTP Boot: vendor class HTTPClient, arch 16; the URL goes in the file field.
            lines += ["dhcp-pxe-vendor=PXEClient,HTTPClient", "dhcp-match=set:efi-http,option:client-arch,16",
                      f"dhcp-boot=tag:efi-http,{_value(plan.uefi_http_url, 'HTTP Boot URL')}"]
    else:
        assert plan.dhcp_range is not None
        start, end = plan.dhcp_range
        lines += [f"dhcp-range={start},{end},{plan.address.netmask},1h", *_lab_dhcp(start, end),
                  f"dhcp-leasefile={_value(str(leasefile), 'lease file')}" if leasefile else "leasefile-ro"]
        lines += _dhcp_boots(plan, server="" if tftp_root is not None else plan.ip)
    return "\n".join(lines) + "\n"


def _lab_dhcp(start: str, end: str) -> list[str]:
    """A lab's boot storm gets every address at once.

    dnsmasq pings an address before offering it and answers no DISCOVER
    while the ping waits (3 s): measured, 10 clients at once got one lease
    in 18 s, and a hundred would outlast a PXE ROM's retries (about 60 s).
    The range is the admin's, on a network that has no other DHCP server.
    Its default lease limit (1000) would refuse clients of a larger range.
    """
    size = int(ipaddress.IPv4Address(end)) - int(ipaddress.IPv4Address(start)) + 1
    return ["no-ping", f"dhcp-lease-max={max(size, 1000)}"]


def _routes(plan: Plan) -> list[tuple[str, str, str]]:
    """(tags, PXE client system type, boot file or URL) per client kind the tree serves."""
    routes = []
    not_ipxe = "tag:!ipxe," if plan.ipxe_url else ""
    if plan.ipxe_url:
        url = _value(plan.ipxe_url, "iPXE script URL")
        routes += [("tag:ipxe,", csa, url) for csa in ("x86PC", *UEFI_CSAS)]
    if plan.bios:
        routes.append((not_ipxe, "x86PC", _value(plan.bios, "BIOS boot file")))
    if plan.uefi:
        routes += [(not_ipxe, csa, _value(plan.uefi, "UEFI boot file")) for csa in UEFI_CSAS]
    return routes


def _on(server: str, path: str, empty_name: bool = False) -> str:
    """``path``, then the TFTP server's address when one is named (a URL names its own server)."""
    if not server or "://" in path:
        return path
    return f"{path},,{server}" if empty_name else f"{path},{server}"


def _pxe_services(plan: Plan, server: str = "") -> list[str]:
    # A boot file with a suffix is sent as is (dnsmasq adds ".0" only to a bare basename).
    label = "".join(c for c in plan.label if c.isalnum() or c in " .-_")[:40] or "livepxe"
    return [f'pxe-service={tags}{csa},"{label}",{_on(server, path)}' for tags, csa, path in _routes(plan)]


def _dhcp_boots(plan: Plan, server: str = "") -> list[str]:
    arch_tag = {"x86PC": "tag:!efi-x86_64", "x86-64_EFI": "tag:efi-x86_64"}
    lines = []
    for tags, csa, path in _routes(plan):
        if csa not in arch_tag:
            continue  # dhcp-boot routes by the efi-x86_64 tag, which 7 and 9 both set
        path = _on(server, path, empty_name=True)   # dhcp-boot=FILE,SERVERNAME,ADDRESS
        line = f"dhcp-boot=tag:ipxe,{path}" if tags == "tag:ipxe," else f"dhcp-boot={tags}{arch_tag[csa]},{path}"
        if line not in lines:
            lines.append(line)
    return lines


def check(config: Path) -> None:
    """``dnsmasq --test`` on a config: a syntax error is a livepxe bug, said in one line."""
    proc = run.run("dnsmasq", ["--test", f"--conf-file={config}"], check=False)
    if proc.returncode != 0:
        raise LivepxeError(f"dnsmasq rejects the generated config: {proc.stderr.strip()}")


class Dnsmasq:
    """dnsmasq in the foreground, its log lines handed to ``on_line`` from a reader thread."""

    def __init__(self, config: Path, on_line: Callable[[str], None]) -> None:
        self.config = config
        self.on_line = on_line
        self.proc: Optional[run.Popen] = None
        self.reader: Optional[threading.Thread] = None
        self.started = threading.Event()
        self.failure: list[str] = []

    def start(self) -> None:
        cmd = [binary(), "--keep-in-foreground", f"--conf-file={self.config}", "--log-facility=-", "--pid-file="]
        log.debug("starting %s", " ".join(cmd))
        # Through `supervise`, which stays root: dnsmasq ends with serve even when serve is SIGKILLed.
        self.proc = run.python_module("livepxe.serve.supervise", [str(os.getpid()), *cmd], stdin=run.DEVNULL,
                                      stdout=run.DEVNULL, stderr=run.PIPE, text=True, errors="replace", cwd="/")
        self.reader = threading.Thread(target=self._read, name="livepxe-dnsmasq-log", daemon=True)
        self.reader.start()
        if not self.started.wait(START_SECONDS) or self.proc.poll() is not None:
            self.stop()
            why = self.failure[-1] if self.failure else "no start-up message"
            raise LivepxeError(f"dnsmasq did not start: {why}")

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.rstrip("\n")
            if "TFTP root is" in line:  # the last start-up line: sockets are bound
                self.started.set()
            elif not self.started.is_set():
                self.failure.append(line.split(": ", 1)[-1])
            self.on_line(line)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_SECONDS)
            except run.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.reader is not None:
            self.reader.join(timeout=STOP_SECONDS)
