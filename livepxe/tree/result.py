"""What a conversion hands back to its caller: where the tree is, what its note says, what was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..bootconf.entry import BootEntry
from .layout import Layout
from .note import TreeNote


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
