"""Write a tree so that it appears whole or not at all, replacing only what livepxe wrote.

Everything is written into a hidden staging folder beside the destination
(same filesystem, so the final step is a rename; ``staging`` says what the
folder holds and how one left by a killed run is removed later).  A
self-contained tree is one folder rename; files integrated into a shared
TFTP root are renamed into place one by one through folders opened without
following links (``safefs``), and if any step fails the ones already moved
are taken back and displaced files restored.  Every final rename refuses to
replace (``safefs.rename_noreplace``): "nothing existing is overwritten
without --force" holds at the moment of the commit, and of two runs racing
for one place one fails cleanly.

``--force`` replaces only what livepxe's own record (``livepxe.json``) says
livepxe wrote: a folder holding the note of a self-contained tree, or in a
TFTP root the files of the same image (its folder holds the image's note,
which also lists the image's configs).  The commit and the cleanup run with
stop signals held (``signals.deferred``), so a second Ctrl-C cannot cut
them short.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import stat
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Dict, List, Optional, Set, Tuple

from .. import signals
from ..catalogue import menus
from ..errors import LivepxeError
from ..tree.layout import NOTE, Layout
from ..tree.note import TreeNote
from . import safefs, staging

log = logging.getLogger(__name__)

#: Staging folders this process made and could not remove; the CLI says "nothing partial" only when empty.
_LEFT_BEHIND: Set[Path] = set()


def leftovers() -> List[Path]:
    """Staging folders of this process still on disk (empty once every writer has cleaned up)."""
    return sorted(_LEFT_BEHIND)


def _check_writable(directory: Path, what: str) -> None:
    if not directory.is_dir():
        raise LivepxeError(f"{what} {directory} does not exist; create it first")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise LivepxeError(f"{what} {directory} is not writable by this user; choose another or fix its permissions")


def _make_dirs(base: Path, directory: Path) -> None:
    """Create ``directory`` and missing parents below ``base`` (our own staging), world-readable whatever the umask."""
    for parent in reversed([directory, *list(directory.relative_to(base).parents)[:-1]]):
        path = parent if parent.is_absolute() else base / parent
        if not path.exists():
            path.mkdir()
            os.chmod(path, 0o755)


def _split(relpath: str) -> Tuple[str, str]:
    """(folder, name) of a path from the root; folder is "" at the top."""
    folder, _, name = relpath.rpartition("/")
    return folder, name


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def _why_not_a_livepxe_tree(parent_fd: int, name: str, source: Optional[Path], folder: Path) -> Optional[str]:
    """Why ``--force`` may not replace folder ``name`` of ``parent_fd``; None for a self-contained livepxe tree."""
    what = safefs.describe(parent_fd, name)
    if what:
        return what
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
    try:
        text = safefs.read_small(fd, NOTE)
    finally:
        os.close(fd)
    if text is None:
        return f"holds no {NOTE} (livepxe did not write it)"
    try:
        tree_note = TreeNote.from_json(text, str(folder / NOTE))
    except LivepxeError:
        return f"holds a {NOTE} that is not a note livepxe can read"
    if tree_note.integrated:
        return f"is an image folder of a TFTP root (says its {NOTE}), not a self-contained tree"
    if source is not None and _inside(source, folder):
        return "holds the ISO being converted"
    return None


class TreeWriter:
    """Stage files by their path relative to the layout's root, then commit.

    ``source`` is the ISO: a tree holding it is never replaced.
    """

    def __init__(self, layout: Layout, force: bool = False, source: Optional[Path] = None):
        self.layout = layout
        self.force = force
        self.source = source
        self.written: List[str] = []
        self._ours: Set[str] = set()        # integration: targets the previous run of this image wrote
        self._not_ours = ""                 # integration: why other existing targets are not replaceable
        self._menus: Set[str] = set()       # integration: the root's catalogue menus, replaced when livepxe's
        self._parent_fd = -1                # the folder the commit renames into (root, or the tree's parent)
        self._stage: Optional[staging.Staging] = None
        self._keep_stage = False            # a restore failed: the staging folder holds the only copy
        self._empty = False                 # -o was an empty folder at the start: the tree takes its place
        self._preflight()

    # --- before any work --------------------------------------------------------------------------------------

    def _preflight(self) -> None:
        root = self.layout.root
        if self.layout.integrated:
            _check_writable(root, "TFTP root")
            return
        _check_writable(root.parent, "output folder")
        if os.path.lexists(root):
            fd = safefs.open_root(root.parent)
            try:
                # An empty folder holds nothing to lose (e.g. made for the tree): used, --force or not.
                self._empty = safefs.is_empty_folder(fd, root.name)
                if not self._empty:
                    self._check_replace_tree(fd)
            finally:
                os.close(fd)

    def _check_replace_tree(self, parent_fd: int) -> None:
        """Refuse an existing ``-o`` unless forced and livepxe's own; the message never offers a useless --force."""
        root = self.layout.root
        why_not = _why_not_a_livepxe_tree(parent_fd, root.name, self.source, root)
        if not self.force and why_not is None:
            raise LivepxeError(f"{root} already exists; remove it, choose another -o/--output, "
                               "or pass --force to replace it")
        if not self.force:
            raise LivepxeError(f"{root} already exists and {why_not}; remove it yourself, or choose another "
                               "-o/--output")
        if why_not is not None:
            raise LivepxeError(f"{root} {why_not}: --force replaces only a tree livepxe wrote; remove it yourself, "
                               "or choose another -o/--output")

    def allow_menus(self, relpaths: List[str]) -> None:
        """These targets are the root's catalogue menus: replaced (without --force) only while marked livepxe's."""
        self._menus = set(relpaths)

    def check_targets(self, relpaths: List[str]) -> None:
        """Integration: refuse before any work a link on the way to a target, or a target not to be replaced."""
        if not self.layout.integrated:
            return
        root_fd = safefs.open_root(self.layout.root)
        try:
            self._ours, self._not_ours = self._previous_image(root_fd, relpaths)
            for relpath in relpaths:
                folder, name = _split(relpath)
                folder_fd = safefs.open_below(root_fd, self.layout.root, folder, self._hint(relpath, folder=True))
                if folder_fd is not None:
                    try:
                        self._displaces(folder_fd, relpath, name)
                    finally:
                        os.close(folder_fd)
        finally:
            os.close(root_fd)

    def _previous_image(self, root_fd: int, relpaths: List[str]) -> Tuple[Set[str], str]:
        """The planned paths the image's previous conversion wrote, and why any other existing one is not ours."""
        image_dir, root = self.layout.image_dir, self.layout.root
        folder_fd = safefs.open_below(root_fd, root, image_dir, self._hint(image_dir, folder=True))
        if folder_fd is None:
            return set(), f"{root / image_dir} holds no image livepxe wrote"
        try:
            text = safefs.read_small(folder_fd, NOTE)
        finally:
            os.close(folder_fd)
        record = root / image_dir / NOTE
        if text is None:
            return set(), f"{root / image_dir} holds no {NOTE}, so livepxe did not write it"
        try:
            previous = TreeNote.from_json(text, str(record))
        except LivepxeError:
            return set(), f"{record} is not a note livepxe can read"
        if not previous.integrated or previous.image_dir != image_dir:
            return set(), f"{record} describes another tree"
        ours = {p for p in relpaths if p.startswith(image_dir + "/")} | set(previous.configs.values())
        return ours, f"{record} does not list it (another image's file, or not livepxe's)"

    def _hint(self, relpath: str, folder: bool = False) -> str:
        """What the user can do about an entry in the way of ``relpath``: name the option that moves it."""
        option = "--imagedir" if f"{relpath}/".startswith(f"{self.layout.image_dir}/") else "--bootfile"
        return f"replace it by a real folder, or choose another {option}" if folder else f"choose another {option}"

    def _displaces(self, folder_fd: int, relpath: str, name: str) -> bool:
        """Whether the commit must move an existing target aside; LivepxeError when it may not be replaced."""
        mode = safefs.entry_mode(folder_fd, name)
        if mode is None:
            return False
        target, hint = self.layout.root / relpath, self._hint(relpath)
        if stat.S_ISLNK(mode):
            raise LivepxeError(f"{target} {safefs.describe(folder_fd, name)}; livepxe never writes through a link "
                               f"in a TFTP root: remove it, or {hint}")
        if not stat.S_ISREG(mode):
            raise LivepxeError(f"{target} is in the way and is not a file; remove it, or {hint}")
        if relpath in self._menus:
            text = safefs.read_small(folder_fd, name)
            if text is None or not menus.is_ours(text):
                raise LivepxeError(f"{target} is not livepxe's menu (it changed while livepxe was writing?); "
                                   "it was left as it is: run again")
            return True
        if relpath not in self._ours:
            raise LivepxeError(f"{target} already exists and {self._not_ours}; remove it yourself, or {hint}")
        if not self.force:
            raise LivepxeError(f"{target} already exists; pass --force to replace it, or {hint}")
        return True

    # --- staging ------------------------------------------------------------------------------------------------

    def __enter__(self) -> TreeWriter:
        try:
            with signals.deferred():
                self._open_staging()
        except BaseException:
            self._clean_up()
            raise
        return self

    def _open_staging(self) -> None:
        parent = self.layout.root if self.layout.integrated else self.layout.root.parent
        prefix = ".livepxe-" if self.layout.integrated else f".{self.layout.root.name}.livepxe-"
        try:
            self._parent_fd = safefs.open_root(parent)
            staging.sweep(self._parent_fd, parent, prefix)
            self._stage = staging.create(self._parent_fd, parent, prefix)
        except OSError as exc:
            raise LivepxeError(f"cannot write in {parent}: {exc.strerror}; choose another destination") from None
        _LEFT_BEHIND.add(self._stage.path)
        os.mkdir(staging.TREE, dir_fd=self._stage.fd)
        os.chmod(staging.TREE, 0o755, dir_fd=self._stage.fd)  # becomes the tree itself when self-contained

    def path(self, relpath: str) -> Path:
        """Staging path for ``relpath``; parent folders are made as needed."""
        assert self._stage is not None, "use TreeWriter as a context manager"
        target = self._stage.path / staging.TREE / relpath
        _make_dirs(self._stage.path / staging.TREE, target.parent)
        self.written.append(relpath)
        return target

    def scratch(self) -> Path:
        """A staging folder for intermediate files that are never committed."""
        assert self._stage is not None, "use TreeWriter as a context manager"
        folder = self._stage.path / staging.SCRATCH
        folder.mkdir(exist_ok=True)
        return folder

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        with signals.deferred(redeliver=kind is None):
            try:
                if kind is None:
                    self._commit()
            finally:
                self._clean_up()

    def _clean_up(self) -> None:
        stage, self._stage = self._stage, None
        if stage is not None:
            os.close(stage.fd)
            if self._keep_stage:
                log.warning("kept %s: it holds what livepxe could not put back; move back what you need, "
                            "then remove it", stage.path)
            else:
                shutil.rmtree(stage.path, ignore_errors=True)
            if not os.path.lexists(stage.path):
                _LEFT_BEHIND.discard(stage.path)
            elif not self._keep_stage:
                log.warning("could not remove %s; remove it by hand", stage.path)
        if self._parent_fd >= 0:
            os.close(self._parent_fd)
            self._parent_fd = -1

    # --- commit ---------------------------------------------------------------------------------------------------

    def _commit(self) -> None:
        if self.layout.integrated:
            self._commit_files()
        else:
            self._commit_tree()

    def _appeared(self, target: Path) -> LivepxeError:
        return LivepxeError(f"{target} appeared while livepxe was writing (another run?); it was left as it is "
                            "and nothing was written; run again once it is settled")

    def _commit_tree(self) -> None:
        assert self._stage is not None
        root, stage_fd = self.layout.root, self._stage.fd
        aside = safefs.entry_mode(self._parent_fd, root.name) is not None
        if aside and self._empty and self._remove_empty():
            aside = False
        if aside:
            self._check_replace_tree(self._parent_fd)  # again: it may have changed since the preflight
            os.rename(root.name, staging.DISPLACED, src_dir_fd=self._parent_fd, dst_dir_fd=stage_fd)
        try:
            safefs.rename_noreplace(stage_fd, staging.TREE, self._parent_fd, root.name)
        except BaseException as exc:
            if aside:
                self._put_back(stage_fd, staging.DISPLACED, self._parent_fd, root.name)
            if isinstance(exc, FileExistsError):
                raise self._appeared(root) from None
            raise

    def _remove_empty(self) -> bool:
        """Remove the empty ``-o`` folder the preflight saw; False if it is no longer empty (rmdir is atomic)."""
        root = self.layout.root
        try:
            os.rmdir(root.name, dir_fd=self._parent_fd)
        except FileNotFoundError:
            return True
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                return False
            raise LivepxeError(f"{root} is an empty folder livepxe cannot replace ({exc.strerror}); remove it, "
                               "or choose another -o/--output") from None
        return True

    def _put_back(self, src_fd: int, src: str, dst_fd: int, dst: str) -> None:
        """Restore a displaced file or tree; if that fails, keep the staging folder that holds it."""
        try:
            safefs.rename_noreplace(src_fd, src, dst_fd, dst)
        except OSError:
            self._keep_stage = True

    def _commit_files(self) -> None:
        assert self._stage is not None
        with ExitStack() as closing:
            folders = _Folders(self._parent_fd, self.layout.root, closing)
            staged = _Folders(self._open_in_stage(staging.TREE, closing), self._stage.path / staging.TREE, closing)
            displaced = self._open_in_stage(staging.DISPLACED, closing, create=True)
            moves: List[_Move] = []
            try:
                for index, relpath in enumerate(self.written):
                    folder, name = _split(relpath)
                    move = _Move(folders.open(folder, self._hint(relpath, folder=True)), name)
                    moves.append(move)
                    if self._displaces(move.folder_fd, relpath, name):
                        os.rename(name, str(index), src_dir_fd=move.folder_fd, dst_dir_fd=displaced)
                        move.aside = str(index)
                    self._place(staged.open(folder, ""), move.folder_fd, name, self.layout.root / relpath)
                    move.placed = True
            except BaseException:
                self._roll_back(moves, displaced, folders)
                raise

    def _open_in_stage(self, name: str, closing: ExitStack, create: bool = False) -> int:
        assert self._stage is not None
        if create:
            os.mkdir(name, 0o700, dir_fd=self._stage.fd)
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self._stage.fd)
        closing.callback(os.close, fd)
        return fd

    def _place(self, staged_fd: int, folder_fd: int, name: str, target: Path) -> None:
        try:
            safefs.rename_noreplace(staged_fd, name, folder_fd, name)
        except FileExistsError:
            raise self._appeared(target) from None

    def _roll_back(self, moves: List[_Move], displaced: int, folders: _Folders) -> None:
        """Take back what was placed, put back what was displaced, remove the folders this run made."""
        for move in reversed(moves):
            if move.placed:
                with suppress(FileNotFoundError):  # someone removed it meanwhile: nothing to take back
                    os.unlink(move.name, dir_fd=move.folder_fd)
            if move.aside:
                self._put_back(displaced, move.aside, move.folder_fd, move.name)
        folders.remove_made()


@dataclass
class _Move:
    """One file of an integration commit: where it goes, and how far it got."""

    folder_fd: int
    name: str
    aside: Optional[str] = None   # the name the file it replaces has in displaced/
    placed: bool = False


class _Folders:
    """Folders below a root, each opened once through real folders (missing ones made), closed with ``closing``."""

    def __init__(self, root_fd: int, root: Path, closing: ExitStack):
        self._root_fd, self._root, self._closing = root_fd, root, closing
        self._open: Dict[str, int] = {"": root_fd}
        self.made: List[str] = []

    def open(self, folder: str, hint: str) -> int:
        if folder not in self._open:
            fd = safefs.open_below(self._root_fd, self._root, folder, hint, self.made)
            assert fd is not None  # made when missing
            self._closing.callback(os.close, fd)
            self._open[folder] = fd
        return self._open[folder]

    def remove_made(self) -> None:
        """Remove the folders this run made, deepest first; one another run has put something in stays."""
        for folder in reversed(self.made):
            parent, name = _split(folder)
            try:
                parent_fd = safefs.open_below(self._root_fd, self._root, parent, "")
            except LivepxeError:  # replaced by a link meanwhile: not ours to touch any more
                continue
            if parent_fd is None:
                continue
            try:
                os.rmdir(name, dir_fd=parent_fd)
            except OSError:
                pass
            finally:
                os.close(parent_fd)
