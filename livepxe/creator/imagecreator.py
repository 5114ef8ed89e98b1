"""``PxeImageCreator``: one livecd-creator build emits the ISO and a PXE tree.

A subclass of imgcreate's ``LiveImageCreator`` that uses only the hooks
imgcreate documents for subclasses (``_mount_instroot``,
``_unmount_instroot``, ``_stage_final_image``; see imgcreate's API file):

* ``_mount_instroot``: after the base class has mounted the install root and
  written its own ``99-liveos.conf``, put livepxe's dracut drop-in next to
  it, before any package is installed — the kernel package's scriptlet runs
  dracut in the root, so the live initramfs is made with it.
* ``_unmount_instroot``: take the drop-in out (restoring what it displaced)
  before the base class unmounts, so the shipped image is clean.
* ``_stage_final_image``: after the base class has written ``<name>.iso``
  into ``_outdir``, run the engine on it; a tree destined for the ``-o``
  folder is staged in ``_outdir`` too, so ``package()`` delivers both.  The
  staged tree names its final folder (dnsmasq's ``tftp-root=``), never
  ``_outdir``, which upstream deletes after the build.

* ``cleanup`` (imgcreate's public teardown): first let go of what an error
  or Ctrl-C in flight still holds (see ``release_finished_frames``), then
  the base class unmounts and deletes the build folder.

Errors are raised as ``PxeCreatorError``: upstream's frontends report a
``CreatorError`` in one line and still clean up.  Progress goes to this
module's logger, which upstream's ``-v`` shows.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Optional

import imgcreate
from imgcreate.errors import CreatorError

from ..convert import ConvertResult, convert
from ..errors import LivepxeError
from .dropin import DracutDropIn
from .options import PxeOptions

log = logging.getLogger(__name__)


class PxeCreatorError(LivepxeError, CreatorError):
    """Raised inside the build: upstream's frontends report CreatorErrors in one
    line and still clean up; livepxe's code knows it as a LivepxeError."""


def same_filesystem(a: os.PathLike | str, b: os.PathLike | str) -> bool:
    """Is a rename from ``a`` into ``b`` possible (one device)?  False if either is missing."""
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def release_finished_frames(exc: Optional[BaseException]) -> None:
    """Let the objects of the frames an exception in flight has left go, before upstream unmounts.

    Ctrl-C during dnf's rpm transaction leaves the traceback holding dnf's
    and rpm's objects, and with them the package being installed open in the
    install root's ``var/cache/dnf`` bind mount: upstream's unmount then
    fails ("leaked a reference to the filesystem"), skips deleting the build
    folder and replaces the Ctrl-C with a traceback (seen with SIGINT 3-28 s
    into a test build).  Those frames have returned; ``clear_frames`` drops
    their locals and skips the frames still running.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)
        exc = exc.__context__ or exc.__cause__
    gc.collect()  # dnf's objects hold each other in cycles; their files close when they go


class PxeImageCreator(imgcreate.LiveImageCreator):
    """LiveImageCreator that also writes a PXE tree from the ISO it made."""

    def __init__(self, ks: Any, name: str, *args: Any,
                 pxe: Optional[PxeOptions] = None, **kwargs: Any) -> None:
        super().__init__(ks, name, *args, **kwargs)
        self.pxe = pxe if pxe is not None else PxeOptions()
        self.pxe_result: Optional[ConvertResult] = None
        self._dropin: Optional[DracutDropIn] = None
        try:
            self.pxe.preflight(self.name)  # before mount(): nothing built yet
        except LivepxeError as exc:
            raise PxeCreatorError(str(exc)) from None

    def _mount_instroot(self, base_on: Any = None) -> None:
        super()._mount_instroot(base_on)
        self._dropin = DracutDropIn(self._instroot)
        try:
            self._dropin.install()
        except OSError as exc:
            raise PxeCreatorError(f"cannot install livepxe's dracut drop-in: {exc}") from None

    def _unmount_instroot(self) -> None:
        # unmount() runs again from cleanup(); remove() is idempotent.
        if self._dropin is not None:
            self._dropin.remove()
        super()._unmount_instroot()

    def cleanup(self) -> None:
        # upstream calls this from its `finally:`, where sys.exc_info() is the error or Ctrl-C on its way out
        release_finished_frames(sys.exc_info()[1])
        super().cleanup()

    def _staging_dir(self) -> Optional[Path]:
        """``_outdir`` when package() will deliver the tree with one rename(), else None.

        package() moves ``_outdir``'s entries with shutil.move, which copies
        across file systems: a Ctrl-C then would leave half a tree.  Otherwise
        the engine writes the tree in place, staged and renamed beside it.
        """
        if self.pxe.delivered_by_package() and same_filesystem(self._outdir, self.pxe.outdir):
            return Path(self._outdir)
        return None

    def _stage_final_image(self, ops: Optional[list] = None) -> None:
        super()._stage_final_image([] if ops is None else ops)
        iso = Path(self._outdir) / f"{self.name}.iso"
        staging = self._staging_dir()
        try:
            self.pxe_result = convert(self.pxe.convert_options(iso, staging))
        except LivepxeError as exc:
            raise PxeCreatorError(f"PXE tree from {iso.name}: {exc}") from None
        final = self.pxe.tree_dir() if staging is not None else self.pxe_result.root
        log.info("PXE tree for %s: %s (clients need about %d MiB of RAM)", iso.name, final, self.pxe_result.ram_mib)
