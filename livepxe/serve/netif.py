"""The IPv4 address ``serve`` answers on, read from the interface with iproute2."""

from __future__ import annotations

import ipaddress
import json

from ..errors import LivepxeError
from ..host import run


def addresses(interface: str) -> list[ipaddress.IPv4Interface]:
    """The interface's IPv4 addresses (with prefix length); LivepxeError if it does not exist."""
    proc = run.run("ip", ["-j", "-4", "addr", "show", "dev", interface], check=False)
    if proc.returncode != 0:
        raise LivepxeError(f"interface {interface} does not exist (ip addr: {proc.stderr.strip()})")
    found = []
    for link in json.loads(proc.stdout or "[]"):
        for info in link.get("addr_info", []):
            if info.get("family") == "inet":
                found.append(ipaddress.IPv4Interface(f"{info['local']}/{info['prefixlen']}"))
    return found


def choose(interface: str, wanted: str | None = None) -> ipaddress.IPv4Interface:
    """The address to serve on: ``wanted`` if the interface has it, else its only one."""
    found = addresses(interface)
    if not found:
        raise LivepxeError(f"interface {interface} has no IPv4 address; give it one, or choose another --interface")
    if wanted is not None:
        for candidate in found:
            if str(candidate.ip) == wanted:
                return candidate
        listed = ", ".join(str(a.ip) for a in found)
        raise LivepxeError(f"interface {interface} does not hold {wanted} (it has {listed})")
    if len(found) > 1:
        listed = ", ".join(str(a.ip) for a in found)
        raise LivepxeError(f"interface {interface} has several IPv4 addresses ({listed}): choose one with --address")
    return found[0]
