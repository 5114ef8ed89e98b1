"""Progress for long copies: a live line on a terminal, silence in logs."""

from __future__ import annotations

import sys
import time
from typing import Optional, TextIO

_MIB = 1024 * 1024
#: The stream a progress line is drawn on and not yet ended (by finish, or by end_line when a run stops midway).
_open_line: Optional[TextIO] = None


def end_line() -> None:
    """End a progress line left open by a run that stopped midway, so that the next message has a line of its own."""
    global _open_line
    if _open_line is not None:
        _open_line.write("\n")
        _open_line.flush()
        _open_line = None


class Progress:
    """Reports bytes written out of a known total.

    Draws on stderr only when stderr is a terminal and ``enabled`` is true, so
    logs of automated composes stay quiet.  Redraws at most ~5 times a second.
    """

    def __init__(self, total: int, label: str, enabled: bool = True, stream: TextIO | None = None):
        self.total = max(total, 1)
        self.label = label
        self.done = 0
        self._stream = stream or sys.stderr
        self._live = enabled and self._stream.isatty()
        self._start = time.monotonic()
        self._last_draw = 0.0

    def advance(self, nbytes: int) -> None:
        self.done += nbytes
        now = time.monotonic()
        if self._live and now - self._last_draw >= 0.2:
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        global _open_line
        _open_line = self._stream
        rate = self.done / max(now - self._start, 1e-6) / _MIB
        percent = 100 * self.done / self.total
        self._stream.write(
            f"\r{self.label}: {percent:5.1f}% {self.done // _MIB}/{self.total // _MIB} MiB {rate:6.0f} MiB/s"
        )
        self._stream.flush()

    def finish(self) -> None:
        if self._live:
            self._draw(time.monotonic())
            end_line()
