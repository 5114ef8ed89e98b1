"""Find (or make) the UEFI network loaders a tree carries, and where GRUB reads its config.

Prefers the signed chain, so Secure Boot clients boot: shim (signed by
Microsoft's UEFI CA) is the DHCP boot file and loads ``grubx64.efi`` from
its own folder.  On Debian that GRUB is ``grub-efi-amd64-signed``'s netboot
image, whose built-in config sources ``$prefix/grub.cfg`` with ``$prefix``
= ``(tftp,SERVER)/grub`` (seen in QEMU/OVMF): so ``grub/grub.cfg``.  Fedora's
``grubx64.efi`` reads ``grub.cfg`` beside itself (as the RHEL/Oracle Linux
PXE guides place it; not booted here, there is no Fedora host to copy from).  Without signed files, an
unsigned GRUB image is made at convert time with ``grub-mkimage`` (prefix
``/grub``, every module it needs built in, so the tree carries one file).

Secure Boot caveat: shim and GRUB verify the kernel against the distribution
key they carry, so a Fedora kernel boots under Debian's shim only with
Secure Boot off (or its key enrolled with MOK), and vice versa.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LivepxeError
from .layout import GRUB_BESIDE_CONFIG, GRUB_PREFIX_CONFIG

#: The modules an unsigned netboot GRUB needs to fetch and boot a kernel, all built in.
GRUB_MODULES = ("normal", "linux", "efinet", "tftp", "http", "net", "echo", "configfile", "test",
                "sleep", "halt", "reboot", "true", "all_video", "gzio")
GRUB_EFI_MODULE_DIRS = ("/usr/lib/grub/x86_64-efi",)          # Debian and Fedora alike
UNSIGNED_IMAGE = "grubnetx64.efi"


@dataclass(frozen=True)
class SignedChain:
    """Host files of one distribution's signed chain."""

    name: str
    shim: str
    grub: str
    config: str       # where that GRUB reads its config, from the TFTP root


SIGNED_CHAINS = (
    SignedChain("Debian shim-signed + grub-efi-amd64-signed", "/usr/lib/shim/shimx64.efi.signed",
                "/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed", GRUB_PREFIX_CONFIG),
    SignedChain("Fedora shim-x64 + grub2-efi-x64", "/boot/efi/EFI/fedora/shimx64.efi",
                "/boot/efi/EFI/fedora/grubx64.efi", GRUB_BESIDE_CONFIG),
)


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


def find_signed() -> EfiLoaders | None:
    root = _env_root()
    for chain in SIGNED_CHAINS:
        shim, grub = root / chain.shim.lstrip("/"), root / chain.grub.lstrip("/")
        if shim.is_file() and grub.is_file():
            return EfiLoaders(chain.name, "bootx64.efi", {"bootx64.efi": shim, "grubx64.efi": grub},
                              chain.config, signed=True)
    return None


def grub_module_dir() -> Path | None:
    root = _env_root()
    for directory in GRUB_EFI_MODULE_DIRS:
        candidate = root / directory.lstrip("/")
        if (candidate / "linux.mod").is_file() and (candidate / "efinet.mod").is_file():
            return candidate
    return None


def mkimage_command() -> str | None:
    return shutil.which("grub-mkimage") or shutil.which("grub2-mkimage")


def make_unsigned(scratch: Path) -> EfiLoaders | None:
    """Build a one-file unsigned netboot GRUB into ``scratch``; None when GRUB's EFI modules are absent."""
    modules, tool = grub_module_dir(), mkimage_command()
    if modules is None or tool is None:
        return None
    image = scratch / UNSIGNED_IMAGE
    proc = subprocess.run([tool, "-O", "x86_64-efi", "-d", str(modules), "-p", "/grub", "-o", str(image),
                           *GRUB_MODULES], capture_output=True, text=True)
    if proc.returncode != 0:
        raise LivepxeError(f"{tool} failed making the UEFI netboot image: {proc.stderr.strip()[-200:]}; "
                           "install grub-efi-amd64-bin (Debian) or grub2-efi-x64-modules (Fedora)")
    return EfiLoaders(f"unsigned GRUB from {modules} (grub-mkimage)", UNSIGNED_IMAGE, {UNSIGNED_IMAGE: image},
                      http="http" in GRUB_MODULES)


def find_loaders(scratch: Path) -> EfiLoaders | None:
    """The signed chain if the host has one, else an unsigned image, else None."""
    return find_signed() or make_unsigned(scratch)


MISSING_HINT = ("no UEFI network loaders on this host; UEFI clients cannot boot this tree. Install shim-signed + "
                "grub-efi-amd64-signed or grub-efi-amd64-bin (Debian), shim-x64 + grub2-efi-x64 (Fedora)")
