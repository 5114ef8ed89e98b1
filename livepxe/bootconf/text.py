"""Text from an ISO as data: control characters made visible, comments kept to their line, kernel words split.

The volume label, the ISO's file name and its kernel arguments are chosen by
whoever made the ISO.  Every renderer passes them through these helpers so a
newline, a carriage return or an escape sequence can never end a comment,
start a directive or reach the terminal as a control code.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata

#: Unicode categories that do not print: controls, format (bidi overrides), surrogates, private, unassigned.
_HIDDEN_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
#: A kernel word as Linux's ``next_arg`` splits the command line: at ASCII white space, except
#: between double quotes; an unbalanced quote runs to the end.
_KERNEL_WORD = re.compile(r'(?:[^ \t\n\v\f\r"]|"[^"]*(?:"|$))+')
#: What every format can carry in a kernel word: printable ASCII; a space only inside double quotes.
_ASCII_WORD = re.compile(r'^[!-~]+(?: [!-~]+)*$')
COMMENT_WIDTH = 100


def _visible(char: str) -> str:
    if unicodedata.category(char) not in _HIDDEN_CATEGORIES:
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def printable(text: str, limit: int | None = None) -> str:
    """``text`` with every non-printing character shown as an escape (``\\n``→``\\x0a``), cut to ``limit``.

    For anything an ISO names that a human reads: terminal lines, comments,
    menu titles.  Never raises; the result holds no control character.
    """
    shown = "".join(_visible(c) for c in text)
    if limit is not None and len(shown) > limit:
        shown = shown[:max(limit - 3, 0)] + "..."
    return shown


def comment_lines(comment: str, prefix: str = "# ") -> list[str]:
    """``comment`` as ``prefix``-led lines: cleaned, wrapped (dnsmasq reads a long line in pieces).

    No line ends in a backslash, which some formats read as "continued on the next line".
    """
    words = printable(comment).split()
    lines = textwrap.wrap(" ".join(words), COMMENT_WIDTH - len(prefix), break_long_words=True,
                          break_on_hyphens=False) or [""]
    return [(prefix + line.rstrip("\\ ")).rstrip() for line in lines]


def one_line(text: str) -> str:
    """A title for a menu line: printable, white space collapsed."""
    return " ".join(printable(text).split())


def kernel_words(cmdline: str) -> list[str]:
    """Split ``cmdline`` as the kernel does (white space outside double quotes)."""
    return _KERNEL_WORD.findall(cmdline)


def plain_kernel_word(word: str) -> bool:
    """True for a word every loader can pass on: printable ASCII, balanced quotes, spaces only inside them."""
    if not _ASCII_WORD.match(word) or word.count('"') % 2:
        return False
    return kernel_words(word) == [word]


def canonical_cmdline(cmdline: str) -> str:
    """The command line with single spaces between kernel words (what parsers give back)."""
    return " ".join(kernel_words(cmdline))
