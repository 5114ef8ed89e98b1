"""Every decision of a conversion, made before the first byte of the tree is written.

``plan()`` reads the ISO, refuses what cannot be delivered, chooses the
host's loaders (making the unsigned GRUB in the plan's scratch folder when
the host has no signed chain), renders every boot config and lists every
file of the tree with where its bytes come from: ranges of the ISO, bytes,
host files, or the one large file made on the way (the stripped ISO or the
compressed archive, whose size is known only once it is made).  It writes
nothing in the target.  ``write.execute`` carries a plan out; ``to_json`` is the
dry run (``livepxe convert --plan``).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Union

from .. import __version__, newc
from ..bootconf import carried_cmdline, printable, pxelinux
from ..bootconf.entry import BootEntry
from ..catalogue import menus as catalogue_menus
from ..errors import LivepxeError
from ..host import loaders
from ..iso import initrdprobe, mediakind
from ..iso.isoreader import IsoFile, LiveIso, read_live_iso
from ..options import Compression, ConvertOptions, InitrdMode, Payload
from ..write.payload import check_compressor, cpio_segments
from ..write.streamcopy import FileRange, Segment, total_length
from ..write.treewriter import TreeWriter
from . import httpboot, isourl, netboot
from .cmdline import pxe_cmdline, safe_iso_name
from .layout import ISO_INITRD, NOTE, SUMS, Layout, initrd_name, kernel_name
from .note import BootFiles

GIB = 1024 ** 3
log = logging.getLogger("livepxe.convert")
#: Stand for what the writer makes before copying, in a file's sources: the ISO as it is carried (the stripped
#: copy for --payload liveos) and its cpio archive (when that payload or compression make it).
PAYLOAD = "payload"
ARCHIVE = "archive"
#: A catalogue root's menus: rendered by the writer from the notes of every image in the root, this one's too.
MENU = "menu"


def check_size(what: str, size: int, hint: str) -> None:
    """Refuse a member the kernel cannot unpack (newc sizes are 32-bit)."""
    if size > newc.MAX_MEMBER_SIZE:
        raise LivepxeError(f"{what} is {size / GIB:.2f} GiB: an initramfs member must be under 4 GiB; {hint}")


Source = Union[Segment, str]  # bytes, a file range, PAYLOAD, ARCHIVE or MENU


@dataclass(frozen=True)
class PlannedFile:
    """One file of the tree: its path from the TFTP root, what it is, and where its bytes come from."""

    path: str
    role: str                    # image | loader | config | menu
    sources: tuple[Source, ...]

    @property
    def size(self) -> int | None:
        """Its length; None while it holds what the writer has yet to make."""
        if any(isinstance(s, str) for s in self.sources):
            return None
        return total_length(s for s in self.sources if not isinstance(s, str))


@dataclass(frozen=True)
class ArchiveRecipe:
    """How the writer makes the ISO's archive: the payload (the ISO, or a stripped copy) in a newc cpio."""

    iso_name: str
    payload: Payload
    compress: Compression
    mtime: int

    @property
    def known_now(self) -> bool:
        """Whole ISO, uncompressed: the archive is ranges of the ISO and its size is known before writing."""
        return self.payload is Payload.ISO and self.compress is Compression.NONE


@dataclass
class TreePlan:
    """What ``write.execute`` carries out; nothing of it is on disk in the target yet."""

    options: ConvertOptions
    layout: Layout
    iso: LiveIso
    iso_name: str
    iso_url: str | None                  # HTTP live root: where clients download the ISO
    http_boot: str | None
    archive: ArchiveRecipe | None        # None for an HTTP live root that carries no ISO
    entries: list[BootEntry]             # as the pxelinux, GRUB and iPXE configs name them
    files: list[PlannedFile]             # every file but the note and the manifest (the writer: small ones first)
    configs: dict[str, str]              # kind -> path
    boot_files: BootFiles
    uefi_loaders: str | None
    uefi_signed: bool
    first_initrd: str                    # what one client loads: this file ...
    iso_initrd: str | None               # ... plus this one in separate mode
    carried_iso: str | None              # HTTP live root: the tree carries NAME.iso to be served
    target: TreeWriter                   # the one writer, its destination already checked
    warnings: list[str] = field(default_factory=list)

    @property
    def note_path(self) -> str:
        return self.layout.file(NOTE)

    @property
    def sums_path(self) -> str | None:
        return self.layout.file(SUMS) if self.options.checksums else None

    @property
    def paths(self) -> list[str]:
        """Every path the tree occupies under its root: exactly what the writer writes."""
        tail = [self.note_path] + ([self.sums_path] if self.sums_path else [])
        return [f.path for f in self.files] + tail

    def to_json(self) -> str:
        """The dry run: every decision and file, with sources named (sizes null where the writer makes them)."""
        return json.dumps(_as_json(self), indent=2, sort_keys=True) + "\n"


def _source_json(source: Source, iso: Path) -> dict[str, object]:
    if isinstance(source, bytes):
        return {"bytes": len(source)}
    if isinstance(source, str):
        return {"made": source}
    if source.path == iso:
        return {"iso": [source.offset, source.length]}
    return {"host": str(source.path), "range": [source.offset, source.length]}


def _as_json(plan: TreePlan) -> dict[str, object]:
    files: list[dict[str, object]] = [
        {"path": f.path, "role": f.role, "size": f.size, "sources": [_source_json(s, plan.iso.path) for s in f.sources]}
        for f in plan.files]
    files.append({"path": plan.note_path, "role": "note", "size": None, "sources": [{"made": "note"}]})
    if plan.sums_path:
        files.append({"path": plan.sums_path, "role": "manifest", "size": None, "sources": [{"made": "manifest"}]})
    archive = plan.archive
    return {
        "livepxe": __version__, "iso": str(plan.iso.path), "volume": plan.iso.label,
        "root": str(plan.layout.root), "image_dir": plan.layout.image_dir, "integrated": plan.layout.integrated,
        "iso_name": plan.iso_name, "iso_url": plan.iso_url, "http_boot": plan.http_boot,
        "archive": None if archive is None else {"payload": archive.payload.value,
                                                 "compress": archive.compress.value},
        "boot_files": dict(plan.boot_files.items()), "configs": plan.configs,
        "uefi_loaders": plan.uefi_loaders, "uefi_signed": plan.uefi_signed,
        "entries": [{"label": e.label, "kernel": e.kernel, "initrds": list(e.initrds), "cmdline": e.cmdline}
                    for e in plan.entries],
        "files": files, "warnings": plan.warnings,
    }


def source_date(iso: LiveIso) -> int:
    """The date stamped into what livepxe writes: ``$SOURCE_DATE_EPOCH``, else the ISO's own creation date.

    Never the ISO file's mtime or the clock, so the same ISO bytes give the same tree.
    """
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    return iso.created


@dataclass(frozen=True)
class _Source:
    """What the ISO and the options decide."""

    iso: LiveIso
    iso_name: str
    url: str | None
    carry_iso: bool
    kernels: tuple[tuple[str, str], ...]  # (vmlinuzN, initrdN.img) per boot image
    separate: bool

    @property
    def iso_file(self) -> str | None:
        return ISO_INITRD if self.separate else None


def _read_source(options: ConvertOptions, note: Callable[[str], None]) -> _Source:
    iso_path = options.iso_path
    if options.payload is Payload.ISO and iso_path.is_file() and not options.http_url:
        check_size(str(iso_path), iso_path.stat().st_size,
                   "use --payload liveos to ship only LiveOS/, or boot it over HTTP with root=live:http://…")
    iso = read_live_iso(iso_path)
    mediakind.check(iso, options.accept_media, options.FLAGS["accept_media"], note)
    iso_name = safe_iso_name(iso_path.name)
    if iso_name != iso_path.name:
        note(f"{iso_path.name!r} cannot appear in a boot config; the initramfs carries it as {iso_name}")
    url, carry_iso = isourl.iso_url(options.http_url, iso_name) if options.http_url else (None, False)
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


def _range(iso: LiveIso, item: IsoFile) -> FileRange:
    return FileRange(iso.path, item.offset, item.length)


def _archive_recipe(source: _Source, options: ConvertOptions) -> ArchiveRecipe | None:
    if source.url:
        return None
    if options.compress is not Compression.NONE:
        check_compressor(options.compress.value, options.FLAGS["compress"])  # refused now, not after the strip
    return ArchiveRecipe(source.iso_name, options.payload, options.compress, source_date(source.iso))


def archive_now(recipe: ArchiveRecipe, iso: LiveIso) -> list[Segment]:
    """The archive of the whole ISO, uncompressed: ranges of the ISO itself."""
    return cpio_segments(recipe.iso_name, FileRange(iso.path, 0, iso.size), recipe.mtime)


def _image_files(source: _Source, archive: list[Source], layout: Layout, carried: Source | None) -> list[PlannedFile]:
    """Kernels and initrds straight from the ISO, with the archive appended (or beside them in separate mode)."""
    files = []
    for image, (kernel_file, initrd_file) in zip(source.iso.boot_images, source.kernels):
        files.append(PlannedFile(layout.file(kernel_file), "image", (_range(source.iso, image.kernel),)))
        initrd: list[Source] = [_range(source.iso, image.initrd)]
        if source.iso_file is None and archive:  # append mode: pad the dracut image to 4 bytes, then the archive
            initrd += [newc.padding(image.initrd.length), *archive]
        files.append(PlannedFile(layout.file(initrd_file), "image", tuple(initrd)))
    if source.iso_file is not None:
        files.append(PlannedFile(layout.file(source.iso_file), "image", tuple(archive)))
    if carried is not None:
        files.append(PlannedFile(layout.file(source.iso_name), "image", (carried,)))
    return files


def _entries(source: _Source, layout: Layout, options: ConvertOptions,
             note: Callable[[str], None]) -> list[BootEntry]:
    """One entry per kernel; kernel words some boot config cannot carry safely are dropped, and named."""
    entries = []
    for image, (kernel_file, initrd_file) in zip(source.iso.boot_images, source.kernels):
        initrds = (layout.reference(initrd_file),) + ((layout.reference(source.iso_file),) if source.iso_file else ())
        args = pxe_cmdline(image.args, source.iso_name, options.append, options.cmdline)
        if source.url:
            args = isourl.http_cmdline(args, source.iso_name, source.url)
        args, dropped = carried_cmdline(args)
        if dropped:
            note(f"{kernel_file}: kernel arguments dropped, a boot config cannot carry them as data: "
                 + " ".join(printable(repr(w)) for w in dropped))
        entries.append(BootEntry(f"livepxe{image.index}", f"{source.iso.label} ({kernel_file})",
                                 layout.reference(kernel_file), initrds, args))
    return entries


def _over_http(entry: BootEntry, http: httpboot.HttpBoot) -> BootEntry:
    """``entry`` naming its kernel and initrds by URL under the --http-boot base (paths are from the TFTP root)."""
    return replace(entry, kernel=http.url(entry.kernel), initrds=tuple(http.url(p) for p in entry.initrds))


def preflight(options: ConvertOptions) -> list[str]:
    """The plan's decisions that need no ISO, for a caller that has none yet (the creator, before its build).

    Checks the options and the compressor as ``plan`` does, and returns the
    paths a one-kernel tree occupies under its root.
    """
    layout = options.validate()
    if options.compress is not Compression.NONE and not options.http_url:
        check_compressor(options.compress.value, options.FLAGS["compress"])
    separate = options.initrd_mode is InitrdMode.SEPARATE and not options.http_url
    return layout.planned(1, separate, None, [], None)


def plan(options: ConvertOptions, scratch: Path) -> TreePlan:
    """Decide the tree ``options`` describe; LivepxeError for bad input or a host that cannot make it.

    ``scratch`` holds what the plan makes on the way (the unsigned GRUB image)
    and must outlive the write.  Warnings go into the plan.
    """
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        log.warning("%s", message)

    layout = options.validate()
    target = TreeWriter(layout, options.force, options.iso_path)  # refuses an existing or unwritable destination
    source = _read_source(options, note)
    http = options.http_boot_base()
    pxelinux_files = _host_pxelinux(layout, note, http)
    recipe = _archive_recipe(source, options)
    archive: list[Source] = []
    if recipe is not None:
        archive = list(archive_now(recipe, source.iso)) if recipe.known_now else [ARCHIVE]
    whole = FileRange(source.iso.path, 0, source.iso.size)
    carried = (whole if options.payload is Payload.ISO else PAYLOAD) if source.carry_iso else None
    images = _image_files(source, archive, layout, carried)

    entries = _entries(source, layout, options, note)
    comment = (f"Written by livepxe {__version__} from {printable(source.iso.path.name, 120)} "
               f"(volume {printable(source.iso.label)}); "
               + (f"the client downloads {source.url}" if source.url else f"initramfs carries /{source.iso_name}"))
    tftp_entries = entries
    if http is not None:
        comment += f"; kernel and initrd over HTTP from {http.base}"
        entries = [_over_http(e, http) for e in entries]
    bios_loader = next((n for n in (httpboot.BIOS_HTTP_LOADER, "pxelinux.0") if n in pxelinux_files), None)
    extra = netboot.plan_netboot(scratch, layout, entries, comment, bios_loader, note,
                                 options.served_root, (http, tftp_entries) if http is not None else None)
    small = [PlannedFile(rel, "loader", (FileRange(src, 0, src.stat().st_size),))
             for rel, src in pxelinux_files.items()]
    small.append(PlannedFile(layout.pxelinux_config, "config", (pxelinux.render(entries, comment).encode(),)))
    small += [PlannedFile(rel, "loader" if isinstance(segs[0], FileRange) else "config", tuple(segs))
              for rel, segs in extra.files.items()]
    tree = TreePlan(
        options=options, layout=layout, iso=source.iso, iso_name=source.iso_name, iso_url=source.url,
        http_boot=http.base if http else None, archive=recipe, entries=entries, files=images + small,
        configs={"pxelinux": layout.pxelinux_config, **extra.configs}, boot_files=extra.boot_files,
        uefi_loaders=extra.uefi_loaders, uefi_signed=extra.uefi_signed,
        first_initrd=layout.file(source.kernels[0][1]),
        iso_initrd=layout.file(source.iso_file) if source.iso_file else None,
        carried_iso=layout.file(source.iso_name) if source.carry_iso else None,
        target=target, warnings=warnings)
    if layout.integrated:
        tree.files += _menus(layout, target)
    target.check_targets(tree.paths)
    return tree


def _menus(layout: Layout, target: TreeWriter) -> list[PlannedFile]:
    """A root's catalogue menus this conversion rewrites: those that are free or livepxe's own."""
    paths, kept = catalogue_menus.writable(layout.root)
    for message in kept:  # the admin's own menus: expected, so not a warning (the summary says how to reach it)
        log.info("%s", message)
    target.allow_menus(paths)
    return [PlannedFile(path, "menu", (MENU,)) for path in paths]
