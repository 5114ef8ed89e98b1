"""Carry a ``TreePlan`` out: the small files, then what must be made, then the large copy, then the note.

Nothing is decided here that the plan could decide.  What only writing can
tell — the size of the stripped ISO or of the compressed archive — is made
in the staging scratch before the first image byte is copied, so the size
refusals still come before the large copy.  The tree appears whole or not
at all (``TreeWriter``).
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path

from .. import __version__
from ..catalogue import menus, scan, settings
from ..options import Compression, Payload
from ..progress import Progress
from ..tree import manifest, ram, sizing
from ..tree.note import ClientRam, TreeNote
from ..tree.plan import ARCHIVE, PAYLOAD, PlannedFile, TreePlan, check_size
from ..tree.result import ConvertResult
from . import payload
from .streamcopy import FileRange, Segment, total_length, write_file
from .strip import write_stripped_iso
from .treewriter import TreeWriter

log = logging.getLogger("livepxe.convert")


def _make(plan: TreePlan, scratch: Path) -> dict[str, list[Segment]]:
    """The payload and archive the plan's files name (strip and compress into scratch when asked)."""
    iso = plan.iso
    wanted = {s for f in plan.files for s in f.sources if s in (PAYLOAD, ARCHIVE)}
    if not wanted:
        return {}
    if plan.options.payload is Payload.ISO:
        carried = FileRange(iso.path, 0, iso.size)
    else:
        stripped = scratch / "liveos.iso"
        write_stripped_iso(iso, stripped)
        carried = FileRange(stripped, 0, stripped.stat().st_size)
        check_size("the stripped ISO", carried.length, "boot it over HTTP with root=live:http://… instead")
    made: dict[str, list[Segment]] = {PAYLOAD: [carried]}
    recipe = plan.archive
    if recipe is not None and ARCHIVE in wanted:
        archive = payload.cpio_segments(recipe.iso_name, carried, recipe.mtime)
        if recipe.compress is not Compression.NONE:
            packed = scratch / "iso.cpio"
            payload.write_compressed(packed, archive, recipe.compress.value,
                                     Progress(total_length(archive), "compressing", plan.options.progress))
            archive = [FileRange(packed, 0, packed.stat().st_size)]
        made[ARCHIVE] = archive
    return made


def _segments(planned: PlannedFile, made: dict[str, list[Segment]]) -> list[Segment]:
    out: list[Segment] = []
    for source in planned.sources:
        out += made[source] if isinstance(source, str) else [source]
    return out


def _archive_offsets(images: dict[str, list[Segment]], archive: list[Segment]) -> dict[str, int]:
    """Where the ISO's archive starts in each file that carries it (for verify to find it, compressed or not)."""
    offsets = {}
    for relpath, segments in images.items():
        if archive and segments[-len(archive):] == archive:
            offsets[relpath] = total_length(segments[:-len(archive)])
    return offsets


def _note(plan: TreePlan, images: dict[str, list[Segment]], made: dict[str, list[Segment]],
          initrd_bytes: int) -> TreeNote:
    options, archive = plan.options, made.get(ARCHIVE, [])
    if plan.archive is not None and plan.archive.known_now:
        archive = payload.cpio_segments(plan.archive.iso_name, FileRange(plan.iso.path, 0, plan.iso.size),
                                        plan.archive.mtime)
    carried_bytes = total_length(made.get(PAYLOAD, [])) or plan.iso.size
    dracut_bytes = plan.iso.boot_images[0].initrd.length
    ram_by_mode = ram.by_mode(carried_bytes, dracut_bytes, None if plan.iso_url else initrd_bytes)
    return TreeNote(
        livepxe=__version__, iso=plan.iso.path.name, volume=plan.iso.label, iso_name=plan.iso_name,
        image_dir=plan.layout.image_dir, integrated=plan.layout.integrated,
        mode="http" if plan.iso_url else f"bundled-{options.initrd_mode.value}",
        payload=options.payload.value, compress=options.compress.value, checksums=options.checksums,
        iso_url=plan.iso_url, http_boot=plan.http_boot,
        initrd_bytes=initrd_bytes, client_ram_mib=ClientRam(**ram_by_mode),
        boot_files=plan.boot_files, configs=plan.configs,
        uefi_loaders=plan.uefi_loaders, uefi_signed=plan.uefi_signed,
        carried_archives=_archive_offsets(images, archive), warnings=plan.warnings, iso_sha256=options.iso_sha256)


def _warn(plan: TreePlan, message: str) -> None:
    plan.warnings.append(message)
    log.warning("%s", message)


def _write_menus(plan: TreePlan, writer: TreeWriter, note: TreeNote) -> None:
    """The root's menus offering every image in it, this one as it is now (not in the manifest: they are the
    root's, and change with every image)."""
    paths = [f.path for f in plan.files if f.role == "menu"]
    root, image_dir = plan.layout.root, plan.layout.image_dir
    images = sorted([i for i in scan.images(root) if i.image_dir != image_dir] + [scan.Image(image_dir, note)],
                    key=lambda image: image.image_dir)
    ui, chosen = menus.ui_module(root), settings.read(root)
    for path in paths:
        write_file(writer.path(path), [menus.render(path, images, ui, chosen).encode()], checksum=False)


def write(plan: TreePlan) -> ConvertResult:
    """Write the planned tree and commit it; on any failure nothing of it is left."""
    options = plan.options
    with ExitStack() as held, plan.target as writer:   # held outlives the writer: its commit is under the lock
        digests: dict[str, str | None] = {}
        for planned in plan.files:
            if planned.role not in ("image", "menu"):
                digests[planned.path] = write_file(writer.path(planned.path), _segments(planned, {}),
                                                   checksum=options.checksums)
        made = _make(plan, writer.scratch())
        images = {f.path: _segments(f, made) for f in plan.files if f.role == "image"}
        initrd_bytes = total_length(images[plan.first_initrd]) + (
            total_length(images[plan.iso_initrd]) if plan.iso_initrd else 0)
        check_size("the initrd a client loads", initrd_bytes,
                   "use --payload liveos, or boot over HTTP; the kernel cannot unpack 4 GiB initramfs images")
        for message in sizing.initrd_warnings(initrd_bytes):
            _warn(plan, message)
        progress = Progress(sum(total_length(s) for s in images.values()), f"writing {plan.layout.root.name}",
                            options.progress)
        for relpath, segments in images.items():
            digests[relpath] = write_file(writer.path(relpath), segments, progress, checksum=options.checksums)
        progress.finish()
        note = _note(plan, images, made, initrd_bytes)
        digests[plan.note_path] = write_file(writer.path(plan.note_path), [note.to_json().encode()])
        if plan.sums_path:
            listed = {path: digest for path, digest in digests.items() if digest}
            write_file(writer.path(plan.sums_path), [manifest.sha256sums(listed).encode()], checksum=False)
        if any(f.role == "menu" for f in plan.files):
            held.enter_context(menus.root_lock(plan.layout.root))
            _write_menus(plan, writer, note)
    layout = plan.layout
    return ConvertResult(layout.root, layout, note, plan.entries, [layout.root / p for p in writer.written],
                         [layout.root / p for p in note.configs.values()], plan.warnings)
