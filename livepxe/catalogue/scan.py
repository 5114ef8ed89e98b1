"""Find the images livepxe placed in a TFTP root: folders holding a note that says so.

The root is untrusted: the walk never follows a link, skips dot folders
(staging), and stops at ``DEPTH`` folders down and ``ENTRIES`` entries, so a
hostile or huge root costs a bounded scan.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import LivepxeError
from ..tree.layout import NOTE
from ..tree.note import TreeNote
from ..write import safefs

DEPTH = 6
ENTRIES = 50_000
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Image:
    image_dir: str
    note: TreeNote

    @property
    def ram_mib(self) -> int:
        ram = self.note.client_ram_mib
        return ram.http if self.note.iso_url else ram.bundled


def _read_note(folder_fd: int, where: str) -> TreeNote | None:
    text = safefs.read_small(folder_fd, NOTE)
    if text is None:
        return None
    try:
        return TreeNote.from_json(text, where)
    except LivepxeError as exc:
        log.info("%s", exc)
        return None


def images(root: Path) -> list[Image]:
    """The root's images, sorted by folder; an unreadable or foreign note is skipped."""
    found: list[Image] = []
    seen = 0
    pending: list[tuple[str, int]] = [("", 0)]
    root_fd = safefs.open_root(root)
    try:
        while pending:
            relpath, depth = pending.pop()
            try:
                fd = root_fd if not relpath else safefs.open_below(root_fd, root, relpath, "")
            except LivepxeError:  # became a link since it was listed: not walked
                continue
            if fd is None:
                continue
            try:
                note = _read_note(fd, str(root / relpath / NOTE)) if relpath else None
                if note is not None and note.integrated and note.image_dir == relpath:
                    found.append(Image(relpath, note))
                if depth >= DEPTH:
                    continue
                with os.scandir(fd) as entries:
                    for entry in entries:
                        seen += 1
                        if seen > ENTRIES:
                            raise LivepxeError(f"{root} holds more than {ENTRIES} entries; livepxe lists images "
                                               "only in roots smaller than that")
                        if not entry.name.startswith(".") and stat.S_ISDIR(entry.stat(follow_symlinks=False).st_mode):
                            pending.append((f"{relpath}/{entry.name}" if relpath else entry.name, depth + 1))
            finally:
                if fd != root_fd:
                    os.close(fd)
    finally:
        os.close(root_fd)
    return sorted(found, key=lambda image: image.image_dir)
