"""Write a tree so that it appears whole or not at all.

Everything is written into a hidden staging folder beside the destination
(same filesystem, so the final step is a rename).  A self-contained tree
is one directory rename; files integrated into an existing TFTP root are
renamed into place one by one, and if any step fails the ones already
moved are taken back and displaced files restored.  On any error or
Ctrl-C the staging folder is removed: nothing half-written remains.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from .errors import LivepxeError
from .layout import Layout


def _check_writable(directory: Path, what: str) -> None:
    if not directory.is_dir():
        raise LivepxeError(f"{what} {directory} does not exist; create it first")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise LivepxeError(f"{what} {directory} is not writable by this user; choose another or fix its permissions")


def _make_dirs(base: Path, directory: Path) -> list[Path]:
    """Create ``directory`` and missing parents below ``base``, world-readable whatever the umask."""
    made = []
    for parent in reversed([directory, *list(directory.relative_to(base).parents)[:-1]]):
        path = parent if parent.is_absolute() else base / parent
        if not path.exists():
            path.mkdir()
            os.chmod(path, 0o755)
            made.append(path)
    return made


class TreeWriter:
    """Stage files by their path relative to the layout's root, then commit."""

    def __init__(self, layout: Layout, force: bool = False):
        self.layout = layout
        self.force = force
        self.written: list[str] = []
        self._stage: Path | None = None
        self._preflight()

    def _preflight(self) -> None:
        root = self.layout.root
        if self.layout.integrated:
            _check_writable(root, "TFTP root")
        else:
            if root.exists() and not self.force:
                raise LivepxeError(f"{root} already exists; remove it, choose another -o/--output, or pass --force to replace it")
            if root.exists() and not root.is_dir():
                raise LivepxeError(f"{root} exists and is not a directory; choose another -o/--output")
            _check_writable(root.parent, "output folder")

    def check_targets(self, relpaths: list[str]) -> None:
        """Refuse before any work if an integration target exists (unless forced)."""
        if not self.layout.integrated or self.force:
            return
        taken = [p for p in relpaths if os.path.lexists(self.layout.root / p)]
        if taken:
            raise LivepxeError(
                f"{self.layout.root / taken[0]} already exists; pass --force to replace it, or choose another --imagedir/--bootfile")

    def __enter__(self) -> "TreeWriter":
        parent = self.layout.root if self.layout.integrated else self.layout.root.parent
        prefix = ".livepxe-" if self.layout.integrated else f".{self.layout.root.name}.livepxe-"
        try:
            self._stage = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        except OSError as exc:
            raise LivepxeError(f"cannot write in {parent}: {exc.strerror}; choose another destination") from None
        os.chmod(self._stage, 0o755)  # becomes the tree itself when self-contained
        return self

    def path(self, relpath: str) -> Path:
        """Staging path for ``relpath``; parent folders are made as needed."""
        assert self._stage is not None, "use TreeWriter as a context manager"
        target = self._stage / relpath
        _make_dirs(self._stage, target.parent)
        self.written.append(relpath)
        return target

    def scratch(self) -> Path:
        """A staging folder for intermediate files that are never committed."""
        assert self._stage is not None, "use TreeWriter as a context manager"
        folder = self._stage / ".scratch"
        folder.mkdir(exist_ok=True)
        return folder

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if kind is None:
                self._commit()
        finally:
            if self._stage is not None and self._stage.exists():
                shutil.rmtree(self._stage, ignore_errors=True)

    def _commit(self) -> None:
        assert self._stage is not None
        shutil.rmtree(self._stage / ".scratch", ignore_errors=True)
        if not self.layout.integrated:
            self._commit_directory(self._stage, self.layout.root)
        else:
            self._commit_files()

    def _commit_directory(self, staged: Path, target: Path) -> None:
        if not target.exists():
            os.rename(staged, target)
            return
        displaced = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rename(target, displaced / "tree")
        try:
            os.rename(staged, target)
        except BaseException:
            os.rename(displaced / "tree", target)
            raise
        finally:
            shutil.rmtree(displaced, ignore_errors=True)

    def _commit_files(self) -> None:
        assert self._stage is not None
        root = self.layout.root
        backup = self._stage / ".displaced"
        moved: list[str] = []
        made_dirs: list[Path] = []
        try:
            self.check_targets(self.written)  # a file may have appeared meanwhile
            for relpath in self.written:
                target = root / relpath
                made_dirs += _make_dirs(root, target.parent)
                if os.path.lexists(target):
                    (backup / relpath).parent.mkdir(parents=True, exist_ok=True)
                    os.rename(target, backup / relpath)
                os.rename(self._stage / relpath, target)
                moved.append(relpath)
        except BaseException:
            for relpath in reversed(self.written):
                if relpath in moved:
                    os.unlink(root / relpath)
                if os.path.lexists(backup / relpath):
                    os.rename(backup / relpath, root / relpath)
            for directory in reversed(made_dirs):
                try:
                    directory.rmdir()
                except OSError:
                    pass
            raise
