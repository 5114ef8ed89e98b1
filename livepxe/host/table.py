"""The one table of where each distribution family keeps the files livepxe copies or runs.

Paths come from the distributions' public package file lists (package names
in the comments); nothing here was copied from a host.  Lookups elsewhere
(`efi`, `loaders`, `boottest.host`, `serve.httploader`) read this table, so
adding a distribution is one `Family` entry.

Which config a signed GRUB reads, and whether it honours a proxyDHCP offer,
is decided here, per chain:

* Debian/Ubuntu's signed netboot GRUB (``grubnetx64.efi.signed``) has its
  prefix built in as ``/grub`` on the TFTP server: it reads ``grub/grub.cfg``;
  it does not read a proxy offer (GRUB upstream has no such code).
* RHEL, Oracle Linux, CentOS Stream, AlmaLinux and Rocky ship Fedora's GRUB
  build (rhboot/grub2 branches): it reads ``grub.cfg`` beside itself and
  carries "efinet: Add DHCP proxy support" (Fedora 34+, RHEL 8.6+, all of 9
  and 10), so it finds the tree behind a proxy offer.
* openSUSE's shim loads ``grub.efi`` (not ``grubx64.efi``) beside itself; SUSE's
  PXE guide puts ``grub.cfg`` beside it.  Not booted here; proxy support unknown,
  so taken as absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from ..tree.layout import GRUB_BESIDE_CONFIG, GRUB_PREFIX_CONFIG


@dataclass(frozen=True)
class SignedChain:
    """shim (signed by Microsoft's UEFI CA) and the signed GRUB it loads, as one distribution installs them."""

    name: str            # recorded in the tree's note (``uefi_loaders``)
    shim: str            # host path
    grub: str            # host path
    config: str          # where that GRUB reads its config, from the TFTP root
    proxy_aware: bool    # that GRUB reads a proxyDHCP offer's server (Fedora/EL build)
    grub_name: str = "grubx64.efi"   # the name shim loads from its own folder, so the tree's name for GRUB


@dataclass(frozen=True)
class Family:
    """Where one distribution family keeps each host file livepxe uses."""

    name: str
    chains: tuple[SignedChain, ...] = ()
    syslinux_dirs: tuple[str, ...] = ()      # pxelinux.0, lpxelinux.0, ldlinux.c32, menu.c32, vesamenu.c32
    ipxe_rom_dirs: tuple[str, ...] = ()      # QEMU's NIC boot ROMs: efi-e1000.rom, pxe-e1000.rom
    ovmf: tuple[str, ...] = ()               # UEFI firmware for QEMU's -bios (unified or code image)
    ovmf_secboot: tuple[tuple[str, str], ...] = ()   # (Secure Boot code, vars with Microsoft's keys enrolled)
    grub_module_dirs: tuple[str, ...] = ()   # GRUB's x86_64-efi modules for grub-mkimage


def _el(name: str, vendor: str) -> SignedChain:
    # shim-x64 and grub2-efi-x64 put both in the ESP's vendor folder (mounted vfat, root-only on Fedora/EL).
    return SignedChain(f"{name} shim-x64 + grub2-efi-x64", f"/boot/efi/EFI/{vendor}/shimx64.efi",
                       f"/boot/efi/EFI/{vendor}/grubx64.efi", GRUB_BESIDE_CONFIG, proxy_aware=True)


_DEBIAN_SIGNED_GRUB = "/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed"   # grub-efi-amd64-signed
_FEDORA_SYSLINUX = ("/usr/share/syslinux",   # syslinux-nonlinux: *.0, *.c32
                    "/tftpboot")             # syslinux-tftpboot: the same files for a TFTP root
_FEDORA_ROMS = ("/usr/share/ipxe/qemu",)     # ipxe-roms-qemu: efi-*.rom, pxe-*.rom links (to ipxe.efi/, ipxe/)
_FEDORA_OVMF = ("/usr/share/edk2/ovmf/OVMF_CODE.fd",)            # edk2-ovmf
_FEDORA_OVMF_SB = (("/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd",  # edk2-ovmf; VARS.secboot: MS + Red Hat keys
                    "/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd"),)
_FEDORA_GRUB_MODULES = ("/usr/lib/grub/x86_64-efi",)             # grub2-efi-x64-modules

FAMILIES: tuple[Family, ...] = (
    Family(
        "Debian",
        chains=(SignedChain("Debian shim-signed + grub-efi-amd64-signed",
                            "/usr/lib/shim/shimx64.efi.signed",       # shim-signed
                            _DEBIAN_SIGNED_GRUB, GRUB_PREFIX_CONFIG, proxy_aware=False),),
        syslinux_dirs=("/usr/lib/PXELINUX",                  # pxelinux: pxelinux.0, lpxelinux.0
                       "/usr/lib/syslinux/modules/bios",     # syslinux-common: ldlinux.c32, menu.c32, vesamenu.c32
                       "/usr/lib/syslinux"),                 # older releases kept both here
        ipxe_rom_dirs=("/usr/lib/ipxe/qemu",                 # ipxe-qemu
                       "/usr/share/qemu"),                   # qemu-system-data links efi-*.rom there
        ovmf=("/usr/share/ovmf/OVMF.fd",                     # ovmf: the unified image
              "/usr/share/OVMF/OVMF_CODE.fd"),
        ovmf_secboot=(("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd",   # ovmf (bookworm on)
                       "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"),
                      ("/usr/share/OVMF/OVMF_CODE.secboot.fd",      # ovmf, 2 MiB images
                       "/usr/share/OVMF/OVMF_VARS.ms.fd")),
        grub_module_dirs=("/usr/lib/grub/x86_64-efi",),      # grub-efi-amd64-bin
    ),
    Family(
        "Ubuntu",
        # shim-signed keeps the current shim as .latest (and the one before as .previous); Debian's name may
        # also be there, which the Debian row finds.
        chains=(SignedChain("Ubuntu shim-signed + grub-efi-amd64-signed",
                            "/usr/lib/shim/shimx64.efi.signed.latest",
                            _DEBIAN_SIGNED_GRUB, GRUB_PREFIX_CONFIG, proxy_aware=False),),
        syslinux_dirs=("/usr/lib/PXELINUX", "/usr/lib/syslinux/modules/bios"),   # pxelinux, syslinux-common
        ipxe_rom_dirs=("/usr/lib/ipxe/qemu",),               # ipxe-qemu
        ovmf=("/usr/share/ovmf/OVMF.fd",),                   # ovmf
        ovmf_secboot=(("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"),),
        grub_module_dirs=("/usr/lib/grub/x86_64-efi",),      # grub-efi-amd64-bin
    ),
    Family(
        "Fedora",
        chains=(_el("Fedora", "fedora"),),
        syslinux_dirs=_FEDORA_SYSLINUX, ipxe_rom_dirs=_FEDORA_ROMS, ovmf=_FEDORA_OVMF,
        ovmf_secboot=_FEDORA_OVMF_SB, grub_module_dirs=_FEDORA_GRUB_MODULES,
    ),
    Family(
        "RHEL and Oracle Linux",
        chains=(_el("RHEL/Oracle Linux", "redhat"),),
        syslinux_dirs=_FEDORA_SYSLINUX, ipxe_rom_dirs=_FEDORA_ROMS, ovmf=_FEDORA_OVMF,
        ovmf_secboot=_FEDORA_OVMF_SB, grub_module_dirs=_FEDORA_GRUB_MODULES,
    ),
    Family(
        "CentOS Stream",
        chains=(_el("CentOS Stream", "centos"),),
        syslinux_dirs=_FEDORA_SYSLINUX, ipxe_rom_dirs=_FEDORA_ROMS, ovmf=_FEDORA_OVMF,
        ovmf_secboot=_FEDORA_OVMF_SB, grub_module_dirs=_FEDORA_GRUB_MODULES,
    ),
    Family(
        "AlmaLinux",
        chains=(_el("AlmaLinux", "almalinux"),),
        syslinux_dirs=_FEDORA_SYSLINUX, ipxe_rom_dirs=_FEDORA_ROMS, ovmf=_FEDORA_OVMF,
        ovmf_secboot=_FEDORA_OVMF_SB, grub_module_dirs=_FEDORA_GRUB_MODULES,
    ),
    Family(
        "Rocky Linux",
        chains=(_el("Rocky Linux", "rocky"),),
        syslinux_dirs=_FEDORA_SYSLINUX, ipxe_rom_dirs=_FEDORA_ROMS, ovmf=_FEDORA_OVMF,
        ovmf_secboot=_FEDORA_OVMF_SB, grub_module_dirs=_FEDORA_GRUB_MODULES,
    ),
    Family(
        "openSUSE",
        chains=(SignedChain("openSUSE shim + grub2-x86_64-efi",
                            "/usr/share/efi/x86_64/shim.efi",        # shim
                            "/usr/share/efi/x86_64/grub.efi",        # grub2-x86_64-efi (link into grub2's dir)
                            GRUB_BESIDE_CONFIG, proxy_aware=False, grub_name="grub.efi"),),
        syslinux_dirs=("/usr/share/syslinux",),              # syslinux (4.x: no ldlinux.c32, no lpxelinux.0)
        ipxe_rom_dirs=("/usr/share/qemu",),                  # qemu-ipxe
        ovmf=("/usr/share/qemu/ovmf-x86_64.bin",),           # qemu-ovmf-x86_64
        ovmf_secboot=(("/usr/share/qemu/ovmf-x86_64-smm-ms-code.bin",
                       "/usr/share/qemu/ovmf-x86_64-smm-ms-vars.bin"),),
        grub_module_dirs=("/usr/share/grub2/x86_64-efi",),   # grub2-x86_64-efi
    ),
)


def _each(field: Callable[[Family], Iterable[str]]) -> tuple[str, ...]:
    """``field`` of every family, in table order, each value once."""
    return tuple(dict.fromkeys(value for family in FAMILIES for value in field(family)))


SIGNED_CHAINS: tuple[SignedChain, ...] = tuple(chain for family in FAMILIES for chain in family.chains)
SYSLINUX_DIRS = _each(lambda f: f.syslinux_dirs)
IPXE_ROM_DIRS = _each(lambda f: f.ipxe_rom_dirs)
OVMF_FIRMWARE = _each(lambda f: f.ovmf)
OVMF_SECBOOT: tuple[tuple[str, str], ...] = tuple(dict.fromkeys(p for f in FAMILIES for p in f.ovmf_secboot))
GRUB_EFI_MODULE_DIRS = _each(lambda f: f.grub_module_dirs)
#: Names of the chains whose GRUB reads a proxyDHCP offer (as a tree's note records them).
PROXY_AWARE = tuple(chain.name for chain in SIGNED_CHAINS if chain.proxy_aware)

#: The chain `efi` takes from ``$LIVEPXE_EFI_DIR``: Fedora/EL's pair, copied out of the root-only ESP.
COPIED_CHAIN = "Fedora/EL shim-x64 + grub2-efi-x64 (copied to LIVEPXE_EFI_DIR)"
PROXY_AWARE += (COPIED_CHAIN,)


def copied_chain(folder: str) -> SignedChain:
    """Fedora/EL's shim and GRUB copied into ``folder``: the same GRUB build, so the same config place and flag."""
    return SignedChain(COPIED_CHAIN, f"{folder.rstrip('/')}/shimx64.efi", f"{folder.rstrip('/')}/grubx64.efi",
                       GRUB_BESIDE_CONFIG, proxy_aware=True)


@dataclass(frozen=True)
class Packages:
    """The packages that install a host file livepxe copies or builds from (programs: `host.run.TOOLS`)."""

    debian: str
    fedora: str          # Fedora, and EL (some from EPEL or CRB)

    def named(self) -> str:
        return f"{self.debian} (Debian) or {self.fedora} (Fedora/EL)"


#: Host files by what they are, for the lines that say what their absence costs.
FILE_PACKAGES: dict[str, Packages] = {
    "lpxelinux.0": Packages("pxelinux", "syslinux-nonlinux"),
    "pxelinux.0": Packages("pxelinux + syslinux-common", "syslinux-nonlinux"),
    "signed chain": Packages("shim-signed + grub-efi-amd64-signed", "shim-x64 + grub2-efi-x64"),
    "uefi loader": Packages("shim-signed + grub-efi-amd64-signed, or grub-efi-amd64-bin",
                            "shim-x64 + grub2-efi-x64, or grub2-efi-x64-modules"),
}
