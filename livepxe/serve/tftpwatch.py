"""Notice dnsmasq frozen by a FIFO the tree gains while served, say so in one line, and free TFTP and DHCP again.

dnsmasq opens a TFTP file before it looks at what it is, and opening a FIFO
waits for a writer: one request for a FIFO stops all of dnsmasq, DHCP too.
`verify` refuses a tree holding one at the start, but the tree's owner can
add one while it is served.  So ``serve`` asks its own TFTP server for a
file that does not exist every few seconds (`answers`); when no answer
comes and a FIFO of the served tree has a reader waiting (a busy server
has none: a boot storm is not a freeze), it covers that FIFO with an empty
file in serve's own mount namespace (so no request reaches it again),
opens it for writing once to end the wait, and, if dnsmasq still does not
answer, starts it again.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import socket
import stat
from pathlib import Path
from typing import List

from . import reach

log = logging.getLogger(__name__)
#: The name the probes ask for: dropped from the step log.
PROBE = "livepxe-alive-probe"
#: Seconds between probes, seconds one waits, and probes unanswered in a row before dnsmasq counts as frozen.
PERIOD_SECONDS, ANSWER_SECONDS, MISSES = 3.0, 1.5, 2


def answers(ip: str, seconds: float = ANSWER_SECONDS) -> bool:
    """Does the TFTP server on ``ip`` answer a read request (with anything: an error is an answer)?"""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((ip, 0))
        probe.settimeout(seconds)
        name = f"{PROBE}-{secrets.token_hex(4)}".encode()
        probe.sendto(b"\x00\x01" + name + b"\x00octet\x00", (ip, 69))
        try:
            probe.recvfrom(1024)
        except OSError:
            return False
        return True


def fifos(root: Path) -> List[Path]:
    """The FIFOs in ``root``, and links in it that lead to one (at most `reach.SCAN_LIMIT` entries looked at)."""
    found: List[Path] = []
    for path in reach.entries(root):
        if path is None:
            break
        try:
            if stat.S_ISFIFO(os.stat(path).st_mode):
                found.append(Path(path))
        except OSError:
            continue
    return found


def writer(fifo: Path) -> int:
    """A write descriptor of ``fifo`` when a reader waits on it (dnsmasq, frozen), else -1.

    Opening a FIFO for writing without blocking succeeds only while it has a reader; closing the descriptor
    then ends the reader's wait (it reads an empty file).  This is what tells a freeze from a busy server.
    """
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno not in (errno.ENXIO, errno.ENOENT):
            log.debug("could not open %s for writing: %s", fifo, exc)
        return -1


def cover(fifo: Path, work: Path) -> bool:
    """Cover ``fifo`` with an empty file in serve's namespace; True when done.

    Only a FIFO reached through serve's private bind inside ``work``: a tree served in place is in the host's
    namespace, where serve mounts nothing.
    """
    if not str(fifo).startswith(str(work) + "/"):
        return False
    empty = work / "empty"
    try:
        if not empty.exists():
            empty.write_bytes(b"")
            empty.chmod(0o644)
        reach.cover(str(empty), str(fifo))
    except OSError as exc:
        log.debug("could not cover %s: %s", fifo, exc)
        return False
    return True
