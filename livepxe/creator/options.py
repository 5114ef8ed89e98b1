"""The PXE options of ``livecd-creator --pxe``: parsing, checking, planning.

Shared by the ``livecd-creator`` wrapper (which adds them to upstream's own
optparse parser) and by ``PxeImageCreator`` (which turns them into engine
options).  Nothing here needs imgcreate, so it is tested everywhere.

Where the outputs go: ``-o OUTDIR`` receives ``<name>.iso`` from upstream's
``package()``; the tree goes to ``OUTDIR/tftpboot`` (``--pxe-output`` to
change it), or into an existing TFTP root with ``--tftproot/--imagedir/
--bootfile``.  A tree whose folder lies directly in OUTDIR is staged beside
the ISO and delivered by ``package()`` with it; any other is written in
place by the engine, which stages and commits it atomically itself.
"""

from __future__ import annotations

import optparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Optional

from ..errors import LivepxeError
from ..options import ConvertOptions
from ..optiontable import TABLE, creator_flags
from ..tree.plan import preflight

DEFAULT_TREE = "tftpboot"


@dataclass
class PxeOptions(ConvertOptions):
    """The converter's options, plus where livecd-creator delivers (``-o``), under livecd-creator's flag names."""

    outdir: Path = Path(".")              # livecd-creator -o: where package() delivers

    FLAGS: ClassVar[dict[str, str]] = {**ConvertOptions.FLAGS, **creator_flags()}

    def tree_dir(self) -> Path:
        """Final folder of a self-contained tree."""
        return (self.output if self.output is not None else self.outdir / DEFAULT_TREE).absolute()

    def delivered_by_package(self) -> bool:
        """True when the tree is staged in the creator's out dir beside the ISO."""
        return not self.integrated and self.tree_dir().parent.resolve() == self.outdir.absolute().resolve()

    def convert_options(self, iso: Path, staging_dir: Optional[Path] = None) -> PxeOptions:
        """Engine options for the built ISO; ``staging_dir`` is where package() picks the tree up.

        A staged tree names its final folder (``served_root``), never the staging one.
        """
        if self.integrated:
            return self.replace(iso=iso)
        if staging_dir is None:
            return self.replace(iso=iso, output=self.tree_dir())
        return self.replace(iso=iso, output=staging_dir / self.tree_dir().name, served_root=self.tree_dir())

    def check(self) -> None:
        """Option and host errors, before any work: the plan's own preflight, on the tree's final place."""
        preflight(self.convert_options(Path("probe.iso")))

    def preflight(self, name: str) -> None:
        """Refuse outputs that already exist, before the image is built.

        Upstream would only notice at the very end (or silently overwrite the
        ISO), after the whole build; the ``-o`` folder must exist, as upstream
        requires.
        """
        self.check()
        outdir = self.outdir
        if not outdir.is_dir():
            raise LivepxeError(f"output folder {outdir} does not exist; create it first (-o/--output)")
        if not os.access(outdir, os.W_OK | os.X_OK):
            raise LivepxeError(f"output folder {outdir} is not writable; choose another -o/--output")
        iso = outdir / f"{name}.iso"
        if os.path.lexists(iso):
            raise LivepxeError(f"{iso} already exists; remove it or choose another -o/--output or --fslabel")
        for path in self.planned_paths():
            if os.path.lexists(path):
                raise LivepxeError(f"{path} already exists; remove it or choose another "
                                   + ("--imagedir/--bootfile" if self.integrated else "--pxe-output"))
        if self.integrated and not Path(str(self.tftproot)).is_dir():
            raise LivepxeError(f"TFTP root {self.tftproot} does not exist; create it first (--tftproot)")

    def planned_paths(self) -> list[Path]:
        """What the tree will occupy (the first kernel's files; more kernels add vmlinuz1, …)."""
        if not self.integrated:
            return [self.tree_dir()]
        options = self.convert_options(Path("probe.iso"))
        return [options.layout().root / p for p in preflight(options)]


# --- optparse glue (upstream livecd-creator parses with optparse) ----------
#
# No option has an optparse default: None means "not on the command line", so
# a kickstart's %addon setting (kickstart.py) can fill it; the defaults are
# PxeOptions' own.


def _sentence(text: str) -> str:
    """optparse help reads as sentences in upstream's --help."""
    return text[0].upper() + text[1:] + "."


#: (flag, optparse keywords): ``--pxe`` itself, then every conversion option under its creator name.
_OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--pxe", dict(action="store_true", dest="pxe",
                   help="Also write a PXE tree whose initrd carries the ISO (livepxe).")),
    *((spec.creator_flag, dict(dest=f"pxe_{spec.field}", metavar=spec.metavar, help=_sentence(spec.help)))
      for spec in TABLE),
)


def add_option_group(parser: optparse.OptionParser) -> None:
    """Add the PXE options to upstream's parser, so ``--help`` lists them."""
    group = optparse.OptionGroup(parser, "PXE options (livepxe)",
                                 "With --pxe, the build also writes a network-boot tree "
                                 "whose initrd carries the ISO.")
    for flag, kwargs in _OPTIONS:
        group.add_option(flag, **kwargs)
    parser.add_option_group(group)


def kickstart_flag(flag: str) -> str:
    """A PXE option's name inside the kickstart's livepxe section: ``--pxe`` is ``--enable``, ``--pxe-X`` is ``--X``."""
    if flag == "--pxe":
        return "--enable"
    return "--" + flag[len("--pxe-"):] if flag.startswith("--pxe-") else flag


@dataclass
class Settings:
    """PXE settings from somewhere other than the command line (a kickstart), by optparse dest."""

    values: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)   # dest -> how messages name it: "--compress (a.ks:4)"

    def enables(self) -> bool:
        return bool(self.values.get("pxe"))


_PATHS = ("output", "tftproot")


def _field(dest: str) -> str:
    """The PxeOptions field an optparse dest fills: ``pxe_http_url`` -> ``http_url``."""
    return dest[len("pxe_"):]


def from_values(values: Any, settings: Optional[Settings] = None) -> PxeOptions:
    """PxeOptions from parsed optparse values (upstream's -o is ``destdir``): command line first, then ``settings``."""
    settings = settings or Settings()
    given: dict[str, Any] = {}
    for _flag, kwargs in _OPTIONS:
        dest = kwargs["dest"]
        value = getattr(values, dest, None)
        if value is None:
            value = settings.values.get(dest)
        if value is not None and dest != "pxe":
            given[_field(dest)] = Path(value) if _field(dest) in _PATHS else value
    return _options_class(settings)(outdir=Path(getattr(values, "destdir", None) or "."), **given)


def _options_class(settings: Settings) -> type[PxeOptions]:
    """PxeOptions whose messages name a kickstart's settings by their file and line."""
    names = {_field(dest): name for dest, name in settings.names.items() if dest != "pxe"}
    if not names:
        return PxeOptions
    return type("PxeOptions", (PxeOptions,), {"FLAGS": {**PxeOptions.FLAGS, **names}, "__module__": __name__})
