"""Staging folders that say who writes them, so that one left by a killed run is removed by the next.

A run stages into a hidden folder beside its destination and removes it on
every ending it sees (an error, Ctrl-C, SIGTERM, SIGHUP).  SIGKILL and power
loss it does not see: for those the folder holds ``livepxe-owner.json`` (the
process id, the process's start time, the boot id and the host), and the next
run into the same place removes every staging folder whose owner is gone,
in one line saying so.  What cannot be decided is named, not removed: an
owner on another host (a TFTP root on NFS), a folder without the record
(killed in the instant between mkdir and writing it, or an older livepxe;
one younger than a minute is taken to be another run's, writing it now),
and one holding what a ``--force`` run had moved aside when it was killed,
which may be the only copy of a replaced tree.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import socket
import stat
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from . import safefs

log = logging.getLogger(__name__)

OWNER = "livepxe-owner.json"
TREE = "tree"             # what the commit moves into place
SCRATCH = "scratch"       # intermediate files, never committed
DISPLACED = "displaced"   # what --force moves aside until the commit is done
#: Seconds a staging folder may lack its owner record: another run writes it right after its mkdir.
UNRECORDED_GRACE = 60
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def boot_id() -> str:
    """This boot's id: a process recorded under another boot is gone, whatever its pid."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start(pid: int) -> Optional[int]:
    """When process ``pid`` started (clock ticks since boot); None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the command name in parentheses may hold spaces
    return int(fields[19])                         # field 22 of proc(5), counting from the state (field 3)


@dataclass(frozen=True)
class Owner:
    """The run writing a staging folder; pid and start time together survive pid reuse."""

    pid: int
    start: Optional[int]
    boot: str
    host: str

    @classmethod
    def me(cls) -> Owner:
        return cls(os.getpid(), process_start(os.getpid()), boot_id(), socket.gethostname())

    @classmethod
    def from_json(cls, text: str) -> Optional[Owner]:
        try:
            data = json.loads(text)
            return cls(int(data["pid"]), data["start"], str(data["boot"]), str(data["host"]))
        except (ValueError, TypeError, KeyError):
            return None

    def gone(self) -> Optional[bool]:
        """True when the owner surely ended, False when it runs, None when this host cannot tell."""
        if self.host != socket.gethostname():
            return None
        if self.boot != boot_id():
            return True
        return process_start(self.pid) != self.start


@dataclass(frozen=True)
class Staging:
    path: Path
    fd: int       # the staging folder itself, so renames out of it never look it up by path again


def create(parent_fd: int, parent: Path, prefix: str) -> Staging:
    """A new staging folder ``prefix`` + random in ``parent``, private to this user, with its owner record."""
    while True:
        name = prefix + secrets.token_hex(4)
        try:
            os.mkdir(name, 0o700, dir_fd=parent_fd)
            break
        except FileExistsError:
            continue
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    record = os.open(OWNER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=fd)
    with os.fdopen(record, "w") as stream:
        json.dump(asdict(Owner.me()), stream)
    return Staging(parent / name, fd)


def sweep(parent_fd: int, parent: Path, prefix: str) -> None:
    """Remove the staging folders in ``parent`` that runs killed outright left; name those that cannot be judged."""
    for name in sorted(os.listdir(parent_fd)):
        mode = safefs.entry_mode(parent_fd, name)
        if name.startswith(prefix) and mode is not None and stat.S_ISDIR(mode):
            _sweep_one(parent_fd, parent / name, name)


def _sweep_one(parent_fd: int, path: Path, name: str) -> None:
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    try:
        text = safefs.read_small(fd, OWNER)
        displaced = _holds_displaced(fd)
        age = time.time() - os.fstat(fd).st_mtime
    finally:
        os.close(fd)
    owner = Owner.from_json(text) if text is not None else None
    gone = owner.gone() if owner else None
    if owner is None and age < UNRECORDED_GRACE:
        log.info("%s is being created by another livepxe run; left alone", path)
    elif owner is None:
        log.warning("%s looks like staging left by an interrupted livepxe run but does not say whose; "
                    "remove it once no livepxe run is writing here", path)
    elif gone is None:
        log.info("%s is staging of a livepxe run on %s; left alone", path, owner.host)
    elif not gone:
        log.info("%s is staging of livepxe run %d, still running; left alone", path, owner.pid)
    elif displaced:
        log.warning("%s was left by livepxe run %d, killed while replacing files: what it replaced is in %s; "
                    "move back what you need, then remove the folder", path, owner.pid, path / DISPLACED)
    else:
        shutil.rmtree(path)
        log.warning("removed %s: staging left by livepxe run %d, which was killed before it finished", path, owner.pid)


def _holds_displaced(fd: int) -> bool:
    try:
        displaced = os.open(DISPLACED, _DIR_FLAGS, dir_fd=fd)
    except OSError:
        return False
    try:
        return bool(os.listdir(displaced))
    finally:
        os.close(displaced)
