"""Which tree the user means, and what each firmware's client boots from it.

TREE is a self-contained tree, the ``--imagedir`` folder of an integrated
one, or the TFTP root holding such a folder; the note (``livepxe.json``)
places the TFTP root and names the configs and the client RAM.  An
integrated tree brings no loader, so its clients boot the root's own:
``pxelinux.0`` for BIOS, a shim or GRUB image for UEFI; iPXE needs none
(QEMU's NIC ROM is iPXE).  A tree without a note (hand-made, or from an
older livepxe) is sized from the files its configs name.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

from .. import bootconf
from ..errors import LivepxeError
from ..tree import note as treenote
from ..tree import ram
from ..tree.layout import GRUB_BESIDE_CONFIG, GRUB_PREFIX_CONFIG, IPXE_SCRIPT, NOTE, PXELINUX_DIR, kernel_name
from ..tree.note import TreeNote

MODES = ("bios", "uefi", "ipxe")
#: The config format each firmware's client reads (the keys of the note's ``configs``).
CONFIG_KIND = {"bios": "pxelinux", "uefi": "grub", "ipxe": "ipxe"}
BIOS_LOADERS = ("pxelinux.0", "lpxelinux.0")
#: shim first: it is what DHCP hands a Secure Boot capable client; then the GRUB images trees carry.
UEFI_LOADERS = ("bootx64.efi", "shimx64.efi", "grubnetx64.efi", "grubx64.efi")
#: How deep below a TFTP root an integrated image's note is looked for.
NOTE_SEARCH_DEPTH = 6



@dataclass(frozen=True)
class Route:
    """How one firmware's client boots the tree: the file DHCP hands it and the config it must read."""

    mode: str
    bootfile: str | None         # path from the TFTP root (for ipxe, the script itself)
    config: str | None           # the image's config for this client, path from the TFTP root
    missing: str = ""            # why this client cannot boot the tree ("" when it can)

    @property
    def kind(self) -> str:
        return CONFIG_KIND[self.mode]


@dataclass(frozen=True)
class BootTree:
    root: Path                   # the TFTP root
    note: TreeNote | None

    def route(self, mode: str, config: str | None = None, bootfile: str | None = None) -> Route:
        """The boot file and config for ``mode``; ``config``/``bootfile`` override what the tree says."""
        kind = CONFIG_KIND[mode]
        path = self._given_config(config, mode) if config else self._config(mode)
        if mode == "ipxe":
            script = self._given(bootfile, "boot file") if bootfile else path
            if script is None:
                return Route(mode, None, None, f"{self.root} has no iPXE script ({IPXE_SCRIPT})")
            return Route(mode, script, script)
        if path is None:
            return Route(mode, None, None, f"{self.root} has no {kind} config")
        loader = self._given(bootfile, "boot file") if bootfile else self._loader(mode)
        if loader is None:
            return Route(mode, None, path, self._no_loader(mode))
        return Route(mode, loader, path)

    def kernel(self, route: Route) -> Path | None:
        """The first kernel the client loads, on the host (the KVM probe boots it)."""
        if self.note is not None:
            names = [posixpath.join(self.note.image_dir, kernel_name(0))]
        else:
            names = self._named(route)[0][:1]
        return next((self.root / n for n in names if (self.root / n).is_file()), None)

    def initrd_bytes(self, route: Route) -> int:
        """What the client loads besides the kernel (the time limit grows with it)."""
        if self.note is not None:
            return self.note.initrd_bytes
        return sum((self.root / p).stat().st_size for p in self._named(route)[1] if (self.root / p).is_file())

    def client_mib(self, route: Route) -> int:
        """The note's client RAM for the tree's mode; for a tree without one, the bound for any split."""
        if self.note is not None:
            need = self.note.client_ram_mib
            return need.http if self.note.mode == "http" else need.bundled
        return ram.unknown_split_mib(self.initrd_bytes(route))

    def _given_config(self, config: str, mode: str) -> str:
        """``--config``: a path from the root; for BIOS a bare name means pxelinux.cfg/NAME."""
        return self._given(f"{PXELINUX_DIR}/{config}" if mode == "bios" and "/" not in config else config,
                           "config")

    def _given(self, path: str, what: str) -> str:
        rel = posixpath.normpath(path.lstrip("/"))
        if rel.startswith("../"):
            raise LivepxeError(f"{what} {path} is outside the TFTP root {self.root}: the client cannot fetch it")
        if not (self.root / rel).is_file():
            raise LivepxeError(f"no {what} {rel} under the TFTP root {self.root}")
        return rel

    def _config(self, mode: str) -> str | None:
        kind = CONFIG_KIND[mode]
        if self.note is not None:
            path = self.note.configs.get(kind)
            return path if path and (self.root / path).is_file() else None
        if mode == "bios":
            return _pxelinux_config(self.root)
        candidates = (GRUB_PREFIX_CONFIG, GRUB_BESIDE_CONFIG) if mode == "uefi" else (IPXE_SCRIPT,)
        return next((c for c in candidates if (self.root / c).is_file()), None)

    def _loader(self, mode: str) -> str | None:
        if self.note is not None and not self.note.integrated:
            own = self.note.boot_files.bios if mode == "bios" else self.note.boot_files.uefi
            return own if own and (self.root / own).is_file() else None
        names = BIOS_LOADERS if mode == "bios" else UEFI_LOADERS
        return next((n for n in names if (self.root / n).is_file()), None)

    def _no_loader(self, mode: str) -> str:
        if self.note is not None and not self.note.integrated:
            bios = "lpxelinux.0" if self.note.http_boot else "pxelinux.0"
            what = bios if mode == "bios" else "UEFI loaders (shim/GRUB)"
            return f"the tree has no {what}: convert it on a host that has them"
        names = " or ".join(BIOS_LOADERS if mode == "bios" else UEFI_LOADERS)
        return f"the TFTP root {self.root} has no {mode.upper()} loader ({names}); name one with --loader"

    def _named(self, route: Route) -> tuple[list[str], list[str]]:
        """The kernel and initrds of the entry the client boots unattended, as paths from the root."""
        if route.config is None:
            return [], []
        entries = bootconf.tree_entries(route.kind, (self.root / route.config).read_text(errors="replace"),
                                        route.config)
        if not entries:
            return [], []
        entry = next((e for e in entries if e.default), entries[0])
        return [entry.kernel], [p for p in dict.fromkeys(entry.initrds) if "://" not in p]


def _pxelinux_config(root: Path) -> str | None:
    """A note-less tree's pxelinux config: ``default``, else the only one there."""
    folder = root / PXELINUX_DIR
    if not folder.is_dir():
        return None
    if (folder / "default").is_file():
        return f"{PXELINUX_DIR}/default"
    configs = sorted(p.name for p in folder.iterdir() if p.is_file())
    if len(configs) == 1:
        return f"{PXELINUX_DIR}/{configs[0]}"
    if not configs:
        return None
    raise LivepxeError(f"{folder} has no 'default' and several configs ({', '.join(configs)}): "
                       "choose one with --config")


def locate(folder: Path, config: str | None = None) -> BootTree:
    """The tree in ``folder``: a tree, an integrated tree's image folder, or the TFTP root of one.

    In a TFTP root, an integrated image's note is looked for below it;
    ``config`` (``--config``) picks among several images.
    """
    folder = folder.absolute()
    if not folder.is_dir():
        raise LivepxeError(f"{folder} is not a folder: give a livepxe tree, its --imagedir folder, or a TFTP root")
    found = treenote.read(folder)
    if found is not None:
        return BootTree(folder.parents[found.root_below - 1] if found.root_below else folder, found)
    images = _image_notes(folder)
    if config:
        wanted = {config.lstrip("/"), f"{PXELINUX_DIR}/{config}"}
        images = [n for n in images if wanted & set(n.configs.values())]
    if len(images) > 1:
        dirs = ", ".join(n.image_dir for n in images)
        raise LivepxeError(f"{folder} holds several livepxe images ({dirs}): give the image's folder, "
                           f"e.g. {folder / images[0].image_dir}")
    return BootTree(folder, images[0] if images else None)


def _image_notes(root: Path) -> list[TreeNote]:
    """Notes of images integrated into the TFTP root ``root`` (each in the folder its note names)."""
    notes = []
    for here, dirs, files in os.walk(root):
        rel = Path(here).relative_to(root)
        if len(rel.parts) >= NOTE_SEARCH_DEPTH:
            dirs[:] = []
        dirs.sort()
        if NOTE in files and rel.parts:
            found = treenote.read(Path(here))
            if found is not None and found.integrated and found.image_dir == rel.as_posix():
                notes.append(found)
    return notes
