"""livepxe's dracut drop-in: put into an install root, and taken out again.

The live initramfs is made by dracut inside the install root when the kernel
package is installed, reading ``/etc/dracut.conf.d/``.  ``PxeImageCreator``
installs the drop-in before packages go in and removes it before the image
is packed, so the shipped image carries no trace of the build.  Kept apart
from the creator so it is testable without imgcreate or root.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Optional

DROPIN_NAME = "99-livepxe.conf"
DROPIN_DIR = "etc/dracut.conf.d"
# livecd-creator's own drop-in; ours must be read after it (dracut sorts the
# names with ``sort -V``) so a replaced default set cannot undo ours.
LIVEOS_DROPIN = "99-liveos.conf"


def dropin_text() -> bytes:
    """The drop-in as shipped in the package (``livepxe/data``)."""
    return (resources.files("livepxe") / "data" / DROPIN_NAME).read_bytes()


@dataclass
class _Displaced:
    """What sat at the drop-in's path before: file bytes + mode, or a link."""

    data: Optional[bytes] = None
    mode: int = 0o644
    link: Optional[str] = None


class DracutDropIn:
    """Install/remove the drop-in in one root; remove() is idempotent.

    Whatever the path held before is kept in memory and put back by
    remove().  If a package installed its own file at that path while ours
    sat there, rpm leaves it as ``.rpmnew``; remove() then moves that into
    place, as livecd-creator does for its own drop-in.
    """

    def __init__(self, root: os.PathLike | str, text: Optional[bytes] = None) -> None:
        self.path = Path(root) / DROPIN_DIR / DROPIN_NAME
        self._text = dropin_text() if text is None else text
        self._displaced: Optional[_Displaced] = None
        self.installed = False

    def install(self) -> None:
        """Write the drop-in (0644), remembering what it displaces."""
        if self.installed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._displaced = self._take(self.path)
        tmp = self.path.with_name(f".{DROPIN_NAME}.livepxe-tmp")
        tmp.write_bytes(self._text)
        tmp.chmod(0o644)
        os.replace(tmp, self.path)
        self.installed = True

    def remove(self) -> None:
        """Take the drop-in out and restore what it displaced."""
        if not self.installed:
            return
        rpmnew = self.path.with_name(self.path.name + ".rpmnew")
        if self.path.is_file() and not self.path.is_symlink():
            if self.path.read_bytes() == self._text:
                self.path.unlink()
        if os.path.lexists(rpmnew):
            os.replace(rpmnew, self.path)
        elif self._displaced is not None and not os.path.lexists(self.path):
            self._put_back(self._displaced)
        self._displaced = None
        self.installed = False

    @staticmethod
    def _take(path: Path) -> Optional[_Displaced]:
        if path.is_symlink():
            d = _Displaced(link=os.readlink(path))
        elif path.is_file():
            d = _Displaced(data=path.read_bytes(), mode=stat.S_IMODE(path.stat().st_mode))
        elif path.exists():
            raise IsADirectoryError(f"{path} is not a file; cannot install livepxe's drop-in")
        else:
            return None
        path.unlink()
        return d

    def _put_back(self, d: _Displaced) -> None:
        if d.link is not None:
            os.symlink(d.link, self.path)
        else:
            assert d.data is not None
            self.path.write_bytes(d.data)
            self.path.chmod(d.mode)
