"""Which loaders ``serve`` hands out, decided once into the `Plan`, and the folder that carries the ones it builds.

`choose` is the whole loader policy: BIOS clients without iPXE get
``lpxelinux.0`` with the tree's URL embedded (`httploader`) unless
``--tftp-only``, pxelinux-options is missing or the initrd is larger than
lpxelinux was seen to load; UEFI clients behind a proxy offer get an early
GRUB that names this server (`grubearly`) unless the tree's signed GRUB
reads proxy offers itself (Fedora's and EL's build does), and Secure Boot
clients, which refuse that GRUB, a RAM-disk image of the tree's signed
chain by UEFI HTTP Boot (`sbdisk`).  Each downgrade (a client kind the tree
leaves without a loader, BIOS over TFTP only, no Secure Boot, next-server
needed) is a note the plan carries: one ``livepxe: warning:`` line at start,
with ``--print-config`` too, naming what it costs and what to install.  `build` makes what the plan names into a
new folder, then links the tree's other entries beside them (`mirror`): never into the tree.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import List, Optional, Tuple

from ..host import efi
from ..host.table import FILE_PACKAGES
from ..tree.note import TreeNote
from . import grubearly, httploader, mirror, sbdisk
from .plan import Plan

UEFI_CHOICES = ("auto", "signed", "early")
#: Signed chains whose GRUB reads a proxy offer (Fedora's carries "efinet: Add DHCP proxy support").
PROXY_AWARE = efi.table.PROXY_AWARE
#: What `Plan.builds` may name.
LPXELINUX, EARLY_GRUB, SECURE_BOOT_DISK, HOST_LOADERS = "lpxelinux", "early-grub", "secure-boot-disk", "host-loaders"


def choose(plan: Plan, tree_note: TreeNote, uefi: str = "auto", tftp_only: bool = False) -> Plan:
    """``plan`` with its boot files, the loaders to build and the downgrade notes decided."""
    builds: List[str] = [HOST_LOADERS] if plan.host_files or plan.made_files else []
    notes = missing_notes(plan, tree_note)
    bios, uefi_file, uefi_http = plan.bios, plan.uefi, None
    chain: Optional[Tuple[str, str]] = None
    if plan.bios is not None and not tftp_only:
        why = bios_tftp_reason(tree_note)
        if why:
            notes.append(why)
        else:
            builds.append(LPXELINUX)
            bios = httploader.IMAGE
    if uefi == "auto":
        uefi = "signed" if not plan.proxy or tree_note.uefi_loaders in PROXY_AWARE else "early"
    next_server = plan.proxy and uefi == "signed" and plan.uefi is not None and \
        tree_note.uefi_loaders not in PROXY_AWARE
    if next_server:
        notes.append(f"UEFI clients get the tree's {plan.uefi}, whose GRUB ignores proxy offers: every one of "
                     f"them stops at grub> unless the site's DHCP server names this host ({plan.ip}) as "
                     "next-server; without --uefi signed they get a GRUB that names this server")
    if uefi == "early" and plan.uefi is not None and plan.grub_config is not None:
        builds.append(EARLY_GRUB)
        uefi_file = grubearly.IMAGE
        chain = signed_chain(plan, tree_note)
        if chain is not None:
            builds.append(SECURE_BOOT_DISK)
            uefi_http = sbdisk.IMAGE
            notes.append("UEFI clients get an unsigned GRUB that names this server (the signed GRUB ignores "
                         "proxy offers); Secure Boot clients refuse it and go on to UEFI HTTP Boot, where they "
                         f"get {plan.http_base}{sbdisk.IMAGE}: the tree's signed shim and GRUB on a RAM disk, then "
                         "config, kernel and initrd over TFTP")
        else:
            notes.append("UEFI clients get an unsigned GRUB that names this server (the signed GRUB ignores "
                         "proxy offers); Secure Boot clients refuse it, and this tree has no signed chain to "
                         f"offer them: convert on a host with {FILE_PACKAGES['signed chain'].named()}")
    elif plan.uefi is not None and not tree_note.uefi_signed:
        notes.append(f"Secure Boot clients refuse the tree's unsigned {plan.uefi}; only UEFI clients without "
                     f"Secure Boot boot it: convert on a host with {FILE_PACKAGES['signed chain'].named()}")
    return dataclasses.replace(plan, bios=bios, uefi=uefi_file, uefi_http=uefi_http, builds=tuple(builds),
                               notes=tuple(notes), signed_chain=chain if uefi_http else None,
                               uefi_next_server=next_server)


def missing_notes(plan: Plan, tree_note: TreeNote) -> List[str]:
    """One line per client kind the tree leaves without a boot file of its own."""
    notes = []
    if plan.bios is None:
        notes.append("BIOS clients get no boot file: the tree has no pxelinux.0; convert on a host with "
                     f"{FILE_PACKAGES['pxelinux.0'].named()}")
    if plan.uefi is None:
        notes.append("UEFI clients get no boot file: the tree has no UEFI loader; convert on a host with "
                     f"{FILE_PACKAGES['uefi loader'].named()}")
    if tree_note.boot_files.ipxe is None:
        notes.append("iPXE clients boot like their firmware (pxelinux or GRUB over TFTP): the tree has no "
                     "boot.ipxe; convert it again with this livepxe")
    return notes


def bios_tftp_reason(tree_note: TreeNote) -> Optional[str]:
    """Why BIOS clients without iPXE take pxelinux.0 and TFTP for everything, or None: lpxelinux and HTTP."""
    lacking = httploader.missing()
    if lacking:
        return ("BIOS clients without iPXE fetch kernel and initrd over TFTP (pxelinux.0), slowly, instead of "
                f"HTTP (lpxelinux.0): {lacking}")
    if not httploader.carries(tree_note.initrd_bytes):
        return (f"BIOS clients without iPXE load the {tree_note.initrd_bytes >> 20} MiB initrd over TFTP "
                f"(pxelinux.0): lpxelinux's HTTP was not seen to load more than "
                f"{httploader.LARGEST_INITRD >> 20} MiB; iPXE clients still use HTTP")
    return None


def signed_chain(plan: Plan, tree_note: TreeNote) -> Optional[Tuple[str, str]]:
    """The tree's shim and the signed GRUB beside it (paths from the root), when the tree carries a signed chain."""
    if plan.uefi is None or not tree_note.uefi_signed:
        return None
    shim = plan.uefi
    grub = str(Path(shim).with_name("grubx64.efi"))
    return (shim, grub) if plan.source(shim).is_file() and plan.source(grub).is_file() else None


def build(plan: Plan, folder: Path) -> Path:
    """The TFTP root ``plan`` serves: the tree's root, or ``folder`` holding links to it plus the built loaders."""
    if not plan.builds:
        return plan.root
    return mirror.build(plan.root, folder, lambda into: _write_loaders(plan, into))


def _write_loaders(plan: Plan, folder: Path) -> None:
    for name, source in plan.host_files:
        shutil.copyfile(source, folder / name)
        (folder / name).chmod(0o644)
    for name, text in plan.made_files:
        (folder / name).write_text(text)
    if LPXELINUX in plan.builds:
        httploader.build(folder, plan.http_base)
    if EARLY_GRUB in plan.builds:
        assert plan.grub_config is not None
        grubearly.build(folder, plan.ip, plan.grub_config, plan.http_port)
    if SECURE_BOOT_DISK in plan.builds:
        assert plan.signed_chain is not None and plan.grub_config is not None
        shim, grub = plan.signed_chain
        sbdisk.build(folder, plan.source(shim), plan.source(grub), plan.ip, plan.grub_config)
