"""Where a tree's files go, and how its boot configs name them: the one owner of every path in a tree.

Two deliveries: a self-contained folder (configs name files relative to
the folder, which is the TFTP root), or files placed into an existing TFTP
root under an image directory, with configs naming them by absolute TFTP
paths (``/live/devel/minimal/vmlinuz0``) and a config file of its own.

==================  ===============================  ==================================
file                self-contained tree (TFTP root)  integration (--tftproot R ...)
==================  ===============================  ==================================
kernels, initrds    ``vmlinuzN``, ``initrdN.img``,   ``R/IMAGEDIR/...``
                    ``iso0.img`` (separate mode)
pxelinux config     ``pxelinux.cfg/default``         ``R/pxelinux.cfg/BOOTFILE``
GRUB config         ``grub/grub.cfg`` (Debian/       ``R/grub/BOOTFILE.cfg`` (route a
                    unsigned GRUB) or ``grub.cfg``    client to it with ``configfile``)
                    (Fedora's GRUB)
UEFI boot file      ``bootx64.efi`` (shim) +          none (the root's own loaders)
                    ``grubx64.efi``, or
                    ``grubnetx64.efi`` (unsigned)
BIOS boot file      ``pxelinux.0`` + ``ldlinux.c32``  none (the root's own)
iPXE script         ``boot.ipxe``                     ``R/IMAGEDIR/boot.ipxe``
DHCP snippets       ``dhcp/dnsmasq.conf``,            ``R/IMAGEDIR/dhcp/...``
                    ``dhcp/dhcpd.conf``,
                    ``dhcp/dhcpd-toplevel.conf``,
                    ``dhcp/kea-dhcp4.conf``
note, manifest      ``livepxe.json``, ``SHA256SUMS``  ``R/IMAGEDIR/...``
==================  ===============================  ==================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import LivepxeError

_SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")

SUMS = "SHA256SUMS"
NOTE = "livepxe.json"
IPXE_SCRIPT = "boot.ipxe"
DNSMASQ = "dhcp/dnsmasq.conf"
DHCPD = "dhcp/dhcpd.conf"
DHCPD_TOPLEVEL = "dhcp/dhcpd-toplevel.conf"
KEA = "dhcp/kea-dhcp4.conf"
#: The DHCP snippets, for the site's own DHCP server: dnsmasq, ISC dhcpd (scope, top level), Kea.
DHCP_SNIPPETS = (DNSMASQ, DHCPD, DHCPD_TOPLEVEL, KEA)
ISO_INITRD = "iso0.img"                 # separate mode: the second initrd, holding the ISO
PXELINUX_DIR = "pxelinux.cfg"
#: Where a GRUB whose prefix is ``/grub`` reads its config (Debian's signed netboot GRUB, grub-mkimage's).
GRUB_PREFIX_CONFIG = "grub/grub.cfg"
#: Where Fedora's signed GRUB reads it: beside itself.
GRUB_BESIDE_CONFIG = "grub.cfg"


def kernel_name(index: int) -> str:
    return f"vmlinuz{index}"


def initrd_name(index: int) -> str:
    return f"initrd{index}.img"


@dataclass(frozen=True)
class Layout:
    root: Path            # the TFTP root the configs' paths are relative to
    image_dir: str        # "" for a self-contained tree
    config_name: str      # file name under pxelinux.cfg/
    integrated: bool

    @classmethod
    def self_contained(cls, output: Path) -> Layout:
        return cls(output, "", "default", False)

    @classmethod
    def integration(cls, tftproot: Path, imagedir: str, bootfile: str) -> Layout:
        return cls(tftproot, check_imagedir(imagedir), check_bootfile(bootfile), True)

    def file(self, name: str) -> str:
        """Path of an image file relative to the root."""
        return f"{self.image_dir}/{name}" if self.image_dir else name

    def reference(self, name: str) -> str:
        """How a boot config names an image file."""
        return "/" + self.file(name) if self.integrated else name

    @property
    def pxelinux_config(self) -> str:
        return f"{PXELINUX_DIR}/{self.config_name}"

    def grub_config(self, loader_config: str | None) -> str:
        """The GRUB config's path: where the tree's own GRUB reads it, or a per-image name in a shared root."""
        if self.integrated:
            return f"grub/{self.config_name}.cfg"
        return loader_config or GRUB_PREFIX_CONFIG

    def image_files(self, kernels: int, separate: bool, served_iso: str | None) -> list[str]:
        """Kernels, initrds, the ISO's own initrd (separate mode) and the ISO served over HTTP, if any."""
        names = [n for i in range(kernels) for n in (kernel_name(i), initrd_name(i))]
        names += [ISO_INITRD] if separate else []
        names += [served_iso] if served_iso else []
        return [self.file(n) for n in names]

    def planned(self, kernels: int, separate: bool, served_iso: str | None,
                boot_files: list[str], grub_loader_config: str | None) -> list[str]:
        """Every path the tree occupies under the root (checked before any work, written by convert)."""
        return (self.image_files(kernels, separate, served_iso) + boot_files
                + [self.pxelinux_config, self.grub_config(grub_loader_config)]
                + [self.file(n) for n in (IPXE_SCRIPT, *DHCP_SNIPPETS, NOTE, SUMS)])


def check_imagedir(imagedir: str) -> str:
    path = PurePosixPath(imagedir)
    if path.is_absolute():
        raise LivepxeError(f"--imagedir {imagedir!r} is absolute; give a path relative to --tftproot, "
                           "e.g. live/devel/minimal")
    parts = path.parts
    if not parts or ".." in parts or not all(_SAFE_COMPONENT.match(p) for p in parts):
        raise LivepxeError(
            f"--imagedir {imagedir!r} is not a plain relative path; "
            "use letters, digits, '.', '_', '-' and '/', no '..'")
    return "/".join(parts)


def check_bootfile(bootfile: str) -> str:
    """``bootfile`` as the name of the image's pxelinux.cfg/ config; LivepxeError for a name it cannot be."""
    if bootfile == "default":
        raise LivepxeError("--bootfile default would replace the TFTP root's own pxelinux.cfg/default (every "
                           "client's menu); give the image its own name, e.g. --bootfile live.devel-minimal")
    if not _SAFE_COMPONENT.match(bootfile):
        raise LivepxeError(f"--bootfile {bootfile!r} is not a plain file name for pxelinux.cfg/: letters and "
                           "digits, then also '.', '_', '+', '-'; e.g. --bootfile live.devel-minimal")
    return bootfile
