"""Stand-ins for what upstream livecd-tools provides, so the creator's hooks run anywhere.

``imgcreate`` is only in livecd-tools (no registry ships it) and its real
build needs root; the hooks of ``PxeImageCreator`` only need the base class's
call order and the files it leaves at each step.  ``LiveImageCreator`` here
does that much, in the order upstream's ``livecd-creator`` drives it
(``mount``/``install``/``unmount``/``package``/``cleanup``), and records the
hook calls; ``upstream_like_parser`` is an OptionParser from the wrapper's
proxy with the few upstream options the tests use.
"""

from __future__ import annotations

import optparse
import shutil
import sys
import tempfile
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Optional

from livepxe.creator.dropin import DROPIN_DIR, LIVEOS_DROPIN
from livepxe.creator.wrapper import optparse_proxy
from tests.isofactory import make_iso

LIVEOS_TEXT = 'add_dracutmodules+=" dmsquash-live "\n'


class CreatorError(Exception):
    """imgcreate.errors.CreatorError: what upstream's frontends report in one line."""


class LiveImageCreator:
    """The part of imgcreate's LiveImageCreator the hooks see.

    ``seed`` (path under the root -> text, or None for a folder) is put into
    the install root before the hooks run, like a ``--base-on`` image's own files.
    ``install()`` records what dracut would find in ``/etc/dracut.conf.d``
    while packages go in.
    """

    seed: dict[str, Optional[str]] = {}

    def __init__(self, ks: Any, name: str, fslabel: Optional[str] = None, releasever: Optional[str] = None,
                 tmpdir: str = "/tmp", **kwargs: Any) -> None:
        self.ks = ks
        self.name = name
        self.fslabel = fslabel or name
        self.tmpdir = tmpdir
        self.calls: list[str] = []
        self.dracut_saw: dict[str, str] = {}
        self.iso_bytes: Optional[bytes] = None   # what _stage_final_image writes instead of a live ISO
        self.builddir: Optional[str] = None

    @property
    def _instroot(self) -> str:
        return f"{self._builddir()}/install_root"

    @property
    def _outdir(self) -> str:
        return f"{self._builddir()}/out"

    def _builddir(self) -> str:
        if self.builddir is None:
            raise CreatorError("_outdir is not valid before calling mount()")
        return self.builddir

    # --- the hooks PxeImageCreator overrides ---------------------------------

    def _mount_instroot(self, base_on: Any = None) -> None:
        self.calls.append("_mount_instroot")
        conf = Path(self._instroot) / DROPIN_DIR
        conf.mkdir(parents=True, exist_ok=True)
        for relpath, text in self.seed.items():
            if text is None:
                (Path(self._instroot) / relpath).mkdir()
            else:
                (Path(self._instroot) / relpath).write_text(text)
        (conf / LIVEOS_DROPIN).write_text(LIVEOS_TEXT)

    def _unmount_instroot(self) -> None:
        self.calls.append("_unmount_instroot")
        (Path(self._instroot) / DROPIN_DIR / LIVEOS_DROPIN).unlink(missing_ok=True)

    def _stage_final_image(self, ops: list = []) -> None:  # noqa: B006 (upstream's signature)
        self.calls.append("_stage_final_image")
        iso = Path(self._outdir) / f"{self.name}.iso"
        if self.iso_bytes is None:
            make_iso(iso, label=self.fslabel)
        else:
            iso.write_bytes(self.iso_bytes)

    # --- what upstream's livecd-creator calls ---------------------------------

    def mount(self, base_on: Any = None, cachedir: Any = None) -> None:
        self.builddir = tempfile.mkdtemp(dir=self.tmpdir, prefix="imgcreate-")
        Path(self._instroot, "etc").mkdir(parents=True)
        Path(self._outdir).mkdir()
        self._mount_instroot(base_on)

    def install(self) -> None:
        conf = Path(self._instroot) / DROPIN_DIR
        self.dracut_saw = {p.name: p.read_text() for p in sorted(conf.iterdir())}

    def unmount(self) -> None:
        self._unmount_instroot()

    def package(self, destdir: str = ".", ops: list = []) -> None:  # noqa: B006 (upstream's signature)
        self._stage_final_image(ops)
        for name in sorted(Path(self._outdir).iterdir()):
            shutil.move(str(name), str(Path(destdir) / name.name))

    def cleanup(self) -> None:
        if self.builddir is None:
            return
        self.unmount()
        shutil.rmtree(self.builddir)


@contextmanager
def standin_imgcreate() -> Iterator[types.ModuleType]:
    """``livepxe.creator.imagecreator`` imported against the stand-in; sys.modules restored after."""
    import livepxe.creator as package

    names = ("imgcreate", "imgcreate.errors", "livepxe.creator.imagecreator")
    saved = {name: sys.modules.get(name) for name in names}
    saved_attr = package.__dict__.get("imagecreator")
    imgcreate = types.ModuleType("imgcreate")
    errors = types.ModuleType("imgcreate.errors")
    errors.CreatorError = CreatorError  # type: ignore[attr-defined]
    imgcreate.__path__ = []  # a package, so `from imgcreate.errors import` resolves
    imgcreate.errors = errors  # type: ignore[attr-defined]
    imgcreate.CreatorError = CreatorError  # type: ignore[attr-defined]
    imgcreate.LiveImageCreator = LiveImageCreator  # type: ignore[attr-defined]
    sys.modules.update({"imgcreate": imgcreate, "imgcreate.errors": errors})
    sys.modules.pop("livepxe.creator.imagecreator", None)
    try:
        from livepxe.creator import imagecreator
        yield imagecreator
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        if saved_attr is None:
            package.__dict__.pop("imagecreator", None)
        else:
            package.imagecreator = saved_attr  # type: ignore[attr-defined]


def upstream_like_parser(on_parsed: Callable[[Any, list[str]], None] = lambda values, rest: None,
                         ) -> optparse.OptionParser:
    """An OptionParser from the wrapper's proxy, with a few of upstream's real option names."""
    parser = optparse_proxy(on_parsed).OptionParser()
    parser.add_option("-c", "--config", dest="kscfg")
    parser.add_option("-o", "--output", dest="destdir", default=".")
    parser.add_option("-f", "--fslabel", dest="fslabel")
    parser.add_option("", "--title", dest="title")
    parser.add_option("", "--tmpdir", dest="tmpdir", default="/var/tmp")
    return parser
