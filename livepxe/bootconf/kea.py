"""Kea DHCPv4 snippets: render ours, parse any back into its client classes.

Kea (ISC dhcpd's successor) chooses a boot file by client class: each class
has a ``test`` expression on the query and a ``boot-file-name``; a client
gets the first matching class's.  Ours are members of the ``client-classes``
list of ``Dhcp4``, included there with Kea's ``<?include "FILE"?>`` (so a
site's own classes stay beside them); the subnet's ``next-server`` names
the TFTP server.  The tests are mutually exclusive, so order never matters:
iPXE by its user class (option 77), x86-64 UEFI by option 93, any other
client the BIOS loader (as the dhcpd and dnsmasq snippets do).

Quoting: Kea reads JSON with ``#``, ``//`` and ``/* */`` comments.  Names
are written by `json.dumps` (quotes and backslashes escaped); a control or
other non-printing character in a file name is refused (it would reach the
reply's 128-byte ``file`` field).  ``<?include`` takes no escapes, so a
path with a quote or ``?>`` in it is not written there.
"""

from __future__ import annotations

import json
import re

from .dhcp import ARCH_UEFI_X64, SiteBootFiles, missing_notes
from .text import comment_lines, printable

#: Class name of each kind of client, in the order Kea evaluates them.
CLASSES = {"ipxe": "livepxe-ipxe", "uefi": "livepxe-uefi-x64", "bios": "livepxe-bios"}
_TESTS = {"ipxe": "option[77].hex == 'iPXE'",
          "uefi": "(" + " or ".join(f"option[93].hex == 0x{a:04x}" for a in ARCH_UEFI_X64) + ")"}
#: What a Kea file holds besides data: strings (kept), comments (dropped).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*|//[^\n]*|/\*.*?\*/|[^"#/]+|/', re.S)
_INCLUDE_SAFE = re.compile(r'^[^"?<>\x00-\x1f\x7f]+$')


def quoted(text: str) -> str:
    """``text`` as a JSON string Kea reads back unchanged."""
    if printable(text) != text:
        raise ValueError(f"Kea cannot carry {text!r} in a boot file name")
    return json.dumps(text)


def include_line(path: str) -> str:
    """The ``client-classes`` member that includes ``path``, for a comment."""
    safe = _INCLUDE_SAFE.match(path) and printable(path) == path
    return f'<?include "{path if safe else "/PATH/TO/THIS/FILE"}"?>'


def render(files: SiteBootFiles, comment: str, folder: str | None = None) -> str:
    """Client classes for Kea's ``Dhcp4`` ``client-classes`` list; ``folder``: where the snippets are."""
    here = include_line(f"{folder or files.tftp_root + '/dhcp'}/kea-dhcp4.conf")
    lines = [*comment_lines(comment),
             "# Kea DHCPv4: client classes that name the boot file per client kind. Include them in the",
             '# "client-classes" list of "Dhcp4" in /etc/kea/kea-dhcp4.conf:',
             f'#   "client-classes": [ {here} ],',
             "# (a list of your own already? add the include after its last class, after a comma), and",
             '# name the TFTP server holding the tree in the subnet4 entry serving the PXE clients:',
             '#   "next-server": "192.0.2.1",',
             "# iPXE goes by its user class (option 77), x86-64 UEFI by option 93, every other client",
             "# the BIOS loader. Where AppArmor or SELinux confine Kea (Ubuntu, Debian, Fedora, EL), copy this",
             "# file into /etc/kea/ and include it from there.",
             *(f"# {line}" for line in missing_notes(files))]
    kinds = [kind for kind, path in (("ipxe", files.ipxe), ("uefi", files.uefi)) if path]
    classes = []
    for kind, path in (("ipxe", files.ipxe), ("uefi", files.uefi), ("bios", files.bios)):
        if path is None:
            continue
        others = [f"not member('{CLASSES[k]}')" for k in kinds if k != kind and (kind == "bios" or k == "ipxe")]
        test = " and ".join(others + ([_TESTS[kind]] if kind in _TESTS else []))
        classes.append([f'    "name": "{CLASSES[kind]}",',
                        f'    "test": {json.dumps(test or "option[93].exists or not option[93].exists")},',
                        f'    "boot-file-name": {quoted(path)}'])
    objects = ["{\n" + "\n".join(body) + "\n}" for body in classes]
    return "\n".join(lines + [",\n".join(objects)] if objects else lines) + "\n"


def classes(text: str) -> list[dict]:
    """Every class a snippet holds, as Kea reads it (comments dropped); ValueError if it is not a class list."""
    data = "".join(t for t in _TOKEN.findall(text) if not t.startswith(("#", "//", "/*")))
    found = json.loads(f"[{data}]")
    if not all(isinstance(c, dict) for c in found):
        raise ValueError("a Kea client-classes list holds only objects")
    return found


def parse(text: str) -> SiteBootFiles:
    """The boot file each class of ours names."""
    names = {name: kind for kind, name in CLASSES.items()}
    boot = {names[c["name"]]: c.get("boot-file-name") for c in classes(text) if c.get("name") in names}
    return SiteBootFiles(boot.get("bios"), boot.get("uefi"), boot.get("ipxe"))
