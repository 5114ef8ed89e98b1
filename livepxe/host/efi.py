"""Find (or make) the UEFI network loaders a tree carries, and where GRUB reads its config.

Prefers the signed chain, so Secure Boot clients boot: shim (signed by
Microsoft's UEFI CA) is the DHCP boot file and loads GRUB from its own
folder.  Where each distribution keeps the pair, and where its GRUB reads its
config, is `livepxe.host.table` (Debian's netboot GRUB: ``grub/grub.cfg``,
seen in QEMU/OVMF; Fedora's and EL's: ``grub.cfg`` beside itself).  Without
signed files, an unsigned GRUB image is made at convert time with
``grub-mkimage`` (prefix ``/grub``, every module it needs built in, so the
tree carries one file).

Fedora and EL mount ``/boot/efi`` readable by root only: an ordinary user's
conversion then warns once (no Secure Boot chain; run as root or copy the
files and point ``$LIVEPXE_EFI_DIR`` at them) and goes on with the unsigned
GRUB.

Secure Boot caveat: shim and GRUB verify the kernel against the distribution
key they carry, so a Fedora kernel boots under Debian's shim only with
Secure Boot off (or its key enrolled with MOK), and vice versa.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from ..errors import LivepxeError
from ..tree.layout import GRUB_PREFIX_CONFIG
from . import run, table
from .table import SignedChain

#: The modules an unsigned netboot GRUB needs to fetch and boot a kernel, all built in.
GRUB_MODULES = ("normal", "linux", "efinet", "tftp", "http", "net", "echo", "configfile", "test",
                "sleep", "halt", "reboot", "true", "all_video", "gzio")
GRUB_EFI_MODULE_DIRS = table.GRUB_EFI_MODULE_DIRS
UNSIGNED_IMAGE = "grubnetx64.efi"
SIGNED_CHAINS = table.SIGNED_CHAINS
#: A folder holding ``shimx64.efi`` and ``grubx64.efi`` copied from a Fedora/EL ``/boot/efi/EFI/<vendor>``.
EFI_DIR_ENV = "LIVEPXE_EFI_DIR"


@dataclass
class EfiLoaders:
    """What goes into the tree for UEFI clients."""

    kind: str
    boot_file: str                           # the DHCP boot file, from the TFTP root
    files: dict[str, Path] = field(default_factory=dict)   # tree path -> host file
    config: str = GRUB_PREFIX_CONFIG         # where this GRUB reads its config
    signed: bool = False
    http: bool = False                       # GRUB has the http module built in ((http,HOST)/PATH works)


def _env_root() -> Path:
    """``$LIVEPXE_EFI_ROOT`` prefixes every host path (tests point it at a fake or empty root)."""
    return Path(os.environ.get("LIVEPXE_EFI_ROOT", "/"))


def _probe(path: Path) -> str:
    """``ok`` (a file we can read), ``denied`` (it, or a folder above it, is not ours to read) or ``absent``."""
    try:
        if not path.is_file():
            return "absent"
        with open(path, "rb"):
            return "ok"
    except PermissionError:
        return "denied"
    except OSError:
        return "absent"


def _loaders(chain: SignedChain, shim: Path, grub: Path) -> EfiLoaders:
    return EfiLoaders(chain.name, "bootx64.efi", {"bootx64.efi": shim, chain.grub_name: grub}, chain.config,
                      signed=True)


def _from_efi_dir(folder: str) -> EfiLoaders:
    chain = table.copied_chain(folder)
    shim, grub = Path(chain.shim), Path(chain.grub)
    unreadable = [str(p) for p in (shim, grub) if _probe(p) != "ok"]
    if unreadable:
        raise LivepxeError(f"{EFI_DIR_ENV}={folder}: {' and '.join(unreadable)} missing or unreadable; copy "
                           "shimx64.efi and grubx64.efi there from /boot/efi/EFI/<vendor> (as root), "
                           f"readable by you, or unset {EFI_DIR_ENV}")
    return _loaders(chain, shim, grub)


def find_signed(warn: Optional[Callable[[str], None]] = None) -> EfiLoaders | None:
    """The first signed chain of `table.SIGNED_CHAINS` the host has and we can read.

    A chain that is there but unreadable (Fedora/EL's root-only ``/boot/efi``)
    is skipped with one ``warn`` line saying what it costs and how to get it.
    """
    folder = os.environ.get(EFI_DIR_ENV)
    if folder:
        return _from_efi_dir(folder)
    root = _env_root()
    denied: list[tuple[SignedChain, Path]] = []
    for chain in SIGNED_CHAINS:
        shim, grub = root / chain.shim.lstrip("/"), root / chain.grub.lstrip("/")
        found = {_probe(shim): shim, _probe(grub): grub}
        if "absent" in found:
            continue
        if "denied" in found:
            denied.append((chain, found["denied"]))
            continue
        return _loaders(chain, shim, grub)
    if denied and warn is not None:
        chain, path = denied[0]
        warn(f"{path}: permission denied, so this tree has no Secure Boot chain ({chain.name}; Secure Boot "
             f"clients refuse an unsigned GRUB): run as root, or copy {Path(chain.shim).name} and "
             f"{Path(chain.grub).name} from {Path(chain.shim).parent} into a folder you can read and set "
             f"{EFI_DIR_ENV}=FOLDER")
    return None


def grub_module_dir() -> Path | None:
    root = _env_root()
    for directory in GRUB_EFI_MODULE_DIRS:
        candidate = root / directory.lstrip("/")
        if (candidate / "linux.mod").is_file() and (candidate / "efinet.mod").is_file():
            return candidate
    return None


def mkimage_command() -> str | None:
    return run.which("grub-mkimage")


def make_unsigned(scratch: Path) -> EfiLoaders | None:
    """Build a one-file unsigned netboot GRUB into ``scratch``; None when GRUB's EFI modules are absent."""
    modules, tool = grub_module_dir(), mkimage_command()
    if modules is None or tool is None:
        return None
    image = scratch / UNSIGNED_IMAGE
    run.run("grub-mkimage", ["-O", "x86_64-efi", "-d", str(modules), "-p", "/grub", "-o", str(image),
                             *GRUB_MODULES], why="making the UEFI netboot image")
    return EfiLoaders(f"unsigned GRUB from {modules} (grub-mkimage)", UNSIGNED_IMAGE, {UNSIGNED_IMAGE: image},
                      http="http" in GRUB_MODULES)


def find_loaders(scratch: Path, warn: Optional[Callable[[str], None]] = None) -> EfiLoaders | None:
    """The signed chain if the host has one we can read, else an unsigned image, else None."""
    return find_signed(warn) or make_unsigned(scratch)


MISSING_HINT = ("no UEFI network loaders on this host; UEFI clients cannot boot this tree. Install shim-signed + "
                "grub-efi-amd64-signed or grub-efi-amd64-bin (Debian), shim-x64 + grub2-efi-x64 or "
                "grub2-efi-x64-modules (Fedora/EL)")
