"""pxelinux/syslinux configs: render ours, parse any (an ISO's isolinux.cfg too), add kernel arguments.

Plain ``LABEL``/``KERNEL``/``APPEND`` lines, so the only module pxelinux
needs is ``ldlinux.c32``; the initrds go in ``initrd=a,b`` on the APPEND
line, which every SYSLINUX since 3.x understands.

Quoting: syslinux has none.  A keyword takes the rest of its line verbatim,
so only a line break can end a value: titles and comments are cleaned to one
printable line, and a kernel word is carried only when it is printable ASCII
and not ``initrd=`` (pxelinux would load the files it names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from .entry import BootEntry, default_entry
from .menu import MenuItem
from .text import canonical_cmdline, comment_lines, kernel_words, one_line, plain_kernel_word

KERNEL_KEYWORDS = ("kernel", "linux")
_LABEL = re.compile(r"^[A-Za-z0-9_.+-]+$")
_PATH = re.compile(r"^[!-~]+$")


def carries(word: str) -> bool:
    """Can an APPEND line hand ``word`` to the kernel unchanged, and nothing more?"""
    return plain_kernel_word(word) and not word.lower().startswith("initrd=")


def _check(entry: BootEntry) -> None:
    if not _LABEL.match(entry.label):
        raise ValueError(f"pxelinux label {entry.label!r} must be letters, digits and ._+-")
    for path in (entry.kernel, *entry.initrds):
        if not _PATH.match(path) or (path != entry.kernel and "," in path):
            raise ValueError(f"pxelinux cannot name the file {path!r} (white space, control characters or ',')")
    for word in kernel_words(entry.cmdline):
        if not carries(word):
            raise ValueError(f"pxelinux cannot carry the kernel word {word!r}")


def render(entries: Sequence[BootEntry], comment: str) -> str:
    """The config text; the entry marked default (else the first) boots unattended."""
    chosen = default_entry(entries)
    several = len(entries) > 1
    lines = [*comment_lines(comment), f"DEFAULT {chosen.label}",
             f"PROMPT {1 if several else 0}", f"TIMEOUT {50 if several else 1}"]
    for entry in entries:
        _check(entry)
        append = ([f"initrd={','.join(entry.initrds)}"] if entry.initrds else []) + kernel_words(entry.cmdline)
        lines += ["", f"LABEL {entry.label}", f"  MENU LABEL {one_line(entry.title) or entry.label}",
                  f"  KERNEL {entry.kernel}"]
        lines += [f"  APPEND {' '.join(append)}"] if append else []
    lines += ["", "ONERROR LOCALBOOT 0", ""]
    return "\n".join(lines)


def render_menu(items: Sequence[MenuItem], comment: str, ui: str | None, timeout_s: int,
                default: str | None = None) -> str:
    """A root's menu: each item loads its image's own config (``CONFIG``); ``ui`` is menu.c32 when the root has it.

    Without a UI module pxelinux shows its ``boot:`` prompt; the labels are typed there.
    """
    lines = [*comment_lines(comment), *([f"UI {ui}"] if ui else []), "MENU TITLE livepxe images",
             f"DEFAULT {default or items[0].label}", "PROMPT 1", f"TIMEOUT {timeout_s * 10}"]
    for item in items:
        if not _LABEL.match(item.label) or not _PATH.match(item.pxelinux):
            raise ValueError(f"pxelinux cannot name menu item {item.label!r} or {item.pxelinux!r}")
        lines += ["", f"LABEL {item.label}", f"  MENU LABEL {one_line(item.caption)}", f"  CONFIG {item.pxelinux}"]
    lines.append("")
    return "\n".join(lines)


def _split(line: str) -> tuple[str, str]:
    """A syslinux line's lower-case keyword and its value (the rest, trimmed)."""
    parts = line.split(None, 1)
    return (parts[0].lower() if parts else ""), (parts[1].strip() if len(parts) > 1 else "")


def statements(text: str) -> Iterator[tuple[int, str, str]]:
    """(line index, lower-case keyword, rest of the line) for each line syslinux acts on.

    Comments and ``TEXT HELP`` … ``ENDTEXT`` blocks (free text shown to the
    user, which may well start with a keyword) are skipped.
    """
    in_help = False
    for index, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if in_help:
            in_help = line.lower() != "endtext"
            continue
        if not line or line.startswith("#"):
            continue
        keyword, rest = _split(line)
        if keyword == "text" and rest.lower() == "help":
            in_help = True
            continue
        yield index, keyword, rest


@dataclass
class _Label:
    label: str
    title: str = ""
    kernel: str = ""
    kernel_args: list[str] = field(default_factory=list)
    initrds: list[str] = field(default_factory=list)
    append: str | None = None
    menu_default: bool = False


def parse(text: str, path: str = "") -> list[BootEntry]:
    """Entries of a syslinux-family config: each LABEL with a KERNEL/LINUX line.

    A label without APPEND takes the global one (``APPEND -`` means none);
    ``MENU DEFAULT`` marks the default, else the label the global DEFAULT names.
    """
    labels: list[_Label] = []
    global_default, global_append = "", ""
    for _, keyword, rest in statements(text):
        current = labels[-1] if labels else None
        if keyword == "label":
            labels.append(_Label(rest))
        elif keyword == "menu":
            sub, value = _split(rest)
            if current and sub == "label":
                current.title = value
            elif current and sub == "default":
                current.menu_default = True
        elif current is None:
            if keyword == "default":
                global_default = rest.split()[0] if rest else ""
            elif keyword == "append":
                global_append = rest
        elif keyword in KERNEL_KEYWORDS and rest:
            current.kernel, *current.kernel_args = rest.split()
        elif keyword == "initrd":
            current.initrds += [p for p in rest.split(",") if p]
        elif keyword == "append":
            current.append = rest
    any_menu_default = any(lb.menu_default for lb in labels)
    entries = []
    for lb in labels:
        if not lb.kernel:
            continue
        append = global_append if lb.append is None else lb.append
        words = lb.kernel_args + kernel_words("" if append.strip() == "-" else append)
        initrds = list(lb.initrds)
        for word in words:
            if word.startswith("initrd="):
                initrds += [p for p in word[len("initrd="):].split(",") if p]
        cmdline = canonical_cmdline(" ".join(w for w in words if not w.startswith("initrd=")))
        default = lb.menu_default if any_menu_default else lb.label == global_default
        entries.append(BootEntry(lb.label, lb.title or lb.label, lb.kernel, tuple(initrds), cmdline, default, path))
    return entries


def add_kernel_args(text: str, args: Sequence[str]) -> str:
    """``text`` with ``args`` appended to every APPEND line lacking them (a label without one gains one).

    Every other line is kept byte for byte, so a hand-written config keeps its menus and help texts.
    """
    for arg in args:
        if not carries(arg):
            raise ValueError(f"pxelinux cannot carry the kernel word {arg!r}")
    lines = text.splitlines()
    kernel_line: dict[int, int] = {}     # label's first line -> its kernel line
    has_append: set[int] = set()
    global_append = False
    label_at = -1
    for index, keyword, rest in statements(text):
        if keyword == "label":
            label_at = index
        elif keyword in KERNEL_KEYWORDS and label_at >= 0:
            kernel_line.setdefault(label_at, index)
        elif keyword == "append":
            if label_at < 0:
                global_append = True
            has_append.add(label_at)
            if rest != "-":
                missing = [a for a in args if a not in kernel_words(rest)]
                lines[index] = " ".join([lines[index].rstrip(), *missing])
    inserts = [] if global_append else [i for label, i in kernel_line.items() if label not in has_append]
    for index in sorted(inserts, reverse=True):
        indent = lines[index][:len(lines[index]) - len(lines[index].lstrip())]
        lines.insert(index + 1, f"{indent}APPEND {' '.join(args)}")
    return "\n".join(lines) + "\n"
