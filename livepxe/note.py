"""``livepxe.json``: what a tree is, written once by convert and read by verify, boot-test and the summary.

A typed, versioned record instead of a loose dict, so every reader agrees on
the fields and a tree from a newer livepxe is refused in one line instead of
misread.  ``SCHEMA`` grows by one whenever a field changes meaning or goes;
new optional fields keep the number.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Dict, List, Optional

from .errors import LivepxeError
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
    """Smallest client RAM (MiB) per way of booting the same ISO (``livepxe.ram``)."""

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
    mode: str                             # bundled-append | bundled-separate | http
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
    schema: int = SCHEMA

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> TreeNote:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise LivepxeError(f"{where} is not valid JSON ({exc}); convert the ISO again") from None
        if not isinstance(data, dict):
            raise LivepxeError(f"{where} is not a livepxe note; convert the ISO again")
        schema = data.get("schema")
        if schema != SCHEMA:
            raise LivepxeError(f"{where} has schema {schema!r}, this livepxe reads {SCHEMA}; "
                               "use the livepxe that wrote the tree, or convert the ISO again")
        names = {f.name for f in fields(cls)}
        missing = sorted(names - set(data) - {"warnings", "schema", "carried_archives", "http_boot"})
        if missing:
            raise LivepxeError(f"{where} lacks {', '.join(missing)}; convert the ISO again")
        try:
            values: dict[str, Any] = {k: v for k, v in data.items() if k in names}
            values["client_ram_mib"] = ClientRam(**data["client_ram_mib"])
            values["boot_files"] = BootFiles(**data["boot_files"])
            return cls(**values)
        except TypeError as exc:
            raise LivepxeError(f"{where} has a malformed field ({exc}); convert the ISO again") from None

    @property
    def root_below(self) -> int:
        """How many folders the note sits below the TFTP root."""
        return len(Path(self.image_dir).parts) if self.image_dir else 0


def read(folder: Path) -> TreeNote | None:
    """The note of a self-contained tree or an image folder; None when the folder has none."""
    path = folder / NOTE
    if not path.is_file():
        return None
    return TreeNote.from_json(path.read_text(errors="replace"), str(path))
