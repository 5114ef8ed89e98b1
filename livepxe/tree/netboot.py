"""Everything a tree carries beyond pxelinux: UEFI (GRUB and its loaders), iPXE, the DHCP snippets.

Part of the plan (``tree.plan``): it chooses the UEFI loaders (making the
unsigned GRUB in the plan's scratch folder when the host has no signed
chain) and renders the configs; it writes nothing in the tree.  Where each
file goes is ``layout``'s to say.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..bootconf import dhcp, dhcpd, dnsmasq, ipxe, kea
from ..bootconf import grub as grubnet
from ..bootconf.entry import BootEntry
from ..host import efi
from ..write.streamcopy import FileRange, Segment
from .httpboot import HttpBoot
from .layout import DHCP_SNIPPETS, DHCPD, DHCPD_TOPLEVEL, DNSMASQ, IPXE_SCRIPT, KEA, Layout
from .note import BootFiles


@dataclass
class NetbootFiles:
    files: dict[str, list[Segment]] = field(default_factory=dict)  # tree path -> its bytes
    configs: dict[str, str] = field(default_factory=dict)     # kind -> tree path
    boot_files: BootFiles = field(default_factory=BootFiles)
    uefi_loaders: str | None = None
    uefi_signed: bool = False
    grub_http: bool = False                                    # GRUB fetches kernel and initrd over HTTP


def plan_netboot(scratch: Path, layout: Layout, entries: Sequence[BootEntry], comment: str,
                 bios_boot_file: str | None, warn: Callable[[str], None],
                 served_root: Path | None = None,
                 http: tuple[HttpBoot, Sequence[BootEntry]] | None = None) -> NetbootFiles:
    """The GRUB config, UEFI loaders, boot.ipxe and DHCP snippets, as files of the plan.

    ``served_root`` is the folder TFTP will serve, when it is not where the
    tree is written (livecd-creator moves its tree after the build);
    ``http`` is the ``--http-boot`` base and the entries by TFTP path:
    GRUB's config names URLs only when the tree carries a GRUB known to
    have the ``http`` module (livepxe's unsigned image) and the port is 80.
    Debian 12's signed ``grubnetx64.efi`` has no ``http`` module (QEMU:
    "disk `http,HOST' not found"), Fedora's is unproven here, and an
    integrated root's GRUB is the admin's: their configs stay on TFTP.
    """
    out = NetbootFiles()

    def put(relpath: str, text: str) -> None:
        out.files[relpath] = [text.encode()]

    loaders = None
    if not layout.integrated:
        loaders = efi.find_loaders(scratch, warn)
        if loaders is None:
            warn(efi.MISSING_HINT)
        else:
            for relpath, source in loaders.files.items():
                out.files[relpath] = [FileRange(source, 0, source.stat().st_size)]
            out.uefi_loaders = loaders.kind
            out.uefi_signed = loaders.signed

    out.configs["grub"] = layout.grub_config(loaders.config if loaders else None)
    grub_entries = entries
    if http is not None:
        base, tftp_entries = http
        if not base.grub_over_http:
            why = f"port {base.port} (GRUB 2.06 names no port on its http device)"
        elif loaders is None:
            why = "the TFTP root's own GRUB may lack the http module" if layout.integrated else ""
        else:
            why = "" if loaders.http else f"{loaders.kind} has no http module"
        grub_http = loaders is not None and loaders.http and base.grub_over_http
        if not grub_http:
            grub_entries = tftp_entries
        if why:
            warn(f"--http-boot {base.base}: {why}, so UEFI's GRUB config keeps kernel and initrd on TFTP")
        out.grub_http = grub_http
    put(out.configs["grub"], grubnet.render(grub_entries, comment))
    out.configs["ipxe"] = layout.file(IPXE_SCRIPT)
    put(out.configs["ipxe"], ipxe.render(entries, comment, layout.image_dir))

    out.boot_files = BootFiles(bios=bios_boot_file, uefi=loaders.boot_file if loaders else None,
                               ipxe=layout.file(IPXE_SCRIPT))
    files = dhcp.SiteBootFiles(bios=out.boot_files.bios, uefi=out.boot_files.uefi, ipxe=out.boot_files.ipxe,
                           tftp_root=str(served_root or layout.root))
    folder = posixpath.join(files.tftp_root, posixpath.dirname(layout.file(DHCPD)))
    put(layout.file(DNSMASQ), dnsmasq.render(files, comment, folder))
    put(layout.file(DHCPD), dhcpd.render(files, comment, folder))
    put(layout.file(DHCPD_TOPLEVEL), dhcpd.render_toplevel(comment, folder))
    put(layout.file(KEA), kea.render(files, comment, folder))
    return out


def dhcp_snippets(root: Path, layout: Layout) -> str:
    """The tree's DHCP snippets, as ``--print-dhcp`` shows them."""
    parts = []
    for name in DHCP_SNIPPETS:
        path = root / layout.file(name)
        parts.append(f"### {path}\n{path.read_text()}")
    return "\n".join(parts)
