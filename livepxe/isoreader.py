"""Read what a PXE tree needs out of a live ISO, as an ordinary user.

pycdlib parses the ISO 9660 directory tree in user space, so no root, no
loop device and no iso9660 kernel driver are needed.  We only *locate*
files (byte offset and length inside the ISO); the copy itself is done
later by the kernel, straight from the ISO file.
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pycdlib
from pycdlib.pycdlibexception import PyCdlibException

from .bootconf import isomenu
from .errors import LivepxeError

#: Where livecd-creator has put kernels: current layout first, then the pre-2023 one.
KERNEL_DIRS = ("images/pxeboot", "isolinux", "syslinux")
LIVE_IMAGES = ("LiveOS/squashfs.img", "LiveOS/rootfs.img")
CONFIGS = ("isolinux/isolinux.cfg", "syslinux/syslinux.cfg",
           "boot/grub2/grub.cfg", "EFI/BOOT/grub.cfg", "boot/grub/grub.cfg")
_KERNEL_NAME = re.compile(r"^vmlinuz(\d*)$")


@dataclass(frozen=True)
class IsoFile:
    """A file inside the ISO: its path there and its bytes' place in the ISO file."""

    path: str
    offset: int
    length: int


@dataclass(frozen=True)
class BootImage:
    """One kernel + initrd pair and the arguments its bootloader entry gives."""

    index: int
    kernel: IsoFile
    initrd: IsoFile
    args: str | None


@dataclass(frozen=True)
class LiveIso:
    path: Path
    size: int
    label: str
    boot_images: tuple[BootImage, ...]
    live_image: IsoFile
    liveos_files: tuple[IsoFile, ...]  # everything in LiveOS/ (what a stripped ISO keeps)
    args_source: str | None  # the config file the boot arguments came from
    created: int = 0         # the volume's creation date (seconds since 1970, UTC); 0 when unset


class _IsoTree:
    """Name lookups on whichever directory tree the ISO has (Rock Ridge, Joliet, ISO 9660)."""

    def __init__(self, iso: pycdlib.PyCdlib):
        self._iso = iso
        self._block = iso.pvd.logical_block_size()
        if iso.has_rock_ridge():
            self._facet, self._name = "rr_path", lambda r: r.rock_ridge.name().decode("utf-8", "replace")
        elif iso.has_joliet():
            self._facet, self._name = "joliet_path", lambda r: r.file_identifier().decode("utf-16_be")
        else:
            self._facet, self._name = "iso_path", lambda r: r.file_identifier().decode().split(";")[0].rstrip(".")

    def list(self, directory: str) -> dict[str, object]:
        """Children of ``directory`` by lower-cased name; empty if it does not exist."""
        query = "/" + (directory.upper() if self._facet == "iso_path" else directory)  # ISO 9660 names are upper case
        try:  # list_children is a generator: a missing folder raises while iterating
            children = list(self._iso.list_children(**{self._facet: query}))
        except (PyCdlibException, IndexError):  # pycdlib <= 1.15 (newest on Python 3.9) raises IndexError
            return {}
        return {self._name(r).lower(): r for r in children if not (r.is_dot() or r.is_dotdot())}

    def find(self, path: str) -> IsoFile | None:
        directory, _, name = path.rpartition("/")
        record = self.list(directory).get(name.lower())
        if record is None or not record.is_file():
            return None
        shown = f"{directory}/{self._name(record)}" if directory else self._name(record)
        return IsoFile(shown, record.extent_location() * self._block, record.get_data_length())


def _open_error(path: Path) -> LivepxeError | None:
    if not path.exists():
        return LivepxeError(f"{path}: no such file; give the path of a live ISO made by livecd-creator")
    if path.is_dir():
        return LivepxeError(f"{path} is a directory; give the path of a live ISO file")
    if not os.access(path, os.R_OK):
        return LivepxeError(f"{path}: permission denied; make the ISO readable by this user")
    return None


def read_live_iso(path: Path) -> LiveIso:
    """Inspect ``path`` and return what a PXE tree needs, or raise LivepxeError."""
    error = _open_error(path)
    if error:
        raise error
    size = path.stat().st_size
    with open(path, "rb") as stream:
        iso = pycdlib.PyCdlib()
        try:
            iso.open_fp(stream)
        except (PyCdlibException, ValueError, OSError, IndexError) as exc:
            raise LivepxeError(f"{path} is not an ISO 9660 image ({exc}); give a live ISO made by livecd-creator") from None
        try:
            return _inspect(path, size, iso, stream.fileno())
        finally:
            iso.close()


def _inspect(path: Path, size: int, iso: pycdlib.PyCdlib, fd: int) -> LiveIso:
    declared = iso.pvd.space_size * iso.pvd.logical_block_size()
    if declared > size:
        raise LivepxeError(
            f"{path} is truncated: the image declares {declared} bytes but the file has {size}; copy or download it again")
    tree = _IsoTree(iso)
    live_image = next(filter(None, map(tree.find, LIVE_IMAGES)), None)
    if live_image is None:
        raise LivepxeError(
            f"{path} is not a live image: it has no {' or '.join(LIVE_IMAGES)}; give an ISO made by livecd-creator")
    configs = {name: _read_small(fd, f) for name in CONFIGS if (f := tree.find(name))}
    entries, args_source = isomenu.parse_first(configs)
    images = tuple(_boot_images(path, tree, entries))
    label = iso.pvd.volume_identifier.decode("ascii", "replace").strip()
    for item in (live_image, *(f for b in images for f in (b.kernel, b.initrd))):
        if item.offset + item.length > size:
            raise LivepxeError(f"{path} is truncated: {item.path} runs past the end of the file; copy it again")
    liveos = tuple(f for name in sorted(tree.list("LiveOS")) if (f := tree.find(f"LiveOS/{name}")))
    return LiveIso(path, size, label, images, live_image, liveos, args_source, _volume_created(iso))


def _volume_created(iso: pycdlib.PyCdlib) -> int:
    """The PVD's creation date as a Unix time; 0 when unset or malformed (all-zero digits are common)."""
    date = iso.pvd.volume_creation_date
    try:
        when = datetime.datetime(date.year, date.month, date.dayofmonth, date.hour, date.minute, date.second,
                                 tzinfo=datetime.timezone(datetime.timedelta(minutes=15 * date.gmtoffset)))
    except (ValueError, OverflowError, TypeError, AttributeError):
        return 0
    return max(0, int(when.timestamp()))


def _read_small(fd: int, item: IsoFile, limit: int = 1 << 20) -> str:
    return os.pread(fd, min(item.length, limit), item.offset).decode("utf-8", "replace")


def _boot_images(path: Path, tree: _IsoTree, entries: list[isomenu.BootEntry]):
    for directory in KERNEL_DIRS:
        kernels = sorted((m.group(1), name) for name in tree.list(directory) if (m := _KERNEL_NAME.match(name)))
        if not kernels:
            continue
        for index, (suffix, name) in enumerate(kernels):
            kernel = tree.find(f"{directory}/{name}")
            initrd = tree.find(f"{directory}/initrd{suffix}.img")
            if kernel is None or initrd is None:
                raise LivepxeError(
                    f"{path}: {directory}/{name} has no initrd{suffix}.img beside it; is the ISO complete?")
            yield BootImage(index, kernel, initrd, isomenu.args_for_kernel(entries, name))
        return
    raise LivepxeError(
        f"{path} holds no kernel: looked for vmlinuz* in {', '.join(KERNEL_DIRS)}; give an ISO made by livecd-creator")
