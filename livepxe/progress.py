"""Progress for long copies: a live line on a terminal, silence in logs."""

from __future__ import annotations

import sys
import time
from typing import TextIO

_MIB = 1024 * 1024


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
        rate = self.done / max(now - self._start, 1e-6) / _MIB
        percent = 100 * self.done / self.total
        self._stream.write(
            f"\r{self.label}: {percent:5.1f}% {self.done // _MIB}/{self.total // _MIB} MiB {rate:6.0f} MiB/s"
        )
        self._stream.flush()

    def finish(self) -> None:
        if self._live:
            self._draw(time.monotonic())
            self._stream.write("\n")
            self._stream.flush()
