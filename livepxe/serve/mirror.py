"""A TFTP root that is a tree plus files of our own, without touching the tree: `serve`'s and the boot harness's.

Both hand out a folder holding a few real files (loaders ``serve`` builds,
the harness's console-enabled configs) and, for every other entry of the
tree, a symbolic link to it.  The rule that keeps a hostile tree from
redirecting our writes: the folder is new and empty when our files are
written (`build` refuses an existing one), and links come last, only where
no entry of ours is (never replacing one).  A folder of ours that shares a
name with a real folder of the tree is filled the same way, one level down;
a tree's link is only ever linked to, never entered.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping


def build(root: Path, folder: Path, fill: Callable[[Path], None]) -> Path:
    """``folder`` (made here; it must not exist): what ``fill`` writes, then links to ``root``'s other entries."""
    folder.mkdir(mode=0o755)
    fill(folder)
    link_rest(root.absolute(), folder)
    return folder


def write_texts(texts: Mapping[str, str]) -> Callable[[Path], None]:
    """A ``fill`` writing each text at its path (``/``-separated, from the folder), making the folders on the way."""
    def fill(folder: Path) -> None:
        for rel, text in texts.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return fill


def link_rest(source: Path, folder: Path) -> None:
    """Link each entry of ``source`` into ``folder`` where ``folder`` has nothing by that name; never replace."""
    if not source.is_dir():
        return
    for entry in source.iterdir():
        ours = folder / entry.name
        if not os.path.lexists(ours):
            ours.symlink_to(entry)
        elif ours.is_dir() and not ours.is_symlink() and entry.is_dir() and not entry.is_symlink():
            link_rest(entry, ours)
