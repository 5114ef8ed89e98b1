"""Every way a run is told to stop ends it the way Ctrl-C does, and nothing cuts its cleanup short.

Ctrl-C raises KeyboardInterrupt, which unwinds through the tree writer's
cleanup; SIGTERM (systemd, kill, a CI timeout) and SIGHUP (a closed
terminal) would otherwise end the process on the spot and leave the staging
folder behind.  ``as_interrupts`` makes them raise ``Interrupted``, a
KeyboardInterrupt.  While a commit or a cleanup runs, ``deferred`` holds all
three, so a second Ctrl-C cannot leave half of it undone.  Python runs
signal handlers in the main thread only, so elsewhere both are no-ops.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from types import FrameType
from typing import Iterator, List, Optional

#: The signals that mean "stop": each ends a run as Ctrl-C does.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived; ``signum`` says which (the exit status is 128 + signum)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise(signum: int, frame: Optional[FrameType]) -> None:
    raise Interrupted(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def as_interrupts() -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP raise Interrupted; the previous handlers come back after."""
    if not _in_main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def deferred(redeliver: bool = True) -> Iterator[List[int]]:
    """Hold the stop signals while inside; on leaving, one that arrived goes to the handler it was meant for.

    A cleanup after an error or a first Ctrl-C passes ``redeliver=False``: the
    run is ending anyway, and a held signal must not replace the exception
    that is.  So does an exception raised inside.  Yields the list of signals
    held so far.
    """
    held: List[int] = []
    if not _in_main_thread():
        yield held
        return
    previous = {signum: signal.signal(signum, lambda signum, frame: held.append(signum)) for signum in STOP_SIGNALS}
    try:
        yield held
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if held and redeliver:
        signal.raise_signal(held[0])
