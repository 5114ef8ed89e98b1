"""Keep dnsmasq's TFTP to the served interface: a client routed in through another one gets no answer.

With ``bind-interfaces`` dnsmasq binds TFTP to the interface's address and
then trusts the socket, but Linux delivers a packet for a local address
whichever interface it arrives on: a host on another network with a route
to the served address fetched the tree.  dnsmasq has no option for it, so
``serve`` (root) takes a copy of dnsmasq's port-69 socket (``pidfd_getfd``,
Linux 5.6) and binds that socket to the served device (``SO_BINDTODEVICE``),
as its HTTP listener is.  Each transfer then runs on a socket of its own
that answers only the client whose request the listener accepted.
"""

from __future__ import annotations

import ctypes
import os
import socket
import struct
from pathlib import Path
from typing import Optional

_SYS_PIDFD_OPEN, _SYS_PIDFD_GETFD = 434, 438     # the same on every architecture since 5.3 / 5.6
TFTP_PORT = 69


def pin(supervisor: int, ip: str, device: str) -> Optional[str]:
    """Bind the TFTP listener of dnsmasq (the child of ``supervisor``) to ``device``; None, or why it could not."""
    pid = _child(supervisor)
    if pid is None:
        return "dnsmasq's process was not found"
    inode = _udp_inode(pid, ip, TFTP_PORT)
    fd = _fd_of(pid, inode) if inode is not None else None
    if fd is None:
        return f"dnsmasq holds no TFTP socket on {ip}"
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = libc.syscall(_SYS_PIDFD_OPEN, pid, 0)
    if pidfd < 0:
        return f"pidfd_open: {os.strerror(ctypes.get_errno())}"
    try:
        theirs = libc.syscall(_SYS_PIDFD_GETFD, pidfd, fd, 0)
        if theirs < 0:
            return f"pidfd_getfd: {os.strerror(ctypes.get_errno())}"
    finally:
        os.close(pidfd)
    with socket.socket(fileno=theirs) as listener:   # closing our copy leaves dnsmasq's open
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
    return None


def _child(parent: int) -> Optional[int]:
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat_file.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == parent:
            return int(stat_file.parent.name)
    return None


def _udp_inode(pid: int, ip: str, port: int) -> Optional[int]:
    """The inode of the UDP socket bound to ``ip:port`` in ``pid``'s network namespace."""
    wanted = f"{struct.unpack('=I', socket.inet_aton(ip))[0]:08X}:{port:04X}"
    try:
        rows = Path(f"/proc/{pid}/net/udp").read_text().splitlines()[1:]
    except OSError:
        return None
    for row in rows:
        cols = row.split()
        if len(cols) > 9 and cols[1] == wanted:
            return int(cols[9])
    return None


def _fd_of(pid: int, inode: int) -> Optional[int]:
    for link in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(link) == f"socket:[{inode}]":
                return int(link.name)
        except OSError:
            continue
    return None
