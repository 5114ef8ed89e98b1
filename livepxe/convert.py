"""The engine: a live ISO in, a network-boot tree out.

Reads the ISO in user space (`isoreader`), rewrites the kernel arguments
(`cmdline`), lays the files out for the chosen delivery (`layout`), writes
them with in-kernel copies into a staging folder (`streamcopy`,
`treewriter`) and commits the tree whole, with a SHA256SUMS manifest.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import (
    __version__,
    httpboot,
    httproot,
    initrdprobe,
    loaders,
    manifest,
    mediakind,
    netboot,
    newc,
    payload,
    ram,
    sizing,
)
from .bootconf import carried_cmdline, printable, pxelinux
from .bootconf.entry import BootEntry
from .cmdline import pxe_cmdline, safe_iso_name
from .errors import LivepxeError
from .isoreader import IsoFile, LiveIso, read_live_iso
from .layout import ISO_INITRD, NOTE, SUMS, Layout, initrd_name, kernel_name
from .note import ClientRam, TreeNote
from .options import Compression, ConvertOptions, InitrdMode, Payload
from .progress import Progress
from .streamcopy import FileRange, Segment, total_length, write_file
from .strip import write_stripped_iso
from .treewriter import TreeWriter

GIB = 1024 ** 3
log = logging.getLogger(__name__)


@dataclass
class ConvertResult:
    root: Path                            # the TFTP root the tree lives in
    layout: Layout
    note: TreeNote                        # what livepxe.json says of the tree
    entries: list[BootEntry]
    files: list[Path]                     # everything written, final paths
    configs: list[Path]
    warnings: list[str] = field(default_factory=list)

    @property
    def ram_mib(self) -> int:
        """Client RAM for the way this tree boots."""
        ram = self.note.client_ram_mib
        return ram.http if self.note.iso_url else ram.bundled

    @property
    def initrd_bytes(self) -> int:
        return self.note.initrd_bytes

    @property
    def iso_name(self) -> str:
        """The ISO's name inside the initramfs (or on the HTTP server)."""
        return self.note.iso_name


def _check_size(what: str, size: int, hint: str) -> None:
    if size > newc.MAX_MEMBER_SIZE:
        raise LivepxeError(f"{what} is {size / GIB:.2f} GiB: an initramfs member must be under 4 GiB; {hint}")


@dataclass(frozen=True)
class _Source:
    """What the ISO and the options decide before anything is written."""

    iso: LiveIso
    iso_name: str                         # the ISO's name inside the initramfs (or on the HTTP server)
    url: str | None                       # HTTP live root: where the client downloads the ISO
    carry_iso: bool                       # HTTP live root: the tree carries NAME.iso to be served
    kernels: tuple[tuple[str, str], ...]  # (vmlinuzN, initrdN.img) per boot image
    separate: bool                        # the ISO travels in a second initrd file

    @property
    def iso_file(self) -> str | None:
        """The second initrd holding the ISO (separate mode)."""
        return ISO_INITRD if self.separate else None


def _read_source(options: ConvertOptions, note: Callable[[str], None]) -> _Source:
    iso_path = options.iso_path
    if options.payload is Payload.ISO and iso_path.is_file() and not options.http_url:
        _check_size(str(iso_path), iso_path.stat().st_size,
                    "use --payload liveos to ship only LiveOS/, or boot it over HTTP with root=live:http://…")
    iso = read_live_iso(iso_path)
    mediakind.check(iso, options.accept_media, options.FLAGS["accept_media"], note)
    iso_name = safe_iso_name(iso_path.name)
    if iso_name != iso_path.name:
        note(f"{iso_path.name!r} cannot appear in a boot config; the initramfs carries it as {iso_name}")
    url, carry_iso = httproot.iso_url(options.http_url, iso_name) if options.http_url else (None, False)
    if url:
        if options.initrd_mode is InitrdMode.SEPARATE:
            note("--initrd-mode separate has no effect with --http-url: the initrd carries no ISO")
        first_initrd = iso.boot_images[0].initrd
        for message in initrdprobe.http_root_problems(iso.path, first_initrd.offset, first_initrd.length):
            note(message)
    kernels = tuple((kernel_name(b.index), initrd_name(b.index)) for b in iso.boot_images)
    separate = options.initrd_mode is InitrdMode.SEPARATE and url is None
    return _Source(iso, iso_name, url, carry_iso, kernels, separate)


def _host_pxelinux(layout: Layout, note: Callable[[str], None], http: httpboot.HttpBoot | None) -> dict[str, Path]:
    """pxelinux.0 (lpxelinux.0 for --http-boot) and ldlinux.c32 for a self-contained tree; an integrated root
    has its own."""
    if layout.integrated:
        if http is not None:
            note(f"{layout.pxelinux_config} names kernel and initrd by http:// URL: BIOS clients of this TFTP root "
                 f"must boot {httpboot.BIOS_HTTP_LOADER} (pxelinux.0 has no HTTP client)")
        return {}
    found, missing = loaders.find_files(loaders.LPXELINUX_FILES if http else loaders.PXELINUX_FILES)
    if missing:
        note(f"{', '.join(missing)} not found in {', '.join(map(str, loaders.search_dirs()))}; "
             "install syslinux (Fedora) or pxelinux + syslinux-common (Debian), or set LIVEPXE_SYSLINUX_DIR")
    return found


def _planned_paths(layout: Layout, source: _Source, boot_files: dict[str, Path]) -> list[str]:
    served = source.iso_name if source.carry_iso else None
    return layout.planned(len(source.kernels), source.separate, served, list(boot_files), None)


def convert(options: ConvertOptions) -> ConvertResult:
    """Write the tree ``options`` describe; raise LivepxeError on bad input (nothing written).

    Warnings go to this module's logger (the CLI prints them, livecd-creator
    logs them) and into the result and the tree's note.
    """
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        log.warning("%s", message)

    layout = options.validate()
    writer = TreeWriter(layout, options.force, options.iso_path)  # refuses an existing or unwritable destination
    source = _read_source(options, note)
    http = options.http_boot_base()
    boot_files = _host_pxelinux(layout, note, http)
    writer.check_targets(_planned_paths(layout, source, boot_files))

    with writer:
        carried = _payload_range(source.iso, options, writer.scratch())
        archive = _archive(source, carried, options, writer)
        plan = _plan_files(source, archive, layout)
        plan += [(rel, [FileRange(src, 0, src.stat().st_size)]) for rel, src in boot_files.items()]
        plan += [(layout.file(source.iso_name), [carried])] if source.carry_iso else []
        initrd_bytes = _client_initrd_bytes(plan, layout, source)
        _check_size("the initrd a client loads", initrd_bytes,
                    "use --payload liveos, or boot over HTTP; the kernel cannot unpack 4 GiB initramfs images")
        for message in sizing.initrd_warnings(initrd_bytes):
            note(message)
        progress = Progress(sum(total_length(s) for _, s in plan), f"writing {layout.root.name}", options.progress)
        digests = {rel: write_file(writer.path(rel), segments, progress, checksum=options.checksums)
                   for rel, segments in plan}
        progress.finish()

        dracut_bytes = source.iso.boot_images[0].initrd.length
        ram_by_mode = ram.by_mode(carried.length, dracut_bytes, None if source.url else initrd_bytes)
        entries = _entries(source, layout, options, note)
        comment = (f"Written by livepxe {__version__} from {printable(source.iso.path.name, 120)} "
                   f"(volume {printable(source.iso.label)}); "
                   + (f"the client downloads {source.url}" if source.url else f"initramfs carries /{source.iso_name}"))
        tftp_entries = entries
        if http is not None:
            comment += f"; kernel and initrd over HTTP from {http.base}"
            entries = [_over_http(e, http) for e in entries]
        config_text = pxelinux.render(entries, comment)
        digests[layout.pxelinux_config] = write_file(writer.path(layout.pxelinux_config), [config_text.encode()])
        bios_loader = next((n for n in (httpboot.BIOS_HTTP_LOADER, "pxelinux.0") if n in boot_files), None)
        extra = netboot.write_netboot(writer, layout, entries, comment, bios_loader, note, options.served_root,
                                      (http, tftp_entries) if http is not None else None)
        digests.update(extra.digests)
        tree_note = TreeNote(
            livepxe=__version__, iso=source.iso.path.name, volume=source.iso.label, iso_name=source.iso_name,
            image_dir=layout.image_dir, integrated=layout.integrated,
            mode="http" if source.url else f"bundled-{options.initrd_mode.value}",
            payload=options.payload.value, compress=options.compress.value, checksums=options.checksums,
            iso_url=source.url, http_boot=http.base if http else None,
            initrd_bytes=initrd_bytes, client_ram_mib=ClientRam(**ram_by_mode),
            boot_files=extra.boot_files, configs={"pxelinux": layout.pxelinux_config, **extra.configs},
            uefi_loaders=extra.uefi_loaders, uefi_signed=extra.uefi_signed,
            carried_archives=_archive_offsets(plan, archive), warnings=warnings)
        digests[layout.file(NOTE)] = write_file(writer.path(layout.file(NOTE)), [tree_note.to_json().encode()])
        if options.checksums:
            listed = {path: digest for path, digest in digests.items() if digest}
            write_file(writer.path(layout.file(SUMS)), [manifest.sha256sums(listed).encode()], checksum=False)

    files = [layout.root / p for p in writer.written]
    configs = [layout.root / p for p in tree_note.configs.values()]
    return ConvertResult(layout.root, layout, tree_note, entries, files, configs, warnings)


def source_date(iso: LiveIso) -> int:
    """The date stamped into what livepxe writes: ``$SOURCE_DATE_EPOCH``, else the ISO's own creation date.

    Never the ISO file's mtime or the clock, so the same ISO bytes give the same tree.
    """
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    return iso.created


def _archive(source: _Source, carried: FileRange, options: ConvertOptions, writer: TreeWriter) -> list[Segment]:
    """The cpio carrying the ISO (compressed into scratch if asked); empty for an HTTP live root."""
    if source.url:
        return []
    archive = payload.cpio_segments(source.iso_name, carried, source_date(source.iso))
    if options.compress is Compression.NONE:
        return archive
    packed = writer.scratch() / "iso.cpio"
    payload.write_compressed(packed, archive, options.compress.value,
                             Progress(total_length(archive), "compressing", options.progress))
    return [FileRange(packed, 0, packed.stat().st_size)]


def _payload_range(iso: LiveIso, options: ConvertOptions, scratch: Path) -> FileRange:
    if options.payload is Payload.ISO:
        return FileRange(iso.path, 0, iso.size)
    stripped = scratch / "liveos.iso"
    write_stripped_iso(iso, stripped)
    size = stripped.stat().st_size
    _check_size("the stripped ISO", size, "boot it over HTTP with root=live:http://… instead")
    return FileRange(stripped, 0, size)


def _plan_files(source: _Source, archive: list[Segment], layout: Layout) -> list[tuple[str, list[Segment]]]:
    """Each image file of the tree as segments: kernels and initrds straight from the ISO, plus the archive."""
    plan: list[tuple[str, list[Segment]]] = []
    for image, (kernel_file, initrd_file) in zip(source.iso.boot_images, source.kernels):
        plan.append((layout.file(kernel_file), [_range(source.iso, image.kernel)]))
        initrd: list[Segment] = [_range(source.iso, image.initrd)]
        if source.iso_file is None and archive:  # append mode: pad the dracut image to 4 bytes, then the archive
            initrd += [newc.padding(image.initrd.length), *archive]
        plan.append((layout.file(initrd_file), initrd))
    if source.iso_file is not None:
        plan.append((layout.file(source.iso_file), archive))
    return plan


def _archive_offsets(plan: list[tuple[str, list[Segment]]], archive: list[Segment]) -> dict[str, int]:
    """Where the ISO's archive starts in each file that carries it (for verify to find it, compressed or not)."""
    offsets = {}
    for relpath, segments in plan:
        if archive and segments[-len(archive):] == archive:
            offsets[relpath] = total_length(segments[:-len(archive)])
    return offsets


def _over_http(entry: BootEntry, http: httpboot.HttpBoot) -> BootEntry:
    """``entry`` naming its kernel and initrds by URL under the --http-boot base (paths are from the TFTP root)."""
    return replace(entry, kernel=http.url(entry.kernel), initrds=tuple(http.url(p) for p in entry.initrds))


def _range(iso: LiveIso, item: IsoFile) -> FileRange:
    return FileRange(iso.path, item.offset, item.length)


def _client_initrd_bytes(plan, layout: Layout, source: _Source) -> int:
    """What one client loads: the first kernel's initrd, plus the ISO's own file in separate mode."""
    sizes = {rel: total_length(segments) for rel, segments in plan}
    first_initrd = sizes[layout.file(source.kernels[0][1])]
    return first_initrd + (sizes[layout.file(source.iso_file)] if source.iso_file else 0)


def _entries(source: _Source, layout: Layout, options: ConvertOptions,
             note: Callable[[str], None]) -> list[BootEntry]:
    """One entry per kernel; kernel words some boot config cannot carry safely are dropped, and named."""
    entries = []
    for image, (kernel_file, initrd_file) in zip(source.iso.boot_images, source.kernels):
        initrds = (layout.reference(initrd_file),) + ((layout.reference(source.iso_file),) if source.iso_file else ())
        args = pxe_cmdline(image.args, source.iso_name, options.append, options.cmdline)
        if source.url:
            args = httproot.http_cmdline(args, source.iso_name, source.url)
        args, dropped = carried_cmdline(args)
        if dropped:
            note(f"{kernel_file}: kernel arguments dropped, a boot config cannot carry them as data: "
                 + " ".join(printable(repr(w)) for w in dropped))
        entries.append(BootEntry(f"livepxe{image.index}", f"{source.iso.label} ({kernel_file})",
                                 layout.reference(kernel_file), initrds, args))
    return entries
