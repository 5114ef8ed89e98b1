"""The admin's choices for a catalogue root's menus: which image boots unattended, and after how long.

Kept in ``livepxe-catalogue.json`` at the top of the root (livepxe's file,
written only by ``livepxe menu``), read whenever the menus are rendered; an
unreadable or hostile file is ignored in favour of the defaults, with one
line saying so, so a conversion never fails on it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from .. import safefs

SETTINGS = "livepxe-catalogue.json"
DEFAULT_TIMEOUT_S = 10
MAX_TIMEOUT_S = 3600
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MenuSettings:
    default: Optional[str] = None          # image folder that boots unattended; None: the first
    timeout_s: int = DEFAULT_TIMEOUT_S

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


DEFAULTS = MenuSettings()


def _parse(text: str) -> Optional[MenuSettings]:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    default, timeout = data.get("default"), data.get("timeout_s", DEFAULT_TIMEOUT_S)
    if default is not None and not isinstance(default, str):
        return None
    if not isinstance(timeout, int) or isinstance(timeout, bool) or not 0 <= timeout <= MAX_TIMEOUT_S:
        return None
    return MenuSettings(default, timeout)


def read(root: Path) -> MenuSettings:
    """The root's menu settings, or the defaults (said once in the log) when the file is missing or bad."""
    fd = safefs.open_root(root)
    try:
        text = safefs.read_small(fd, SETTINGS, limit=1 << 16)
    finally:
        os.close(fd)
    if text is None:
        return MenuSettings()
    parsed = _parse(text)
    if parsed is None:
        log.warning("%s is not a settings file livepxe menu writes; the menus use the defaults (run livepxe menu "
                    "again to rewrite it)", root / SETTINGS)
        return MenuSettings()
    return parsed
