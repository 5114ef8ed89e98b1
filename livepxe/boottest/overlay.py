"""Give a tree a serial console for the test client, without touching the tree.

A tree made for real machines rarely has ``console=ttyS0``, so its kernel
would log nowhere QEMU can read.  `build` makes a throw-away TFTP root that
mirrors the tree by symbolic links (`serve.mirror`, as ``serve`` does); the
only real files in it are copies of the configs the test client reads,
their kernel lines given the console arguments, each placed where that
client looks first:

* pxelinux: ``pxelinux.cfg/01-<mac>``, looked up before any other name, so
  the test client — and only it — boots the image's config, ``default`` or
  an integrated image's ``pxelinux.cfg/BOOTFILE`` alike;
* GRUB: ``grub/grub.cfg`` (where a GRUB with prefix ``/grub`` reads) and
  ``grub.cfg`` beside the loader (where Fedora's GRUB reads), so the root's
  own GRUB boots an integrated image's ``grub/BOOTFILE.cfg``;
* iPXE: the script, in place.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .. import bootconf
from ..serve import mirror
from ..tree.layout import GRUB_BESIDE_CONFIG, GRUB_PREFIX_CONFIG, PXELINUX_DIR
from .tree import Route

#: Arguments that make the boot legible on the serial port: the kernel's console,
#: and systemd's status lines (its "Welcome to …!" is how userspace is recognised).
CONSOLE_ARGS = ("console=ttyS0,115200", "systemd.show_status=1")


@dataclass(frozen=True)
class Overlay:
    root: Path                   # the TFTP root to serve
    copies: dict[str, str]       # path in the overlay -> the tree's config it is a copy of
    added: tuple[str, ...]       # kernel arguments the copies gained


def mac_config_name(mac: str) -> str:
    """pxelinux's per-client file name: ``01-`` (Ethernet) and the MAC, dashed, lowercase."""
    return "01-" + mac.lower().replace(":", "-")


def client_paths(route: Route, mac: str) -> list[str]:
    """Where the test client of ``route`` reads its config first (paths from the TFTP root)."""
    assert route.config is not None and route.bootfile is not None
    if route.kind == "pxelinux":
        return [f"{PXELINUX_DIR}/{mac_config_name(mac)}"]
    if route.kind == "grub":
        beside = posixpath.join(posixpath.dirname(route.bootfile), GRUB_BESIDE_CONFIG)
        return list(dict.fromkeys([GRUB_PREFIX_CONFIG, beside]))
    return [route.config]


def build(root: Path, dest: Path, routes: Sequence[Route], mac: str,
          extra: Sequence[str] = CONSOLE_ARGS) -> Overlay:
    """Mirror ``root`` into ``dest`` (links) with console-enabled copies of the routes' configs."""
    texts: dict[str, str] = {}
    copies: dict[str, str] = {}
    added: set[str] = set()
    for route in routes:
        assert route.config is not None
        text = (root / route.config).read_text(errors="replace")
        patched = bootconf.add_kernel_args(route.kind, text, extra)
        added |= {a for a in extra if a in patched.split() and a not in text.split()}
        for path in client_paths(route, mac):
            texts[path], copies[path] = patched, route.config
    mirror.build(root, dest, mirror.write_texts(texts))
    return Overlay(dest, copies, tuple(a for a in extra if a in added))
