"""Which kernels and initrds a live ISO boots, read from its own boot menus.

Every builder puts them somewhere else (KIWI: ``boot/x86_64/loader/linux``;
lorax: ``images/pxeboot/vmlinuz`` or ``isolinux/vmlinuz``; livecd-creator:
``vmlinuz0``), but each ISO's menus name them, so the menus are read first:
GRUB ``linux``/``initrd`` (and the ``efi`` and ``16`` variants) and isolinux
``kernel`` + ``append initrd=``.  Paths are resolved the way each loader
does: GRUB's ``($root)``/``${root}`` device prefixes and variables set in the
same config, ``configfile`` hand-offs from a stub config (KIWI's
``EFI/BOOT/grub.cfg``), isolinux names relative to the config's folder.
Only when no menu names a kernel do we look in the folders livecd-creator
uses.

Each distinct kernel the menus name is one boot image, with the initrd and
arguments of its plain start entry (`isomenu.start_entry`).  Copies are one
image: lorax puts the same kernel in ``isolinux/`` (for isolinux.cfg) and
``images/pxeboot/`` (for the EFI grub.cfg), and a tree carrying both would
carry the whole ISO twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Generic, Iterable, Mapping, Optional, Protocol, Sequence, TypeVar

from ..bootconf import grub, isomenu, pxelinux
from ..bootconf.entry import BootEntry
from ..bootconf.text import printable
from ..errors import LivepxeError

log = logging.getLogger(__name__)

#: Configs read in all (so a stub's ``configfile`` or an ``include`` cannot make us read the ISO endlessly).
MAX_CONFIGS = 16
CONFIG_BYTES = 1 << 20
#: Bytes hashed at the start, middle and end of a file to tell copies apart (whole kernels and initrds would
#: cost a read of ~100 MB; files of equal length that agree there are the same build).
SAMPLE = 64 * 1024
_KERNEL_NAME = re.compile(r"^vmlinuz(\d*)$")
_DEVICE = re.compile(r"^\([^)]*\)")
_VARIABLE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_LEADING_VARIABLE = re.compile(r"^\$(?:\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)")


class Located(Protocol):
    """A file found in the ISO: its path there and its bytes' place in the ISO file (``isoreader.IsoFile``)."""

    @property
    def path(self) -> str: ...

    @property
    def offset(self) -> int: ...

    @property
    def length(self) -> int: ...


F = TypeVar("F", bound=Located)


@dataclass(frozen=True)
class IsoFiles(Generic[F]):
    """Lookups on one open ISO: a file by path (any case), the names in a folder, its bytes by descriptor."""

    find: Callable[[str], Optional[F]]
    names: Callable[[str], Iterable[str]]
    fd: int

    def text(self, item: F) -> str:
        return os.pread(self.fd, min(item.length, CONFIG_BYTES), item.offset).decode("utf-8", "replace")

    def fingerprint(self, item: F) -> tuple[int, str]:
        digest = hashlib.sha256()
        for start in sorted({0, max(0, item.length // 2 - SAMPLE // 2), max(0, item.length - SAMPLE)}):
            digest.update(os.pread(self.fd, min(SAMPLE, item.length - start), item.offset + start))
        return item.length, digest.hexdigest()


@dataclass(frozen=True)
class BootCandidate(Generic[F]):
    """One kernel the ISO boots, the initrd and arguments of its plain start entry, and the config naming it."""

    kernel: F
    initrd: F
    args: Optional[str]
    config: Optional[str]


def find(iso: Path, files: IsoFiles[F], configs: Sequence[str], kernel_dirs: Sequence[str]) -> list[BootCandidate[F]]:
    """The boot images of ``iso``, in menu order; LivepxeError when it has none we can use."""
    images, missing = _from_menus(files, _menu_entries(files, configs))
    if images:
        return _distinct(files, images)
    images = list(_well_known(iso, files, kernel_dirs))
    if images:
        return images
    if missing:
        raise LivepxeError(f"{iso}: its boot menus name {missing}, which the ISO does not hold; "
                           "copy or download the ISO again")
    raise LivepxeError(
        f"{iso} holds no kernel: no boot menu ({', '.join(configs)}) names one and there is no vmlinuz* in "
        f"{', '.join(kernel_dirs)}; give a live ISO (Fedora, EL or livecd-creator)")


def _menu_entries(files: IsoFiles[F], configs: Sequence[str]) -> list[BootEntry]:
    """Entries of every config found, known places first, then the configs they hand over to.

    Kernel and initrd paths come back resolved to paths in the ISO (no leading ``/``).
    """
    queue = list(configs)
    seen: set[str] = set()
    entries: list[BootEntry] = []
    while queue and len(seen) < MAX_CONFIGS:
        name = queue.pop(0)
        item = files.find(name)
        if item is None or item.path.lower() in seen:
            continue
        seen.add(item.path.lower())
        text = files.text(item)
        folder = posixpath.dirname(item.path)
        resolve: Callable[[str], Optional[str]]
        if isomenu.is_grub(item.path):
            commands = [c for c in grub.commands(text) if c.depth == 0]
            resolve = partial(grub_path, variables=_grub_variables(commands), folder=folder)
            handed = _grub_handoffs(commands)
        else:
            resolve = partial(syslinux_path, folder=folder)
            handed = _syslinux_handoffs(text)
        queue += [p for p in map(resolve, handed) if p]
        for entry in isomenu.parse(item.path, text):
            kernel = resolve(entry.kernel)
            if kernel:
                initrds = tuple(p for p in map(resolve, entry.initrds) if p)
                entries.append(BootEntry(entry.label, entry.title, kernel, initrds, entry.cmdline, entry.default,
                                         item.path))
    return entries


def _from_menus(files: IsoFiles[F], entries: list[BootEntry]) -> tuple[list[BootCandidate[F]], str]:
    """One image per distinct kernel file the menus name; and what the menus name that the ISO lacks."""
    by_kernel: dict[str, tuple[F, list[tuple[BootEntry, F]]]] = {}
    missing: list[str] = []
    for entry in entries:
        if not entry.initrds:  # memtest and the like: no live system
            continue
        kernel, initrd = files.find(entry.kernel), files.find(entry.initrds[0])
        if kernel is None or initrd is None:
            missing += [p for p, f in ((entry.kernel, kernel), (entry.initrds[0], initrd)) if f is None]
            continue
        by_kernel.setdefault(kernel.path.lower(), (kernel, []))[1].append((entry, initrd))
    images = []
    for kernel, candidates in by_kernel.values():
        chosen = isomenu.start_entry([e for e, _ in candidates])
        initrd = next(i for e, i in candidates if e is chosen)
        if len(chosen.initrds) > 1:  # Fedora and EL menus load one; media that load more are refused (CoreOS)
            log.info("%s: the entry %s loads %d initrds; the tree carries only the first, %s", chosen.config,
                     printable(repr(chosen.title)), len(chosen.initrds), initrd.path)
        images.append(BootCandidate(kernel, initrd, isomenu.kernel_args(chosen), chosen.config))
    return images, ", ".join(printable(p) for p in dict.fromkeys(missing))


def _distinct(files: IsoFiles[F], images: list[BootCandidate[F]]) -> list[BootCandidate[F]]:
    """``images`` without later copies (same kernel and initrd bytes) of an earlier one."""
    seen: set[tuple[tuple[int, str], tuple[int, str]]] = set()
    kept = []
    for image in images:
        key = (files.fingerprint(image.kernel), files.fingerprint(image.initrd))
        if key not in seen:
            seen.add(key)
            kept.append(image)
    return kept


def _well_known(iso: Path, files: IsoFiles[F], kernel_dirs: Sequence[str]) -> Iterable[BootCandidate[F]]:
    """``vmlinuzN`` + ``initrdN.img`` in the first of ``kernel_dirs`` that has any (no arguments known)."""
    for directory in kernel_dirs:
        kernels = sorted((m.group(1), name) for name in files.names(directory) if (m := _KERNEL_NAME.match(name)))
        for suffix, name in kernels:
            kernel = files.find(f"{directory}/{name}")
            initrd = files.find(f"{directory}/initrd{suffix}.img")
            if kernel is None or initrd is None:
                raise LivepxeError(
                    f"{iso}: {directory}/{name} has no initrd{suffix}.img beside it; is the ISO complete?")
            yield BootCandidate(kernel, initrd, None, None)
        if kernels:
            return


def _grub_variables(top_level: list[grub.Command]) -> dict[str, str]:
    """``set name=value`` among a GRUB config's top-level commands (``prefix`` for ``configfile $prefix/grub.cfg``)."""
    found = {}
    for command in top_level:
        words = [w.text for w in command.words]
        if words[0] == "set" and len(words) > 1 and "=" in words[1]:
            name, _, value = words[1].partition("=")
            found[name] = value
    return found


def _grub_handoffs(top_level: list[grub.Command]) -> list[str]:
    """Configs a GRUB config hands over to at its top level (``configfile``, ``source``)."""
    return [c.words[1].text for c in top_level if c.name in ("configfile", "source") and len(c.words) > 1]


def _syslinux_handoffs(text: str) -> list[str]:
    """Configs an isolinux config reads or switches to (``include``, ``menu include``, ``config``)."""
    found = []
    for _, keyword, rest in pxelinux.statements(text):
        if keyword == "menu" and rest.lower().startswith("include "):
            rest, keyword = rest[len("include "):].strip(), "include"
        if keyword in ("include", "config") and rest:
            found.append(rest.split()[0])
    return found


def grub_path(raw: str, variables: Mapping[str, str], folder: str) -> str | None:
    """A path as GRUB reads it, as a path in the ISO (None if it leaves the ISO or holds an unknown variable).

    Variables the config sets are filled in (``$prefix``); then a device
    (``($root)``, ``(cd0)``) or an unknown variable *before* the path
    (``${root}``, ``$isoroot``) names the ISO itself and is dropped.
    """
    def known(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return variables[name] if name in variables and name != "root" else match.group(0)

    path = _VARIABLE.sub(known, raw)
    while True:
        stripped = _LEADING_VARIABLE.sub("", _DEVICE.sub("", path, count=1), count=1)
        if stripped == path:
            break
        path = stripped
    return _in_iso(path, folder)


def syslinux_path(raw: str, folder: str) -> str | None:
    """A path as isolinux reads it: from the ISO's root with a leading ``/``, else from the config's folder."""
    return _in_iso(raw[2:] if raw.startswith("::") else raw, folder)


def _in_iso(path: str, folder: str) -> str | None:
    if not path or "$" in path:
        return None
    joined = posixpath.normpath(path if path.startswith("/") else posixpath.join("/", folder, path))
    return joined.lstrip("/") or None
