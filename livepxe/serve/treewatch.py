"""Notice the served tree being replaced, so ``serve`` starts again on the new one instead of serving a ghost.

``convert --force`` writes a new tree beside the old and renames it into
place: the folder ``serve`` opened (its HTTP descriptor, its bind mount,
its TFTP mirror's links) is then the old one, emptied or gone, and every
request would 404.  So ``serve`` remembers which folder (device, inode)
each served path named when it read the note, and looks again while it
serves; on a change it stops both servers (never a mix of old and new
files), waits for the path to hold a folder that has stopped changing,
and plans, verifies and serves it from the start.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Tuple

#: How long a replaced path may be missing or still changing before serve gives up.
RETURN_SECONDS = 60.0
#: How long the new folder must stay the same folder before it is read.
SETTLE_SECONDS = 1.0

Identity = Optional[Tuple[int, int]]


def identity(folder: Path) -> Identity:
    """(device, inode) of the folder at ``folder`` now, or None when there is none."""
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return info.st_dev, info.st_ino


class TreeWatch:
    """The folders a serve run reads, and which folder each path named when it was read."""

    def __init__(self, folders: Iterable[Path] = ()) -> None:
        self.seen: List[Tuple[Path, Identity]] = []
        self.add(folders)

    def add(self, folders: Iterable[Path]) -> None:
        self.seen.extend((folder, identity(folder)) for folder in folders)

    def replaced(self) -> Optional[Path]:
        """The first watched path that now names another folder (or none), else None."""
        return next((folder for folder, seen in self.seen if identity(folder) != seen), None)


def wait_settled(folder: Path, seconds: float = RETURN_SECONDS, settle: float = SETTLE_SECONDS,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> bool:
    """True once ``folder`` names one folder for ``settle`` seconds; False if that does not happen in ``seconds``."""
    deadline = clock() + seconds
    last, since = identity(folder), clock()
    while clock() < deadline:
        sleep(min(0.2, settle))
        now = identity(folder)
        if now != last:
            last, since = now, clock()
        elif now is not None and clock() - since >= settle:
            return True
    return False
