"""What a conversion is asked to do: the one options model and its one validator.

``livepxe convert``, ``livecd-iso-to-pxeboot`` and ``livecd-creator --pxe``
(``livepxe.creator.options.PxeOptions`` extends this class) all build a
``ConvertOptions``; :meth:`ConvertOptions.validate` is the only place option
values and combinations are checked, so every front end refuses the same
things with the same words.  Messages name options through ``FLAGS``, which a
front end with other option names (``--pxe-payload``) overrides.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path
from typing import ClassVar, Optional, TypeVar

from .errors import LivepxeError
from .optiontable import TABLE, Compression, InitrdMode, Payload, convert_flags
from .tree import httpboot, isourl
from .tree.layout import Layout
from .write import payload

__all__ = ["Compression", "ConvertOptions", "InitrdMode", "Payload", "choices"]


def choices(enum: type[Enum]) -> list[str]:
    """The values an option takes, for argparse/optparse help and checks."""
    return [member.value for member in enum]


_Options = TypeVar("_Options", bound="ConvertOptions")


@dataclass
class ConvertOptions:
    iso: Optional[Path] = None                 # the live ISO (the creator fills it in once built)
    output: Optional[Path] = None              # self-contained tree; default ./tftpboot
    tftproot: Optional[Path] = None            # integration mode: all three of these
    imagedir: Optional[str] = None
    bootfile: Optional[str] = None
    initrd_mode: InitrdMode = InitrdMode.APPEND
    append: str = ""                           # extra kernel arguments
    cmdline: Optional[str] = None              # replaces the ISO's own arguments
    compress: Compression = Compression.NONE
    payload: Payload = Payload.ISO
    force: bool = False
    progress: bool = True
    checksums: bool = True                     # write SHA256SUMS (one SHA-256 pass, on the second core)
    http_url: Optional[str] = None             # the client downloads the ISO from here (dracut livenet)
    http_boot: Optional[str] = None            # the TFTP root served over HTTP: configs name kernel+initrd by URL
    served_root: Optional[Path] = None         # where TFTP serves the tree from, when it is moved after writing
    accept_media: bool = False                 # convert media `mediakind` refuses (installer, CoreOS, ...) anyway
    iso_sha256: Optional[str] = None           # the ISO's SHA-256 when the caller computed it (compose), for the note

    #: How each front end spells the options its messages name.
    FLAGS: ClassVar[dict[str, str]] = {**convert_flags(), "accept_media": "--accept-media"}

    #: The options that take one of an enum's values.
    CHOICES: ClassVar[dict[str, type[Enum]]] = {s.field: s.choices for s in TABLE if s.choices}

    def __post_init__(self) -> None:
        for name in self.CHOICES:
            setattr(self, name, self.check_value(name, getattr(self, name), self.FLAGS[name]))

    @classmethod
    def check_value(cls, name: str, value: object, flag: str) -> object:
        """One option's value checked on its own (a kickstart's settings are, line by line); returns it typed."""
        enum = cls.CHOICES.get(name)
        if enum is not None:
            try:
                return enum(value)
            except ValueError:
                raise LivepxeError(f"{flag} must be one of {', '.join(choices(enum))}, not {value!r}") from None
        if name == "http_url":
            isourl.iso_url(str(value), "probe.iso", flag)
        elif name == "http_boot":
            httpboot.parse(str(value), flag)
        return value

    @property
    def iso_path(self) -> Path:
        if self.iso is None:
            raise LivepxeError("no ISO given; name the live ISO to convert")
        return Path(self.iso)

    @property
    def integrated(self) -> bool:
        return any(v is not None for v in (self.tftproot, self.imagedir, self.bootfile))

    def layout(self) -> Layout:
        """Where the tree goes; raises LivepxeError for an incomplete or mixed delivery."""
        if self.integrated:
            if None in (self.tftproot, self.imagedir, self.bootfile):
                raise LivepxeError(f"integration mode needs all of {self.FLAGS['tftproot']}, "
                                   f"{self.FLAGS['imagedir']} and {self.FLAGS['bootfile']}")
            if self.output is not None:
                raise LivepxeError(f"{self.FLAGS['output']} and {self.FLAGS['tftproot']} are two deliveries; "
                                   "give one of them")
            assert self.tftproot is not None and self.imagedir is not None and self.bootfile is not None
            return Layout.integration(Path(self.tftproot).absolute(), self.imagedir, self.bootfile)
        return Layout.self_contained(Path(self.output or "tftpboot").absolute())

    def validate(self) -> Layout:
        """Every check that needs no ISO and no disk access; returns the layout."""
        layout = self.layout()
        if self.compress is not Compression.NONE:
            payload.check_compressor(self.compress.value, self.FLAGS["compress"])
        if self.http_url is not None:
            isourl.iso_url(self.http_url, "probe.iso", self.FLAGS["http_url"])
            if self.compress is not Compression.NONE:
                raise LivepxeError(f"{self.FLAGS['compress']} has nothing to compress with {self.FLAGS['http_url']}: "
                                   "the initrd carries no ISO; drop one of them")
        if self.http_boot is not None:
            # Allowed with --compress (the loaders fetch the compressed initrd as any other file) and with
            # --http-url (kernel and the small dracut initrd by HTTP too): neither changes a path or a URL.
            httpboot.parse(self.http_boot, self.FLAGS["http_boot"])
        return layout

    def http_boot_base(self) -> Optional[httpboot.HttpBoot]:
        """The checked ``--http-boot`` base, or None."""
        return httpboot.parse(self.http_boot, self.FLAGS["http_boot"]) if self.http_boot is not None else None

    def replace(self: _Options, **changes: object) -> _Options:
        """A copy with ``changes`` (the subclass's own fields kept)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return type(self)(**values)
