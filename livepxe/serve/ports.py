"""Before anything starts, bind each port ``serve`` needs on the interface it serves, then let go.

A probe that binds differently from the real server refuses what would
work: without ``SO_REUSEADDR`` a restart within TIME_WAIT was "port 80
taken", and a probe of 0.0.0.0:67 on no device was refused by a DHCP
server bound to another interface, though dnsmasq runs fine beside it.
dnsmasq, as livepxe configures it (one ``interface=``, ``bind-interfaces``),
binds its DHCP and proxyDHCP sockets to 0.0.0.0 with ``SO_BINDTODEVICE``
to that interface, and TFTP to the interface's address; the HTTP server
binds the address with ``SO_REUSEADDR`` and ``SO_BINDTODEVICE``.  The
UDP probes set no reuse option (UDP has no TIME_WAIT): a server sharing
the port on the same interface, a second serve's dnsmasq, is refused.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from ..errors import LivepxeError
from .plan import Plan


@dataclass(frozen=True)
class Port:
    kind: int           # socket.SOCK_DGRAM or SOCK_STREAM
    host: str
    port: int
    what: str           # DHCP, PXE proxy, TFTP, HTTP
    on_device: bool     # bound to the served interface (SO_BINDTODEVICE), as its server binds it
    hint: str           # what to do when it is taken

    @property
    def proto(self) -> str:
        return "udp" if self.kind == socket.SOCK_DGRAM else "tcp"


def wanted(served: Plan) -> list[Port]:
    """Every port serve binds for ``served``, with the option or action that frees each."""
    other = f"stop the other {{}} server on {served.interface}, or serve on another --interface"
    ports = [Port(socket.SOCK_DGRAM, "0.0.0.0", 67, "DHCP", True, other.format("DHCP or proxyDHCP")),
             Port(socket.SOCK_DGRAM, served.ip, 69, "TFTP", False,
                  other.format("TFTP (tftpd-hpa on Debian, tftp.socket on Fedora/EL, a dnsmasq)")
                  + ", or run your own servers with --print-config"),
             Port(socket.SOCK_STREAM, served.ip, served.http_port, "HTTP", True,
                  "stop the other HTTP server, or choose another --http-port")]
    if served.proxy:
        ports.append(Port(socket.SOCK_DGRAM, "0.0.0.0", 4011, "PXE proxy", True, other.format("proxyDHCP")))
    return ports


def check_ports(served: Plan) -> None:
    """Refuse in one line, before anything starts, a port dnsmasq or the HTTP server could not have."""
    for port in wanted(served):
        probe(port, served.interface)


def probe(port: Port, device: str) -> None:
    """Bind ``port`` on ``device`` with the options its server sets; LivepxeError when that fails."""
    with socket.socket(socket.AF_INET, port.kind) as sock:
        try:
            if port.kind == socket.SOCK_STREAM:   # a restart finds the last connections in TIME_WAIT
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if port.on_device:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
            sock.bind((port.host, port.port))
        except OSError as exc:
            raise LivepxeError(f"port {port.port}/{port.proto} ({port.what}) on {port.host} ({device}) is taken "
                               f"({exc.strerror}): {port.hint}") from None
