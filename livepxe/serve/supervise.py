"""Run one program so that it ends with ``serve``, however ``serve`` ends (SIGKILL included).

``python -m livepxe.serve.supervise PARENT_PID PROGRAM ARGS...``.  A
parent-death signal set on dnsmasq itself would not hold: the kernel clears
it when dnsmasq drops root.  So this small process, which stays root and
never changes its credentials, asks for SIGTERM when its parent dies,
starts the program in a process group of its own, and on any stop signal
ends that group (SIGKILL after a grace period); otherwise it waits and exits
with the program's status.  Its standard streams are the program's.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import time
from typing import List

from livepxe.host.run import Popen, TimeoutExpired

_PR_SET_PDEATHSIG = 1
GRACE_SECONDS = 5.0


def main(argv: List[str]) -> int:
    parent, command = int(argv[0]), argv[1:]
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    stopping: List[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda signum, frame: stopping.append(signum))
    if os.getppid() != parent:        # the parent died before the request above took effect
        return 0
    child = Popen(command, start_new_session=True)
    while child.poll() is None:
        if stopping or os.getppid() != parent:
            _end(child)
            break
        time.sleep(0.2)
    return child.returncode if child.returncode >= 0 else 128 - child.returncode


def _end(child: Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(GRACE_SECONDS)
    except TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    except ProcessLookupError:
        child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
