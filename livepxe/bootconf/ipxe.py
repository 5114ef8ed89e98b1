"""Render an iPXE script (``boot.ipxe``) from boot entries.

The script sits beside the kernel and initrds and names them by relative
URIs; iPXE resolves those against the script's own URI, so one script works
whether it was fetched by HTTP (fast: iPXE's TFTP blocks top out at 1432
bytes) or by TFTP.  Each initrd is also named on the kernel command line
(``initrd=NAME``) so a UEFI kernel's EFI stub finds it in iPXE's virtual
file system; BIOS iPXE hands them to the kernel concatenated in order.
"""

from __future__ import annotations

import posixpath
import re
from typing import Sequence

from .entry import BootEntry

SCRIPT_NAME = "boot.ipxe"
_PLAIN_URI = re.compile(r"^[A-Za-z0-9._~/:%+-]+$")


def relative_uri(path: str, script_dir: str) -> str:
    """``path`` (as a config names it, maybe ``/``-rooted) relative to the script's folder."""
    if "://" in path:
        return path
    relative = posixpath.relpath("/" + path.lstrip("/"), "/" + script_dir.strip("/"))
    if not _PLAIN_URI.match(relative):
        raise ValueError(f"{relative!r} cannot be written as a plain relative URI")
    return relative


def _setting_safe(text: str) -> str:
    """iPXE expands ``${...}``; a literal ``$`` must not start an expansion."""
    return text.replace("$", "")


def render(entries: Sequence[BootEntry], comment: str, script_dir: str = "") -> str:
    """Script text for ``entries``; ``script_dir`` is the script's folder under the TFTP root."""
    if not entries:
        raise ValueError("an iPXE script needs at least one entry")
    lines = ["#!ipxe", f"# {comment}"]
    if len(entries) > 1:
        lines += ["menu Boot live image || goto " + entries[0].label]
        lines += [f"item {e.label} {_setting_safe(e.title)}" for e in entries]
        lines += [f"choose --default {entries[0].label} --timeout 5000 target && goto ${{target}}",
                  f"goto {entries[0].label}"]
    for entry in entries:
        uris = [relative_uri(p, script_dir) for p in entry.initrds]
        names = " ".join(f"initrd={posixpath.basename(u)}" for u in uris)
        lines += ["", f":{entry.label}",
                  f"echo Loading {_setting_safe(entry.title)}",
                  f"kernel {relative_uri(entry.kernel, script_dir)} {names} {_setting_safe(entry.cmdline)}".rstrip()]
        lines += [f"initrd {u}" for u in uris]
        lines += ["boot"]
    lines.append("")
    return "\n".join(lines)
