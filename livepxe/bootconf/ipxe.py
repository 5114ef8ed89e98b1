"""iPXE scripts: render ours (``boot.ipxe``), parse any, add kernel arguments.

The script sits beside the kernel and initrds and names them by relative
URIs (absolute ``http://`` URLs with ``convert --http-boot``); iPXE
resolves relative URIs against the script's own URI, so one script works
whether it was fetched by HTTP (fast: iPXE's TFTP blocks top out at 1432
bytes) or by TFTP.  Each initrd is also named on the kernel command line
(``initrd=NAME``) so a UEFI kernel's EFI stub finds it in iPXE's virtual
file system; BIOS iPXE hands them to the kernel concatenated in order.

Quoting: iPXE has none.  It expands ``${...}`` in a whole line, splits it at
white space, ends a command at a ``;``, ``&&`` or ``||`` token, starts a
comment at a token beginning with ``#`` and joins a line ending in ``\\``
to the next.  So a kernel word with ``$``, with such a token, or ending in
``\\`` is not carried, and titles lose those pieces.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Sequence

from .entry import BootEntry, default_entry
from .menu import MenuItem
from .text import canonical_cmdline, comment_lines, kernel_words, one_line, plain_kernel_word

SEPARATORS = (";", "&&", "||")
KERNEL_COMMANDS = ("kernel", "chain")
INITRD_COMMANDS = ("initrd", "imgfetch", "module")
#: Image command options that take a value; the first other argument is the URI.
_VALUE_OPTIONS = ("--name", "-n", "--timeout", "-t")
_PLAIN_URI = re.compile(r"^[A-Za-z0-9._~/:%+-]+$")
_LABEL = re.compile(r"^[A-Za-z0-9_.+-]+$")


def relative_uri(path: str, script_dir: str) -> str:
    """``path`` (as a config names it, maybe ``/``-rooted) relative to the script's folder."""
    if "://" in path:
        if not _PLAIN_URI.match(path):
            raise ValueError(f"{path!r} is not a plain URI iPXE can name")
        return path
    relative = posixpath.relpath("/" + path.lstrip("/"), "/" + script_dir.strip("/"))
    if not _PLAIN_URI.match(relative):
        raise ValueError(f"{relative!r} cannot be written as a plain relative URI")
    return relative


def _is_syntax(token: str) -> bool:
    return token in SEPARATORS or token.startswith("#")


def carries(word: str) -> bool:
    """Does a ``kernel`` line hand ``word`` to the kernel unchanged, with no iPXE syntax in it?"""
    return (plain_kernel_word(word) and "$" not in word and not word.endswith("\\")
            and not word.lower().startswith("initrd=") and not any(_is_syntax(t) for t in word.split(" ")))


def _text(title: str) -> str:
    """A title as data on an ``item``/``echo`` line: no expansion, separator, comment or continuation."""
    tokens = one_line(title).replace("$", "").split()
    return " ".join(t.lstrip("#") for t in tokens if t not in SEPARATORS and t.lstrip("#")).rstrip(" \\")


#: How the menu learns the client's RAM, in MiB: ``${memsize}`` where the build has it (iPXE's MEMMAP_SETTINGS,
#: off by default and in Debian's and Fedora's ROMs), else the sizes of the SMBIOS memory devices (type 17,
#: offset 12: a little-endian 16-bit size in MiB) added up.  Size words meaning "unknown", "in KiB" or "see the
#: extended size" (0xFFFF, bit 15, 0x7FFF) read as large, so they never refuse a client; 0 means "cannot tell".
RAM_PROBE = [
    "set livepxe_ram:int32 0",
    "isset ${memsize} && set livepxe_ram:int32 ${memsize} && goto livepxe_menu ||",
    "set livepxe_i:int32 0",
    ":livepxe_dimm",
    "isset ${smbios/${livepxe_i}.17.1.1:hexraw} || goto livepxe_menu",
    "set livepxe_dimm:hexraw 0000${smbios/${livepxe_i}.17.13.1:hexraw}${smbios/${livepxe_i}.17.12.1:hexraw}",
    "inc livepxe_ram ${livepxe_dimm:int32}",
    "inc livepxe_i",
    "iseq ${livepxe_i} 64 || goto livepxe_dimm",
]
_MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


def render_menu(items: Sequence[MenuItem], comment: str, timeout_s: int, script_dir: str = "",
                default: str | None = None, machines: Sequence[tuple[str, str]] = ()) -> str:
    """A root's menu script: each item chains its image's own ``boot.ipxe`` (relative to this script).

    Before chaining, an item compares the client's RAM with what the image needs (iPXE has no numeric
    test: ``inc`` adds minus the need to a 32-bit setting, whose first byte, read as a string, is empty
    when the result is not negative) and, when short, says so and shows the menu again, without a timeout.
    ``machines`` are (MAC as iPXE writes ``${mac}``, label) pairs: that client's unattended default.
    """
    for item in items:
        if not _LABEL.match(item.label):
            raise ValueError(f"iPXE label {item.label!r} must be letters, digits and ._+-")
    first = default or items[0].label
    lines = ["#!ipxe", *comment_lines(comment), *RAM_PROBE, "", ":livepxe_menu"]
    lines += [f"set livepxe_default {first}", f"set livepxe_wait {timeout_s * 1000}"]
    for mac, label in machines:
        if not _MAC.match(mac) or not _LABEL.match(label):
            raise ValueError(f"iPXE cannot name the machine {mac!r} or the label {label!r}")
        lines.append(f"iseq ${{mac}} {mac} && set livepxe_default {label} ||")
    lines += ["isset ${livepxe_refused} && set livepxe_wait 0 ||",
              "menu livepxe images || goto livepxe_nomenu"]
    lines += [f"item {item.label} {_text(item.caption) or item.label}" for item in items]
    lines += ["choose --default ${livepxe_default} --timeout ${livepxe_wait} target && goto ${target} ||",
              "goto ${livepxe_default}", "", ":livepxe_nomenu",
              "isset ${livepxe_refused} && exit 1 ||", "goto ${livepxe_default}"]
    for item in items:
        lines += ["", f":{item.label}", "iseq ${livepxe_ram} 0 && goto " + item.label + "_boot ||",
                  "set livepxe_left:int32 ${livepxe_ram}", f"inc livepxe_left -{item.ram_mib}",
                  f"isset ${{livepxe_left:string}} || goto {item.label}_boot",
                  f"echo {item.label}: needs {item.ram_mib} MiB RAM, this machine has ${{livepxe_ram}} MiB",
                  "set livepxe_refused 1", "goto livepxe_menu",
                  f":{item.label}_boot", f"chain {relative_uri(item.ipxe, script_dir)}"]
    lines.append("")
    return "\n".join(lines)


def render(entries: Sequence[BootEntry], comment: str, script_dir: str = "") -> str:
    """Script text for ``entries``; ``script_dir`` is the script's folder under the TFTP root."""
    chosen = default_entry(entries)
    for entry in entries:
        if not _LABEL.match(entry.label):
            raise ValueError(f"iPXE label {entry.label!r} must be letters, digits and ._+-")
        for word in kernel_words(entry.cmdline):
            if not carries(word):
                raise ValueError(f"iPXE cannot carry the kernel word {word!r}")
    lines = ["#!ipxe", *comment_lines(comment)]
    if len(entries) > 1:
        lines += ["menu Boot live image || goto " + chosen.label]
        lines += [f"item {e.label} {_text(e.title) or e.label}" for e in entries]
        lines += [f"choose --default {chosen.label} --timeout 5000 target && goto ${{target}}",
                  f"goto {chosen.label}"]
    for entry in entries:
        uris = [relative_uri(p, script_dir) for p in entry.initrds]
        names = [f"initrd={posixpath.basename(u)}" for u in uris]
        kernel = " ".join(["kernel", relative_uri(entry.kernel, script_dir), *names, *kernel_words(entry.cmdline)])
        lines += ["", f":{entry.label}", f"echo Loading {_text(entry.title) or entry.label}", kernel]
        lines += [f"initrd {u}" for u in uris]
        lines += ["boot"]
    lines.append("")
    return "\n".join(lines)


def commands(text: str) -> list[tuple[int, list[str]]]:
    """(line index, tokens) of every command, as iPXE splits them; a label line is ``[":name"]``."""
    found: list[tuple[int, list[str]]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        first, line = index, lines[index]
        while line.endswith("\\") and index + 1 < len(lines):
            index += 1
            line = line[:-1] + lines[index]
        index += 1
        tokens = line.split()
        if tokens and tokens[0].startswith(":"):
            found.append((first, tokens[:1]))
            continue
        current: list[str] = []
        for token in tokens:
            if token.startswith("#"):
                break
            if token in SEPARATORS:
                found += [(first, current)] if current else []
                current = []
            else:
                current.append(token)
        found += [(first, current)] if current else []
    return found


def _positional(tokens: list[str]) -> list[str]:
    """An image command's arguments after its options (``--name x``, ``--autofree``)."""
    i = 1
    while i < len(tokens) and tokens[i].startswith("-"):
        i += 2 if tokens[i] in _VALUE_OPTIONS else 1
    return tokens[i:]


@dataclass
class _Found:
    label: str
    kernel: str
    cmdline: str
    initrds: list[str] = field(default_factory=list)


def parse(text: str, path: str = "") -> list[BootEntry]:
    """Entries of an iPXE script: each ``kernel``/``chain`` command and the initrds after it.

    An entry is named by the label it follows; its title is the menu ``item``
    text, else what its ``echo Loading`` line says.  The default is the
    ``choose --default`` label, else the first entry.  Words iPXE expands
    (``${...}``) and its own ``initrd=`` words are left out of the command line.
    """
    label, default_label = "", None
    titles: dict[str, str] = {}
    echoed: dict[str, str] = {}
    found: list[_Found] = []
    for _, tokens in commands(text):
        name = tokens[0]
        if name.startswith(":"):
            label = name[1:]
        elif name == "item" and _item_args(tokens):
            args = _item_args(tokens)
            titles[args[0]] = " ".join(args[1:])
        elif name == "choose" and "--default" in tokens[:-1]:
            default_label = tokens[tokens.index("--default") + 1]
        elif name == "echo" and tokens[1:2] == ["Loading"]:
            echoed.setdefault(label, " ".join(tokens[2:]))
        elif name in KERNEL_COMMANDS and _positional(tokens):
            uri, *words = _positional(tokens)
            kept = [w for w in kernel_words(" ".join(words)) if "$" not in w and not w.startswith("initrd=")]
            found.append(_Found(label, uri, canonical_cmdline(" ".join(kept))))
        elif name in INITRD_COMMANDS and found and _positional(tokens):
            found[-1].initrds.append(_positional(tokens)[0])
    return [BootEntry(f.label, titles.get(f.label) or echoed.get(f.label) or f.label, f.kernel, tuple(f.initrds),
                      f.cmdline, f.label == default_label if default_label is not None else number == 0, path)
            for number, f in enumerate(found)]


def _item_args(tokens: list[str]) -> list[str]:
    """``item [--key k] [--default] [--gap] LABEL TEXT…``: the label and the text."""
    i = 1
    while i < len(tokens) and tokens[i].startswith("--"):
        i += 2 if tokens[i] in ("--key", "--menu") else 1
    return tokens[i:]


def _with_args(tokens: list[str], args: Sequence[str]) -> list[str]:
    """One line's tokens with ``args`` added to each kernel command on it (before its separator)."""
    out: list[str] = []
    start = 0
    for i, token in enumerate([*tokens, ""]):
        if token and token not in SEPARATORS and not token.startswith("#"):
            out.append(token)
            continue
        command = out[start:]
        if command and command[0] in KERNEL_COMMANDS and _positional(command):
            out += [a for a in args if a not in command]
        if token.startswith("#"):
            return out + tokens[i:]
        out += [token] if token else []
        start = len(out)
    return out


def add_kernel_args(text: str, args: Sequence[str]) -> str:
    """``text`` with ``args`` added to every ``kernel``/``chain`` command lacking them; other lines kept as is."""
    for arg in args:
        if not carries(arg):
            raise ValueError(f"iPXE cannot carry the kernel word {arg!r}")
    lines = text.splitlines()
    for index, line in enumerate(lines):
        tokens = line.split()
        if not tokens or tokens[0].startswith(":") or line.endswith("\\"):
            continue
        edited = _with_args(tokens, args)
        if edited != tokens:
            lines[index] = line[:len(line) - len(line.lstrip())] + " ".join(edited)
    return "\n".join(lines) + "\n"
