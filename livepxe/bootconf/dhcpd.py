"""ISC dhcpd.conf snippets: render ours, parse any into its statements.

Quoting: dhcpd has quoted strings (``\\\\`` and ``\\"`` escape); file names
are written as such strings, comments are cleaned to short printable
lines, and a control character in a file name is refused (dhcpd would
read ``\\n`` in a string as a line break).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dhcp import ARCH_UEFI_X64, BootFiles, missing_notes
from .text import comment_lines, printable

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*|[{};]|[^\s{};"#]+')


def quoted(text: str) -> str:
    """``text`` as a dhcpd string."""
    if printable(text) != text:
        raise ValueError(f"dhcpd cannot carry {text!r} in a string")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquoted(token: str) -> str:
    """The text of a dhcpd string token (the inverse of `quoted`)."""
    return re.sub(r"\\(.)", r"\1", token[1:-1]) if token.startswith('"') else token


def render(files: BootFiles, comment: str) -> str:
    """An ISC dhcpd.conf fragment for a subnet or global scope."""
    branches: list[tuple[str, str]] = []
    if files.ipxe:
        branches.append(('exists user-class and option user-class = "iPXE"', files.ipxe))
    if files.uefi:
        branches.append((" or ".join(f"option arch = 00:{a:02x}" for a in ARCH_UEFI_X64), files.uefi))
    lines = [*comment_lines(comment), "# Set next-server to the TFTP server holding the tree:",
             "# next-server 192.0.2.1;", *(f"# {line}" for line in missing_notes(files)),
             "option arch code 93 = unsigned integer 16;"]
    for i, (test, filename) in enumerate(branches):
        lines += [f"{'if' if i == 0 else '} elsif'} {test} {{", f"  filename {quoted(filename)};"]
    if files.bios:
        if branches:
            lines += ["} else {", f"  filename {quoted(files.bios)};", "}"]
        else:
            lines.append(f"filename {quoted(files.bios)};")
    elif branches:
        lines.append("}")
    lines.append("")
    return "\n".join(lines)


@dataclass(frozen=True)
class Statement:
    """A dhcpd statement: its tokens (strings still quoted), how it ends (``;``, ``{``, ``}``) and its depth."""

    tokens: tuple[str, ...]
    end: str
    depth: int


def statements(text: str) -> list[Statement]:
    """Every statement of a snippet, as dhcpd's lexer splits it (comments dropped)."""
    found: list[Statement] = []
    current: list[str] = []
    depth = 0
    for token in _TOKEN.findall(text):
        if token.startswith("#"):
            continue
        if token in ("{", "}", ";"):
            depth -= token == "}"
            found.append(Statement(tuple(current), token, depth))
            depth += token == "{"
            current = []
        else:
            current.append(token)
    if current:
        found.append(Statement(tuple(current), "", depth))
    return found


def parse(text: str) -> BootFiles:
    """The boot file each branch of a snippet of ours names: by user class (iPXE), by arch (UEFI), else BIOS."""
    boot: dict[str, str] = {}
    test = ""
    for statement in statements(text):
        if statement.end == "{":
            test = " ".join(statement.tokens)
        elif statement.tokens[:1] == ("filename",) and len(statement.tokens) == 2:
            kind = "ipxe" if "user-class" in test else "uefi" if "arch" in test else "bios"
            boot[kind] = unquoted(statement.tokens[1])
            test = "" if statement.depth == 0 else test
    return BootFiles(boot.get("bios"), boot.get("uefi"), boot.get("ipxe"))
