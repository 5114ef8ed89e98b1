"""Before ``serve --dhcp`` hands out addresses, ask whether another DHCP server already does on the interface.

Two DHCP servers on one LAN hand out conflicting addresses: every other
machine's networking breaks.  ``--dhcp`` is for an isolated lab, so serve
sends one DHCPDISCOVER (and a second after a pause) from a made-up MAC
before dnsmasq starts and listens for an offer.  A proxyDHCP server does
not answer it (the request names no PXE client), so only a server that
hands out addresses is found.  The wait allows for a server that pings an
address before offering it (dnsmasq: 3 s).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import struct
import time
from typing import Optional

log = logging.getLogger(__name__)
WAIT_SECONDS, RESEND_SECONDS = 4.5, 1.5
_COOKIE = b"\x63\x82\x53\x63"


def discover(xid: int, mac: bytes) -> bytes:
    """A broadcast DHCPDISCOVER (RFC 2131) asking for nothing but an address."""
    header = struct.pack("!BBBBIHH4s4s4s4s16s", 1, 1, 6, 0, xid, 0, 0x8000, bytes(4), bytes(4), bytes(4),
                         bytes(4), mac.ljust(16, b"\0"))
    options = _COOKIE + bytes([53, 1, 1, 55, 2, 1, 3, 255])
    return (header + bytes(192) + options).ljust(300, b"\0")


def offer_from(packet: bytes, xid: int) -> Optional[str]:
    """The server address of a DHCPOFFER answering ``xid``, else None."""
    if len(packet) < 240 or packet[0] != 2 or struct.unpack("!I", packet[4:8])[0] != xid or \
            packet[236:240] != _COOKIE:
        return None
    kind, server, i = None, None, 240
    while i < len(packet) and packet[i] != 255:
        if packet[i] == 0:
            i += 1
            continue
        if i + 1 >= len(packet):
            break
        code, length = packet[i], packet[i + 1]
        value = packet[i + 2:i + 2 + length]
        if code == 53 and length == 1:
            kind = value[0]
        elif code == 54 and length == 4:
            server = str(ipaddress.IPv4Address(value))
        i += 2 + length
    if kind != 2:
        return None
    return server or str(ipaddress.IPv4Address(packet[20:24]))


def other_server(interface: str, seconds: float = WAIT_SECONDS) -> Optional[str]:
    """The address of a DHCP server that offers an address on ``interface``, or None (also when none can be asked)."""
    xid = struct.unpack("!I", os.urandom(4))[0]
    mac = bytes([0x02]) + os.urandom(5)          # locally administered, never a real machine's
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
            sock.bind(("0.0.0.0", 68))
        except OSError as exc:
            log.debug("cannot ask for other DHCP servers on %s: %s", interface, exc)
            return None
        deadline, resend = time.monotonic() + seconds, 0.0
        while time.monotonic() < deadline:
            if time.monotonic() >= resend:
                try:
                    sock.sendto(discover(xid, mac), ("255.255.255.255", 67))
                except OSError as exc:
                    log.debug("cannot send a DHCPDISCOVER on %s: %s", interface, exc)
                    return None
                resend = time.monotonic() + RESEND_SECONDS
            sock.settimeout(max(0.05, min(resend, deadline) - time.monotonic()))
            try:
                packet, _ = sock.recvfrom(4096)
            except socket.timeout:
                continue
            found = offer_from(packet, xid)
            if found:
                return found
    return None
