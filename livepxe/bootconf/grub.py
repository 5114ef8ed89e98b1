"""GRUB configs: render ours (UEFI network boot), parse any (an ISO's grub.cfg too), add kernel arguments.

GRUB started from the network sets ``$root`` to the TFTP server
(``tftp,SERVER``) whatever its ``$prefix`` is (``/grub`` for Debian's
signed ``grubnetx64.efi`` and for ``grub-mknetdir``'s ``core.efi``), so a
path with a leading ``/`` and no device names a file from the TFTP root.
The config therefore names every file absolutely from the TFTP root, in
both deliveries, and works wherever in the tree the config itself sits.

Files fetched over HTTP (``convert --http-boot``) are named on GRUB's
``http`` device: ``http://HOST/PATH`` is written ``(http,HOST)/PATH``
(GRUB 2.06's ``http`` module, built into the unsigned image livepxe makes;
Debian 12's signed netboot image lacks it, so the engine keeps that GRUB on
TFTP).  Only port 80: upstream GRUB 2.06
has no way to name a port on a device, and the distributions' patches that
add one (``(http,HOST:PORT)`` in Debian 12 and Fedora) are not upstream's
2.06, so `http_path` refuses any other port and the engine keeps such a
tree's GRUB on TFTP.

Quoting: GRUB's script language has shell-like words.  Titles, paths and
kernel arguments are single-quoted unless plainly safe, so no ``;``,
newline, ``$`` or ``}`` from an ISO can become syntax.  GRUB then builds
the kernel command line itself (``grub_create_loader_cmdline``): it wraps
an argument holding a space in double quotes and puts a backslash before
every ``\\``, ``'`` and ``"``.  So ``k="v w"`` reaches the kernel as the
argument ``k=v w``, and a kernel word with any other quote or backslash
cannot pass through GRUB unchanged: it is not carried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .entry import BootEntry, default_entry
from .menu import MenuItem
from .text import comment_lines, kernel_words, one_line, plain_kernel_word

LINUX_COMMANDS = ("linux", "linuxefi", "linux16")
INITRD_COMMANDS = ("initrd", "initrdefi", "initrd16")
#: Words GRUB passes through unchanged; anything else is single-quoted.
_PLAIN = re.compile(r"^[A-Za-z0-9_./:=,+@%-]+$")
_LABEL = re.compile(r"^[A-Za-z0-9_.+-]+$")
#: ``key="value"`` or ``"value"``: the only double quotes a kernel word may have to pass through GRUB.
_QUOTED = re.compile(r'^([^"\s=]+=)?"([^"]*)"$')
#: menuentry options that take a value (``--id x``); the first other argument is the title.
_MENU_VALUE_OPTIONS = ("--class", "--users", "--hotkey", "--id", "--source")
_SPECIAL = ";{}|&<>\n"


def quote(word: str) -> str:
    """Quote ``word`` so GRUB's parser hands it on verbatim."""
    if _PLAIN.match(word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def tftp_path(path: str) -> str:
    """A path as GRUB must name it: absolute from the TFTP root."""
    return "/" + path.lstrip("/")


#: The one port GRUB 2.06's ``http`` device reaches: upstream's device names carry no port.
HTTP_PORT = 80
#: ``http://HOST[:80]/PATH``, the URLs `http_path` can name on GRUB's http device.
_HTTP_URL = re.compile(rf"^http://([A-Za-z0-9.-]+)(?::{HTTP_PORT})?(/[!-~]*)$")
#: ``(http,HOST)/PATH`` as a config names it: what `url_of` turns back into a URL.
_HTTP_DEVICE = re.compile(r"^\(http,([A-Za-z0-9.-]+)\)(/.*)$")


def http_path(url: str) -> str:
    """``http://HOST/PATH`` as GRUB names it, ``(http,HOST)/PATH``; ValueError for a URL GRUB 2.06 cannot fetch."""
    match = _HTTP_URL.match(url)
    if match is None:
        raise ValueError(f"GRUB cannot fetch {url!r}: only http://HOST/PATH on port 80 (GRUB 2.06 names no port)")
    return f"(http,{match.group(1)}){match.group(2)}"


def url_of(path: str) -> str | None:
    """The URL a ``(http,HOST)/PATH`` path fetches (None for any other path): the inverse of `http_path`."""
    match = _HTTP_DEVICE.match(path)
    return f"http://{match.group(1)}{match.group(2)}" if match else None


def file_path(path: str) -> str:
    """How the config names a file: on the HTTP device for a URL, else absolute from the TFTP root."""
    return http_path(path) if "://" in path else tftp_path(path)


def carries(word: str) -> bool:
    """Does GRUB hand the kernel ``word`` as it is (or as the kernel reads it, for ``k="v w"``)?"""
    if not plain_kernel_word(word) or "'" in word or "\\" in word:
        return False
    return ('"' not in word or _QUOTED.match(word) is not None) and _grub_arg(word) != ""


def _grub_arg(word: str) -> str:
    """The GRUB argument that makes the kernel see ``word``: ``k="v w"`` → ``k=v w``."""
    quoted = _QUOTED.match(word)
    return (quoted.group(1) or "") + quoted.group(2) if quoted else word


def _kernel_word(arg: str) -> str:
    """What the kernel sees for a GRUB argument (the inverse of `_grub_arg` where one exists)."""
    if any(c in arg for c in "\\'\""):
        escaped = re.sub(r"([\\'\"])", r"\\\1", arg)
        return f'"{escaped}"' if " " in arg else escaped
    if " " not in arg:
        return arg
    key, eq, value = arg.partition("=")
    return f'{key}="{value}"' if eq and " " not in key else f'"{arg}"'


_MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


def render_menu(items: Sequence[MenuItem], comment: str, timeout_s: int, default: str | None = None,
                machines: Sequence[tuple[str, str]] = ()) -> str:
    """A root's menu: each entry reads its image's own GRUB config (``configfile``).

    ``machines`` are (MAC, label) pairs: that client's unattended default, chosen by ``$net_default_mac``
    (set by GRUB's network stack, lower-case, whichever file the GRUB build reads first), so one menu
    file serves every machine.  GRUB cannot tell the client's RAM: each entry says what it needs.
    """
    lines = [*comment_lines(comment), f"set default={default or items[0].label}", f"set timeout={timeout_s}"]
    for mac, label in machines:
        if not _MAC.match(mac) or not _LABEL.match(label):
            raise ValueError(f"GRUB cannot name the machine {mac!r} or the label {label!r}")
        lines.append(f'if [ "$net_default_mac" = {mac} ]; then set default={label}; fi')
    for item in items:
        path = tftp_path(item.grub)
        if not _LABEL.match(item.label) or one_line(path) != path:
            raise ValueError(f"GRUB cannot name menu item {item.label!r} or {path!r}")
        lines += ["", f"menuentry {quote(one_line(item.caption))} --id {item.label} {{",
                  f"  configfile {quote(path)}", "}"]
    lines.append("")
    return "\n".join(lines)


def render(entries: Sequence[BootEntry], comment: str) -> str:
    """The config text: one ``menuentry`` per entry, the one marked default (else the first) by ``--id``."""
    chosen = default_entry(entries)
    several = len(entries) > 1
    lines = [*comment_lines(comment), f"set default={chosen.label}", f"set timeout={5 if several else 0}"]
    for entry in entries:
        if not _LABEL.match(entry.label):
            raise ValueError(f"GRUB menu id {entry.label!r} must be letters, digits and ._+-")
        for word in kernel_words(entry.cmdline):
            if not carries(word):
                raise ValueError(f"GRUB cannot carry the kernel word {word!r}")
        kernel = file_path(entry.kernel)
        initrds = [file_path(p) for p in entry.initrds]
        for path in (kernel, *initrds):
            if one_line(path) != path:
                raise ValueError(f"GRUB config cannot name the file {path!r}")
        args = " ".join(quote(_grub_arg(w)) for w in kernel_words(entry.cmdline))
        lines += ["", f"menuentry {quote(one_line(entry.title) or entry.label)} --id {entry.label} {{",
                  f"  echo {quote('Loading ' + kernel + ' ...')}",
                  f"  linux {quote(kernel)} {args}".rstrip()]
        if initrds:
            lines += [f"  echo {quote('Loading ' + ' '.join(initrds) + ' ...')}",
                      f"  initrd {' '.join(quote(p) for p in initrds)}"]
        lines.append("}")
    lines.append("")
    return "\n".join(lines)


@dataclass(frozen=True)
class Word:
    """One GRUB word: its text with quotes removed, variables left as written."""

    text: str
    expands: bool      # holds a $variable GRUB expands at boot
    start: int         # offsets of the word in the config text
    end: int


@dataclass(frozen=True)
class Command:
    """A simple command; ``block`` is the index (in `commands`' list) of the menuentry/submenu/function holding it."""

    words: tuple[Word, ...]
    depth: int
    block: int | None

    @property
    def name(self) -> str:
        return self.words[0].text

    @property
    def opens_block(self) -> bool:
        return self.name in ("menuentry", "submenu", "function")


def _variable(text: str, i: int) -> int:
    """End of the ``$name``/``${name}`` reference at ``i``."""
    if text.startswith("${", i):
        close = text.find("}", i)
        return len(text) if close < 0 else close + 1
    j = i + 1
    if j < len(text) and text[j] in "?#@*":
        return j + 1
    while j < len(text) and (text[j].isalnum() or text[j] == "_"):
        j += 1
    return j


def _word(text: str, i: int) -> tuple[Word, int]:
    """Read the word starting at ``i``, as GRUB's lexer does."""
    start, out, expands = i, [], False
    while i < len(text) and text[i] not in " \t" and text[i] not in _SPECIAL:
        c = text[i]
        if c == "'":
            close = text.find("'", i + 1)
            close = len(text) if close < 0 else close
            out.append(text[i + 1:close])
            i = close + 1
        elif c == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in '$"\\\n':
                    out.append("" if text[i + 1] == "\n" else text[i + 1])
                    i += 2
                elif text[i] == "$":
                    end = _variable(text, i)
                    out.append(text[i:end])
                    expands, i = True, end
                else:
                    out.append(text[i])
                    i += 1
            i += 1
        elif c == "\\":
            out.append("" if text[i + 1:i + 2] == "\n" else text[i + 1:i + 2])
            i += 2
        elif c == "$":
            end = _variable(text, i)
            out.append(text[i:end])
            expands, i = True, end
        else:
            out.append(c)
            i += 1
    return Word("".join(out), expands, start, min(i, len(text))), i


def commands(text: str) -> list[Command]:
    """Every simple command of a GRUB script, with its nesting in ``{ }`` blocks.

    Enough of GRUB's grammar to find menu entries and to prove that nothing
    from an ISO added a command: ``;`` and newlines end commands, ``#`` starts
    a comment at the start of a word, ``{``/``}`` open and close blocks.
    """
    found: list[Command] = []
    words: list[Word] = []
    stack: list[int | None] = [None]

    def flush() -> None:
        if words:
            found.append(Command(tuple(words), len(stack) - 1, stack[-1]))
            words.clear()

    i = 0
    while i < len(text):
        c = text[i]
        if c in " \t" or text.startswith("\\\n", i):
            i += 1 if c in " \t" else 2
        elif c in ";\n":
            flush()
            i += 1
        elif c == "#":  # a word never starts with '#' here: `_word` keeps one inside a word
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
        elif c == "{":
            flush()
            stack.append(len(found) - 1 if found and found[-1].opens_block else None)
            i += 1
        elif c == "}":
            flush()
            if len(stack) > 1:
                stack.pop()
            i += 1
        elif c in "|&<>":
            words.append(Word(c, False, i, i + 1))
            i += 1
        else:
            word, i = _word(text, i)
            words.append(word)
    flush()
    return found


def _menu_title_and_id(header: Command) -> tuple[str, str]:
    title, menu_id, args = "", "", [w.text for w in header.words[1:]]
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--id="):
            menu_id = arg[len("--id="):]
        elif arg in _MENU_VALUE_OPTIONS:
            menu_id = args[i + 1] if arg == "--id" and i + 1 < len(args) else menu_id
            i += 1
        elif not arg.startswith("--") and not title:
            title = arg
        i += 1
    return title, menu_id


def _default_value(found: list[Command]) -> str:
    """The value of the last top-level ``set default=`` (GRUB's default is entry 0)."""
    value = "0"
    for command in found:
        words = [w.text for w in command.words]
        if command.depth == 0 and words[0] == "set" and len(words) > 1:
            words = words[1:]
        if command.depth == 0 and words[0].startswith("default="):
            value = words[0][len("default="):]
    return value


def parse(text: str, path: str = "") -> list[BootEntry]:
    """Entries of a GRUB config: each menuentry with a ``linux``-family command, at any depth.

    Paths are as written (``($root)/x`` too).  Kernel words GRUB would take
    from ``$variables`` are left out: their value is known only at boot.
    """
    found = commands(text)
    default = _default_value(found)
    bodies: dict[int, list[Command]] = {}
    for command in found:
        if command.block is not None:
            bodies.setdefault(command.block, []).append(command)
    positions: dict[int | None, str] = {None: ""}
    siblings: dict[int | None, int] = {}
    entries = []
    for index, command in enumerate(found):
        if command.name not in ("menuentry", "submenu"):
            continue
        number = siblings.get(command.block, 0)
        siblings[command.block] = number + 1
        parent = positions.get(command.block, "")
        positions[index] = f"{parent}>{number}" if parent else str(number)
        if command.name == "submenu":
            continue
        body = bodies.get(index, [])
        linux = next((c for c in body if c.name in LINUX_COMMANDS and len(c.words) > 1), None)
        if linux is None:
            continue
        title, menu_id = _menu_title_and_id(command)
        initrds = tuple(w.text for c in body if c.name in INITRD_COMMANDS for w in c.words[1:])
        cmdline = " ".join(_kernel_word(w.text) for w in linux.words[2:] if not w.expands and w.text)
        is_default = default in (positions[index], menu_id, title)
        entries.append(BootEntry(menu_id or positions[index], title, linux.words[1].text, initrds, cmdline,
                                 is_default, path))
    return entries


def add_kernel_args(text: str, args: Sequence[str]) -> str:
    """``text`` with ``args`` added at the end of every ``linux`` command lacking them; all else kept as is."""
    for arg in args:
        if not carries(arg):
            raise ValueError(f"GRUB cannot carry the kernel word {arg!r}")
    edits = []
    for command in commands(text):
        if command.name in LINUX_COMMANDS and len(command.words) > 1:
            present = {_kernel_word(w.text) for w in command.words[2:]}
            missing = [quote(_grub_arg(a)) for a in args if a not in present]
            if missing:
                edits.append((command.words[-1].end, " " + " ".join(missing)))
    for offset, addition in sorted(edits, reverse=True):
        text = text[:offset] + addition + text[offset:]
    return text
