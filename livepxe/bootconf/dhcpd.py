"""ISC dhcpd.conf snippets: render ours, parse any into its statements.

Two files, because dhcpd takes an option definition only at top level
(inside ``subnet { }`` it refuses the whole configuration: "expecting a
parameter or declaration"): `render_toplevel` defines option 93 and goes
once at top level; `render` routes by it and goes into the subnet (or
shared-network, group, or global) scope serving the PXE clients, whose
``next-server`` names the TFTP server.  dhcpd 4.4 also knows option 93 as
``pxe-system-type``, but EL8's 4.3 does not, so we define our own name.

Quoting: dhcpd has quoted strings (``\\\\`` and ``\\"`` escape); file names
are written as such strings, comments are cleaned to short printable
lines, and a control character in a file name is refused (dhcpd would
read ``\\n`` in a string as a line break).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dhcp import ARCH_UEFI_X64, SiteBootFiles, missing_notes
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


#: Our name for option 93 (client system architecture, RFC 4578), defined at top level.
ARCH_OPTION = "arch"
ARCH_DEFINITION = f"option {ARCH_OPTION} code 93 = unsigned integer 16;"


def include_line(path: str) -> str:
    """``include "path";`` for a comment, or how to write it when dhcpd cannot carry ``path``."""
    try:
        return f"include {quoted(path)};"
    except ValueError:
        return 'include "/PATH/TO/THIS/FILE";'


def render_toplevel(comment: str, folder: str) -> str:
    """The top-level part: option 93's definition (dhcpd refuses it inside a scope)."""
    return "\n".join([
        *comment_lines(comment),
        "# ISC dhcpd, top level (outside every subnet, shared-network and group), once, before the",
        "# scope that includes dhcpd.conf; in /etc/dhcp/dhcpd.conf:",
        f"#   {include_line(folder + '/dhcpd-toplevel.conf')}",
        "# It defines option 93 (client system architecture, RFC 4578), which dhcpd.conf tests.",
        f"# Your configuration already defines option 93 as {ARCH_OPTION!r} this way? Then leave this file out.",
        ARCH_DEFINITION, ""])


def render(files: SiteBootFiles, comment: str, folder: str | None = None) -> str:
    """An ISC dhcpd.conf fragment for the subnet (or global) scope; ``folder``: where the snippets are."""
    folder = folder or f"{files.tftp_root}/dhcp"
    branches: list[tuple[str, str]] = []
    if files.ipxe:
        branches.append(('exists user-class and option user-class = "iPXE"', files.ipxe))
    if files.uefi:
        branches.append((" or ".join(f"option {ARCH_OPTION} = 00:{a:02x}" for a in ARCH_UEFI_X64), files.uefi))
    lines = [*comment_lines(comment),
             "# ISC dhcpd: the boot file per client kind. Include it inside the subnet { } (or shared-network,",
             "# group, or at top level) that serves the PXE clients, in /etc/dhcp/dhcpd.conf:",
             f"#   {include_line(folder + '/dhcpd.conf')}",
             "# with, in that same subnet, the address of the TFTP server holding the tree:",
             "#   next-server 192.0.2.1;",
             f"# and, once at top level before it: {include_line(folder + '/dhcpd-toplevel.conf')}",
             "# (it defines option 93, which dhcpd takes only at top level). Where AppArmor or SELinux confine",
             "# dhcpd (Ubuntu, Debian, Fedora, EL), copy both files into /etc/dhcp/ and include them from there.",
             *(f"# {line}" for line in missing_notes(files))]
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


def parse(text: str) -> SiteBootFiles:
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
    return SiteBootFiles(boot.get("bios"), boot.get("uefi"), boot.get("ipxe"))
