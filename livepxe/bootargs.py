"""Find the kernel arguments a live ISO's own bootloader menus give.

livecd-creator has written isolinux.cfg (syslinux) and, since 2023 by
default, grub.cfg.  We read the entries of the first config that has any
and take, for each kernel, its plain "Start" entry: the one that does not
run the media check (``rd.live.check``), preferring the menu default.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    kernel: str  # base name of the kernel file the entry boots
    args: str
    default: bool = False


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1].lower()


def parse_isolinux(text: str) -> list[Entry]:
    """Entries of a syslinux/isolinux config (``label``/``kernel``/``append``)."""
    entries: list[dict] = []
    for raw in text.splitlines():
        words = raw.strip().split(None, 1)
        if not words:
            continue
        keyword, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
        if keyword == "label":
            entries.append({"kernel": None, "args": "", "default": False})
        elif not entries:
            continue
        elif keyword in ("kernel", "linux"):
            entries[-1]["kernel"] = _basename(rest.split()[0]) if rest.split() else None
        elif keyword == "append":
            entries[-1]["args"] = rest.strip()
        elif keyword == "menu" and rest.strip().lower() == "default":
            entries[-1]["default"] = True
    return [Entry(e["kernel"], e["args"], e["default"]) for e in entries if e["kernel"]]


_GRUB_LINUX = re.compile(r"^\s*(?:linux|linuxefi|linux16)\s+(\S+)\s*(.*)$")
_GRUB_DEFAULT = re.compile(r"""^\s*set\s+default=["']?(\d+)["']?\s*$""")


def parse_grub(text: str) -> list[Entry]:
    """Entries of a GRUB config: each ``linux``/``linuxefi`` line of a menuentry."""
    default_index = None
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        if match := _GRUB_DEFAULT.match(line):
            default_index = int(match.group(1))
        elif match := _GRUB_LINUX.match(line):
            found.append((_basename(match.group(1)), match.group(2).strip()))
    return [Entry(kernel, args, index == default_index) for index, (kernel, args) in enumerate(found)]


def parse_first(configs: dict[str, str]) -> tuple[list[Entry], str | None]:
    """Entries of the first config (in the given order) that has any, and its name."""
    for name, text in configs.items():
        parse = parse_grub if name.endswith("grub.cfg") else parse_isolinux
        entries = parse(text)
        if entries:
            return entries, name
    return [], None


def _runs_media_check(entry: Entry) -> bool:
    try:
        words = shlex.split(entry.args)
    except ValueError:
        words = entry.args.split()
    return "rd.live.check" in words


def args_for_kernel(entries: list[Entry], kernel_name: str) -> str | None:
    """Arguments of the plain boot entry for ``kernel_name``, or None if no entry names it."""
    mine = [e for e in entries if e.kernel == kernel_name.lower()]
    if not mine:
        return None
    best = min(enumerate(mine), key=lambda pair: (_runs_media_check(pair[1]), not pair[1].default, pair[0]))
    return best[1].args
