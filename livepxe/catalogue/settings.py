"""The admin's choices for a catalogue root's menus: which image boots unattended (for every client, and
per machine by MAC), and after how long.

Kept in ``livepxe-catalogue.json`` at the top of the root (livepxe's file,
written only by ``livepxe menu``), read whenever the menus are rendered; an
unreadable or hostile file is ignored in favour of the defaults, with one
line saying so, so a conversion never fails on it.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Optional, Tuple

from ..write import safefs

SETTINGS = "livepxe-catalogue.json"
DEFAULT_TIMEOUT_S = 10
MAX_TIMEOUT_S = 3600
MAX_MACHINES = 1024   # each is a file in pxelinux.cfg and a test in the GRUB and iPXE menus
_MAC = re.compile(r"^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$")
log = logging.getLogger(__name__)


def mac_address(text: str) -> Optional[str]:
    """``text`` as the loaders write a MAC (lower case, colons), or None when it is not one."""
    text = text.strip().lower()
    return text.replace("-", ":") if _MAC.match(text) else None


@dataclass(frozen=True)
class MenuSettings:
    default: Optional[str] = None          # image folder that boots unattended; None: the first
    timeout_s: int = DEFAULT_TIMEOUT_S
    machines: Tuple[Tuple[str, str], ...] = ()   # (MAC, image folder): that machine's unattended default

    def to_json(self) -> str:
        data = asdict(self)
        data["machines"] = dict(self.machines)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    def machine(self, mac: str, image_dir: Optional[str]) -> MenuSettings:
        """These settings with ``mac``'s default set to ``image_dir`` (None: forgotten)."""
        rest = [(m, i) for m, i in self.machines if m != mac]
        return replace(self, machines=tuple(sorted(rest + ([(mac, image_dir)] if image_dir else []))))

    def without(self, image_dir: str) -> MenuSettings:
        """These settings once ``image_dir`` is removed: no default, for any machine, names it."""
        return MenuSettings(None if self.default == image_dir else self.default, self.timeout_s,
                            tuple((m, i) for m, i in self.machines if i != image_dir))


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
    machines = data.get("machines", {})
    if not isinstance(machines, dict) or len(machines) > MAX_MACHINES:
        return None
    pairs = []
    for mac, image_dir in machines.items():
        if mac_address(mac) != mac or not isinstance(image_dir, str):
            return None
        pairs.append((mac, image_dir))
    return MenuSettings(default, timeout, tuple(sorted(pairs)))


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
