"""``livepxe.json``: what a tree is, written once by convert and read by verify, boot-test and the summary.

A typed, versioned record instead of a loose dict, so every reader agrees on
the fields and a tree from a newer livepxe is refused in one line instead of
misread.  ``SCHEMA`` grows by one whenever a field changes meaning or goes;
new optional fields keep the number.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from .. import urls
from ..bootconf.text import printable
from ..errors import LivepxeError
from . import httpboot
from .layout import NOTE

SCHEMA = 1


@dataclass(frozen=True)
class BootFiles:
    """Per-firmware boot file, as a path from the TFTP root (None: this tree brings none)."""

    bios: Optional[str] = None
    uefi: Optional[str] = None
    ipxe: Optional[str] = None

    def items(self) -> list[tuple[str, Optional[str]]]:
        return [("bios", self.bios), ("uefi", self.uefi), ("ipxe", self.ipxe)]


@dataclass(frozen=True)
class ClientRam:
    """Smallest client RAM (MiB) per way of booting the same ISO (``livepxe.tree.ram``)."""

    bundled: int
    http: int


@dataclass(frozen=True)
class TreeNote:
    livepxe: str                          # the version that wrote the tree
    iso: str                              # the ISO's file name (as given)
    volume: str                           # its volume label
    iso_name: str                         # the ISO's name inside the initramfs / on the HTTP server
    image_dir: str                        # "" for a self-contained tree
    integrated: bool
    mode: str                             # bundled-append | bundled-separate | http (catalogue: serve only)
    payload: str                          # iso | liveos
    compress: str                         # none | gzip | xz | zstd
    checksums: bool                       # SHA256SUMS written
    iso_url: Optional[str]                # HTTP live root: where clients download the ISO
    initrd_bytes: int                     # what one client loads
    client_ram_mib: ClientRam
    boot_files: BootFiles
    configs: Dict[str, str]               # kind (pxelinux, grub, ipxe) -> path from the TFTP root
    uefi_loaders: Optional[str]           # which UEFI chain the tree carries
    uefi_signed: bool
    #: Each file carrying the ISO's cpio archive (path from the TFTP root) -> where the archive starts in it.
    carried_archives: Dict[str, int] = field(default_factory=dict)
    warnings: List[str] = field(default_factory=list)
    #: ``--http-boot``: the base URL the TFTP root is served at; configs name kernel and initrd under it.
    http_boot: Optional[str] = None
    #: The source ISO's SHA-256, when the caller knew it (``livepxe compose`` skips an ISO a root already holds).
    iso_sha256: Optional[str] = None
    schema: int = SCHEMA

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> TreeNote:
        """The note in ``text``; one LivepxeError line for anything convert would not have written."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise _bad(where, f"is not valid JSON ({str(exc)[:80]})") from None
        if not isinstance(data, dict):
            raise _bad(where, "is not a livepxe note (not a JSON object)")
        schema = data.get("schema")
        if schema != SCHEMA:
            raise LivepxeError(f"{where}: has schema {printable(repr(schema), 40)}, this livepxe reads {SCHEMA}; "
                               "use the livepxe that wrote the tree, or reconvert the tree")
        names = {f.name for f in fields(cls)}
        missing = sorted(names - set(data) - {"warnings", "schema", "carried_archives", "http_boot", "iso_sha256"})
        if missing:
            raise _bad(where, f"lacks {', '.join(missing)}")
        values: dict[str, Any] = {k: v for k, v in data.items() if k in names}
        for name, value in values.items():
            why = _FIELDS[name](value)
            if why:
                raise _bad(where, f"field {name} {why}")
        values["client_ram_mib"] = ClientRam(**data["client_ram_mib"])
        values["boot_files"] = BootFiles(**data["boot_files"])
        return cls(**values)

    @property
    def root_below(self) -> int:
        """How many folders the note sits below the TFTP root."""
        return len(Path(self.image_dir).parts) if self.image_dir else 0


def _bad(where: str, why: str) -> LivepxeError:
    return LivepxeError(f"{where}: {why}; reconvert the tree")


#: Largest note read: convert writes a few KiB.
MAX_NOTE = 1 << 20


def read(folder: Path) -> TreeNote | None:
    """The note of a self-contained tree or an image folder; None when the folder has none.

    The tree is untrusted input to ``serve`` (root): the note is read only as a
    regular file of at most `MAX_NOTE` bytes, never through a link or from a FIFO.
    """
    path = folder / NOTE
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _bad(str(path), f"cannot be read ({exc.strerror}; a link or unreadable)") from None
    with open(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise _bad(str(path), "is not a regular file")
        data = stream.read(MAX_NOTE + 1)
    if len(data) > MAX_NOTE:
        raise _bad(str(path), f"is larger than {MAX_NOTE >> 20} MiB, which no livepxe writes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(str(path), "is not UTF-8 text") from None
    found = TreeNote.from_json(text, str(path))
    if found.image_dir and Path(folder.absolute()).parts[-found.root_below:] != Path(found.image_dir).parts:
        raise _bad(str(path), f"says it sits in {printable(found.image_dir, 80)} of a TFTP root, not in {folder}")
    return found


# What convert writes in each field; each check returns why a value is not that, or None.
Check = Callable[[Any], Optional[str]]


def _text(value: Any) -> Optional[str]:
    return None if isinstance(value, str) and len(value) <= 4096 else "is not a text"


def _count(value: Any) -> Optional[str]:
    return None if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else "is not a count"


def _flag(value: Any) -> Optional[str]:
    return None if isinstance(value, bool) else "is not true or false"


def _relpath(value: Any) -> Optional[str]:
    """A path from the TFTP root: relative, no '..', no control character (it reaches configs and dnsmasq)."""
    if not isinstance(value, str) or not value or len(value) > 1024:
        return "is not a path"
    if value.startswith("/") or ".." in value.split("/") or "\\" in value or printable(value) != value:
        return f"names {printable(value, 80)!r}, not a plain path inside the tree"
    return None


def _optional(check: Check) -> Check:
    return lambda value: None if value is None else check(value)


def _one_of(*allowed: str) -> Check:
    return lambda value: None if value in allowed else f"is not one of {', '.join(allowed)}"


def _texts(value: Any) -> Optional[str]:
    return None if isinstance(value, list) and not any(_text(v) for v in value) else "is not a list of texts"


def _mapping(keys: Check, values: Check, required: frozenset = frozenset()) -> Check:
    def check(value: Any) -> Optional[str]:
        if not isinstance(value, dict):
            return "is not a mapping"
        if required - set(value):
            return "lacks " + ", ".join(sorted(required - set(value)))
        return next((why for k, v in value.items() for why in (keys(k), values(v)) if why), None)
    return check


def _url(schemes: tuple[str, ...]) -> Check:
    """A URL as convert writes it: `urls.check`'s rule (and `httpboot`'s, for the --http-boot base)."""
    def check(value: Any) -> Optional[str]:
        try:
            if not isinstance(value, str):
                raise LivepxeError("not a text")
            urls.check(value, "URL", schemes)
            if schemes == ("http",):
                httpboot.parse(value, "URL")
        except LivepxeError:
            return f"holds {printable(str(value), 80)!r}, not a URL livepxe writes"
        return None
    return check


_FIELDS: Dict[str, Check] = {
    "livepxe": _text, "iso": _text, "volume": _text, "iso_name": _relpath,
    "image_dir": lambda v: None if v == "" else _relpath(v), "integrated": _flag,
    "mode": _one_of("bundled-append", "bundled-separate", "http"), "payload": _one_of("iso", "liveos"),
    "compress": _one_of("none", "gzip", "xz", "zstd"), "checksums": _flag,
    "iso_url": _optional(_url(("http", "https", "ftp", "tftp"))), "initrd_bytes": _count,
    "client_ram_mib": _mapping(_one_of("bundled", "http"), _count, frozenset({"bundled", "http"})),
    "boot_files": _mapping(_one_of("bios", "uefi", "ipxe"), _optional(_relpath)),
    "configs": _mapping(_text, _relpath), "uefi_loaders": _optional(_text), "uefi_signed": _flag,
    "carried_archives": _mapping(_relpath, _count), "warnings": _texts,
    "http_boot": _optional(_url(("http",))), "schema": _count,
    "iso_sha256": _optional(lambda v: None if isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v)
                            else "is not a SHA-256 in hex"),
}
