"""Read what a PXE tree needs out of a live ISO, as an ordinary user.

pycdlib parses the ISO 9660 directory tree in user space, so no root, no
loop device and no iso9660 kernel driver are needed.  We only *locate*
files (byte offset and length inside the ISO); the copy itself is done
later by the kernel, straight from the ISO file.
"""

from __future__ import annotations

import datetime
import os
import stat
import struct
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Mapping

import pycdlib
from pycdlib.pycdlibexception import PyCdlibException

from ..errors import LivepxeError
from . import bootimages, isoshape

#: Where livecd-creator has put kernels (current layout first, then the pre-2023 one): read only when no boot
#: menu names a kernel.
KERNEL_DIRS = ("images/pxeboot", "isolinux", "syslinux")
LIVE_IMAGES = ("LiveOS/squashfs.img", "LiveOS/rootfs.img")
#: Folders whose file names tell media apart (installer markers, EFI loaders per architecture).
MARKER_DIRS = ("", "images", "EFI/BOOT")
#: Boot menus read for kernels, initrds and arguments, in this order; the configs they hand over to follow.
CONFIGS = ("isolinux/isolinux.cfg", "syslinux/syslinux.cfg", "boot/x86_64/loader/isolinux.cfg",
           "boot/grub2/grub.cfg", "EFI/BOOT/grub.cfg", "boot/grub/grub.cfg")
#: What pycdlib raises on bytes it cannot make sense of; tests/test_fuzz.py has met struct.error, KeyError,
#: IndexError, AttributeError, ValueError and PyCdlibInternalError.  An ISO is input from anywhere: every one of
#: these is a damaged image, never a bug of ours, so each becomes one line naming the file.
_MALFORMED = (PyCdlibException, struct.error, LookupError, AttributeError, TypeError, ValueError, ArithmeticError,
              RecursionError, EOFError)


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
    #: Names in the root, images/ and EFI/BOOT/ (what tells media apart): lower-case path -> path as spelt.
    markers: Mapping[str, str] = field(default_factory=dict)


@contextmanager
def malformed_as_error(path: Path, doing: str) -> Iterator[None]:
    """Turn what pycdlib raises on a damaged image into one LivepxeError naming ``path`` and what was being read."""
    try:
        yield
    except _MALFORMED as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
        raise LivepxeError(f"{path} is a damaged ISO 9660 image ({doing}: {detail}); "
                           "copy or download it again, or give a live ISO made by livecd-creator") from None


class _IsoTree:
    """Name lookups on whichever directory tree the ISO has (Rock Ridge, Joliet, ISO 9660).

    Every place found is checked against the file: a damaged or hostile image
    can claim any extent, and a negative or out-of-file one must never reach a
    read or a copy.
    """

    def __init__(self, iso: pycdlib.PyCdlib, path: Path, fd: int, size: int):
        self._iso, self._path, self._fd, self._size = iso, path, fd, size
        with malformed_as_error(path, "reading its volume descriptors"):
            self._block = iso.pvd.logical_block_size()
            if iso.has_rock_ridge():
                self._facet, self._name = "rr_path", lambda r: r.rock_ridge.name().decode("utf-8", "replace")
            elif iso.has_joliet():
                self._facet, self._name = "joliet_path", lambda r: r.file_identifier().decode("utf-16_be", "replace")
            else:
                self._facet, self._name = "iso_path", lambda r: r.file_identifier().decode(
                    "ascii", "replace").split(";")[0].rstrip(".")

    def list(self, directory: str) -> dict[str, Any]:
        """Children of ``directory`` by lower-cased name; empty if it does not exist."""
        query = "/" + (directory.upper() if self._facet == "iso_path" else directory)  # ISO 9660 names are upper case
        with malformed_as_error(self._path, f"listing /{directory}"):
            try:  # list_children is a generator: a missing folder raises while iterating
                children = list(self._iso.list_children(**{self._facet: query}))
            except (PyCdlibException, IndexError):  # pycdlib <= 1.15 (newest on Python 3.9) raises IndexError
                return {}
            return {self._name(r).lower(): r for r in children if not (r.is_dot() or r.is_dotdot())}

    def names(self, directory: str) -> dict[str, str]:
        """Paths in ``directory``: lower-case -> as the ISO spells them."""
        prefix = f"{directory}/" if directory else ""
        with malformed_as_error(self._path, f"listing /{directory}"):
            return {f"{prefix}{low}": f"{prefix}{self._name(r)}" for low, r in self.list(directory).items()}

    def find(self, path: str) -> IsoFile | None:
        directory, _, name = path.rpartition("/")
        record = self.list(directory).get(name.lower())
        with malformed_as_error(self._path, f"locating /{path}"):
            if record is None or not record.is_file():
                return None
            shown = f"{directory}/{self._name(record)}" if directory else self._name(record)
            found = IsoFile(shown, record.extent_location() * self._block, record.get_data_length())
            declared = found.length
            if found.length < 0 or found.offset + found.length >= self._size:  # where pycdlib may have cut it
                declared = max(found.length, self._declared_length(record))
        if found.offset < 0 or found.offset + declared > self._size:
            raise LivepxeError(f"{self._path} is truncated or damaged: {found.path} runs past the end of the file "
                               f"(starts at byte {found.offset}, {declared} bytes long; the file has {self._size}); "
                               "copy or download it again")
        return found

    def _declared_length(self, record: Any) -> int:
        """The length ``record`` declares in its own bytes (0 if not found there).

        pycdlib cuts a file that runs past the end of the image at the end of
        the image (to a negative length when it starts beyond it), which would
        copy whatever follows the file's start as if it were the file: the
        record is read again from its folder to see what it claims.
        """
        parent = record.parent
        data = os.pread(self._fd, min(parent.get_data_length(), 1 << 20), parent.extent_location() * self._block)
        offset = 0
        while offset + 33 <= len(data):
            size = data[offset]
            if size == 0:  # records never cross a block: the rest of this one is padding
                offset = (offset // self._block + 1) * self._block
                continue
            raw = data[offset:offset + size]
            extent = int.from_bytes(raw[2:6], "little")
            if raw[33:33 + raw[32]] == record.file_ident and extent == record.orig_extent_loc:
                return int.from_bytes(raw[10:14], "little")
            offset += size
        return 0


def _open_regular(path: Path) -> BinaryIO:
    """Open the ISO for reading, refusing anything but a regular file before a byte is read.

    A FIFO would block the open (and pycdlib's reads) for ever, a device would
    be read to its end: the type is checked by ``stat`` first, then again on the
    opened descriptor, which O_NONBLOCK keeps from waiting for a FIFO writer
    should the path change in between.
    """
    try:
        kind = os.stat(path).st_mode
    except FileNotFoundError:
        raise LivepxeError(f"{path}: no such file; give the path of a live ISO made by livecd-creator") from None
    except OSError as exc:
        raise LivepxeError(f"{path}: {exc.strerror}; give the path of a live ISO made by livecd-creator") from None
    _check_regular(path, kind)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except PermissionError:
        raise LivepxeError(f"{path}: permission denied; make the ISO readable by this user") from None
    except OSError as exc:
        raise LivepxeError(f"{path}: cannot open it ({exc.strerror}); give a live ISO file") from None
    stream = os.fdopen(fd, "rb")
    try:
        _check_regular(path, os.fstat(fd).st_mode)
    except LivepxeError:
        stream.close()
        raise
    return stream


_NOT_REGULAR = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket",
                stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device"}


def _check_regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = _NOT_REGULAR.get(stat.S_IFMT(mode), "not a regular file")
        raise LivepxeError(f"{path} is {kind}; give the path of a live ISO file")


def read_live_iso(path: Path) -> LiveIso:
    """Inspect ``path`` and return what a PXE tree needs, or raise LivepxeError."""
    with _open_regular(path) as stream:
        size = os.fstat(stream.fileno()).st_size
        isoshape.check(path, stream.fileno(), size)  # loops and huge folders would hang or exhaust old pycdlib
        iso = pycdlib.PyCdlib()
        try:
            iso.open_fp(stream)
        except (*_MALFORMED, OSError) as exc:
            detail = " ".join(str(exc).split())[:160]
            raise LivepxeError(f"{path} is not an ISO 9660 image ({detail}); "
                               "give a live ISO made by livecd-creator") from None
        try:
            return _inspect(path, size, iso, stream.fileno())
        finally:
            iso.close()


def _inspect(path: Path, size: int, iso: pycdlib.PyCdlib, fd: int) -> LiveIso:
    tree = _IsoTree(iso, path, fd, size)
    declared = iso.pvd.space_size * iso.pvd.logical_block_size()
    if declared > size:
        raise LivepxeError(f"{path} is truncated: the image declares {declared} bytes but the file has {size}; "
                           "copy or download it again")
    live_image = next(filter(None, map(tree.find, LIVE_IMAGES)), None)
    if live_image is None:
        raise LivepxeError(
            f"{path} is not a live image: it has no {' or '.join(LIVE_IMAGES)}; give an ISO made by livecd-creator")
    images, args_source = _boot_images(path, tree, fd)
    label = iso.pvd.volume_identifier.decode("ascii", "replace").strip()
    liveos = tuple(f for name in sorted(tree.list("LiveOS")) if (f := tree.find(f"LiveOS/{name}")))
    markers = {k: v for folder in MARKER_DIRS for k, v in tree.names(folder).items()}
    return LiveIso(path, size, label, images, live_image, liveos, args_source, _volume_created(iso), markers)


def _volume_created(iso: pycdlib.PyCdlib) -> int:
    """The PVD's creation date as a Unix time; 0 when unset or malformed (all-zero digits are common)."""
    date = iso.pvd.volume_creation_date
    try:
        when = datetime.datetime(date.year, date.month, date.dayofmonth, date.hour, date.minute, date.second,
                                 tzinfo=datetime.timezone(datetime.timedelta(minutes=15 * date.gmtoffset)))
    except (ValueError, OverflowError, TypeError, AttributeError):
        return 0
    return max(0, int(when.timestamp()))


def _boot_images(path: Path, tree: _IsoTree, fd: int) -> tuple[tuple[BootImage, ...], str | None]:
    """The kernel + initrd pairs the ISO's own menus boot (`bootimages`), and the config the first one's arguments
    came from."""
    found = bootimages.find(path, bootimages.IsoFiles(tree.find, tree.list, fd), CONFIGS, KERNEL_DIRS)
    return tuple(BootImage(i, b.kernel, b.initrd, b.args) for i, b in enumerate(found)), found[0].config
