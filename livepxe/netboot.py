"""Everything a tree carries beyond pxelinux: UEFI (GRUB), iPXE, DHCP snippets, the livepxe.json note.

Called by the engine once the kernel, initrds and pxelinux config are
staged.  Paths follow the delivery's naming rules:

==================  ===============================  ==================================
file                self-contained tree (TFTP root)  integration (--tftproot R ...)
==================  ===============================  ==================================
GRUB config         ``grub/grub.cfg`` (Debian/       ``R/grub/BOOTFILE.cfg`` (route a
                    unsigned GRUB) or ``grub.cfg``    client to it with ``configfile``)
                    (Fedora's GRUB)
UEFI boot file      ``bootx64.efi`` (shim) +          none (the root's own loaders)
                    ``grubx64.efi``, or
                    ``grubnetx64.efi`` (unsigned)
iPXE script         ``boot.ipxe``                     ``R/IMAGEDIR/boot.ipxe``
DHCP snippets       ``dhcp/dnsmasq.conf``,            ``R/IMAGEDIR/dhcp/...``
                    ``dhcp/dhcpd.conf``
note                ``livepxe.json``                  ``R/IMAGEDIR/livepxe.json``
==================  ===============================  ==================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from . import efi
from .bootconf import dhcp
from .bootconf import grub as grubnet
from .bootconf import ipxe
from .bootconf.entry import BootEntry
from .layout import Layout
from .streamcopy import FileRange, Segment, write_file
from .treewriter import TreeWriter

NOTE_NAME = "livepxe.json"
DNSMASQ_NAME = "dhcp/dnsmasq.conf"
DHCPD_NAME = "dhcp/dhcpd.conf"


@dataclass
class NetbootFiles:
    digests: dict[str, str] = field(default_factory=dict)     # tree path -> sha256
    configs: dict[str, str] = field(default_factory=dict)     # kind -> tree path
    boot_files: dict[str, str | None] = field(default_factory=dict)
    uefi_loaders: str | None = None


def grub_config_path(layout: Layout, loaders: efi.EfiLoaders | None) -> str:
    if layout.integrated:
        return f"grub/{layout.config_name}.cfg"
    return loaders.config if loaders else efi.GRUB_CONFIG


def planned_paths(layout: Layout) -> list[str]:
    """Paths this module writes in integration mode (checked before any work)."""
    names = [ipxe.SCRIPT_NAME, NOTE_NAME, DNSMASQ_NAME, DHCPD_NAME]
    return [grub_config_path(layout, None)] + [layout.file(n) for n in names]


def boot_files(layout: Layout, loaders: efi.EfiLoaders | None, bios: str | None) -> dhcp.BootFiles:
    return dhcp.BootFiles(bios=bios, uefi=loaders.boot_file if loaders else None,
                          ipxe=layout.file(ipxe.SCRIPT_NAME), tftp_root=str(layout.root))


def write_netboot(writer: TreeWriter, layout: Layout, entries: Sequence[BootEntry], comment: str,
                  note: dict[str, Any], bios_boot_file: str | None,
                  warn: Callable[[str], None]) -> NetbootFiles:
    """Stage the GRUB config, UEFI loaders, boot.ipxe, DHCP snippets and livepxe.json."""
    out = NetbootFiles()

    def stage(relpath: str, segments: list[Segment]) -> None:
        digest = write_file(writer.path(relpath), segments)
        assert digest is not None  # write_file checksums by default
        out.digests[relpath] = digest

    def put(relpath: str, text: str) -> None:
        stage(relpath, [text.encode()])

    loaders = None
    if not layout.integrated:
        loaders = efi.find_loaders(writer.scratch())
        if loaders is None:
            warn(efi.MISSING_HINT)
        else:
            for relpath, source in loaders.files.items():
                stage(relpath, [FileRange(source, 0, source.stat().st_size)])
            out.uefi_loaders = loaders.kind

    out.configs["grub"] = grub_config_path(layout, loaders)
    put(out.configs["grub"], grubnet.render(entries, comment))
    out.configs["ipxe"] = layout.file(ipxe.SCRIPT_NAME)
    put(out.configs["ipxe"], ipxe.render(entries, comment, layout.image_dir))

    files = boot_files(layout, loaders, bios_boot_file)
    out.boot_files = {"bios": files.bios, "uefi": files.uefi, "ipxe": files.ipxe}
    put(layout.file(DNSMASQ_NAME), dhcp.dnsmasq(files, comment))
    put(layout.file(DHCPD_NAME), dhcp.isc_dhcpd(files, comment))

    document = {**note, "boot_files": out.boot_files, "configs": out.configs,
                "uefi_loaders": out.uefi_loaders, "uefi_signed": bool(loaders and loaders.signed)}
    put(layout.file(NOTE_NAME), json.dumps(document, indent=2, sort_keys=True) + "\n")
    return out


def read_note(tree: Path) -> dict[str, Any] | None:
    """The livepxe.json of a self-contained tree or an image folder, if any."""
    path = tree / NOTE_NAME
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def dhcp_snippets(root: Path, layout: Layout) -> str:
    """The tree's two DHCP snippets, as ``--print-dhcp`` shows them."""
    parts = []
    for name in (DNSMASQ_NAME, DHCPD_NAME):
        path = root / layout.file(name)
        parts.append(f"### {path}\n{path.read_text()}")
    return "\n".join(parts)


def guidance_line(root: Path, layout: Layout) -> str:
    """One summary line: RAM per mode and the boot file per firmware, from the tree's note."""
    note = read_note(root / layout.image_dir) or {}
    ram = note.get("client_ram_mib", {})
    files = note.get("boot_files", {})
    firmware = ", ".join(f"{kind} {path}" for kind, path in files.items() if path) or "none"
    return (f"  client RAM by mode: ISO in initrd {ram.get('bundled', '?')} MiB, ISO over HTTP (--http-url) "
            f"{ram.get('http', '?')} MiB; boot files: {firmware}")
