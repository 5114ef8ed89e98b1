"""Render a GRUB network-boot config (UEFI clients) from boot entries.

GRUB started from the network sets ``$root`` to the TFTP server
(``tftp,SERVER``) whatever its ``$prefix`` is (``/grub`` for Debian's
signed ``grubnetx64.efi`` and for ``grub-mknetdir``'s ``core.efi``), so a
path with a leading ``/`` and no device names a file from the TFTP root.
The config therefore names every file absolutely from the TFTP root, in
both deliveries, and works wherever in the tree the config itself sits.
"""

from __future__ import annotations

import re
from typing import Sequence

from .entry import BootEntry
from ..cmdline import split_words

#: Words GRUB passes through unchanged; anything else is single-quoted.
_PLAIN = re.compile(r"^[A-Za-z0-9_./:=,+@%-]+$")


def quote(word: str) -> str:
    """Quote ``word`` so GRUB's shell-like parser hands it to the kernel verbatim."""
    if _PLAIN.match(word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def tftp_path(path: str) -> str:
    """A path as GRUB must name it: absolute from the TFTP root."""
    return "/" + path.lstrip("/")


def render(entries: Sequence[BootEntry], comment: str) -> str:
    """The config text: one ``menuentry`` per entry, the first one the default."""
    if not entries:
        raise ValueError("a GRUB config needs at least one entry")
    several = len(entries) > 1
    lines = [f"# {comment}", f"set default={entries[0].label}", f"set timeout={5 if several else 0}"]
    for entry in entries:
        args = " ".join(quote(w) for w in split_words(entry.cmdline))
        initrds = " ".join(quote(tftp_path(p)) for p in entry.initrds)
        lines += ["", f"menuentry {quote(entry.title)} --id {entry.label} {{",
                  f"  echo {quote('Loading ' + tftp_path(entry.kernel) + ' ...')}",
                  f"  linux {quote(tftp_path(entry.kernel))} {args}".rstrip(),
                  f"  echo {quote('Loading ' + ' '.join(tftp_path(p) for p in entry.initrds) + ' ...')}",
                  f"  initrd {initrds}",
                  "}"]
    lines.append("")
    return "\n".join(lines)
