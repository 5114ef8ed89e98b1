"""Malformed ISOs never crash livepxe: each mutated ISO ends in a verified tree or a one-line error.

A few small live ISOs are built reproducibly (fixed contents and dates), and
each case mutates one of them where a reader is most easily misled: the
volume descriptors, directory records, path tables, extents pointing past the
end, directory loops, truncation.  Every case converts in a forked child
bounded in time and address space; a hang, a child killed by the limits, or a
traceback fails the test and names the case, which regenerates from its
variant, seed and index alone.

``LIVEPXE_FUZZ_COUNT=2000 pytest tests/test_fuzz.py`` runs a longer campaign
(``LIVEPXE_FUZZ_SEED`` picks another seed); crashers found that way belong in
``REGRESSIONS``.
"""

from __future__ import annotations

import json
import os
import random
import resource
import select
import shutil
import signal
import struct
import subprocess
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest
from isofactory import require_xorriso

from livepxe.convert import ConvertOptions, convert
from livepxe.errors import LivepxeError
from livepxe.tree.verify import verify

SECTOR = 2048
SEED = int(os.environ.get("LIVEPXE_FUZZ_SEED", "20240610"))
COUNT = int(os.environ.get("LIVEPXE_FUZZ_COUNT", "300"))
CASE_SECONDS = 20                     # one conversion of a 100 KiB ISO takes well under a second
CASE_ADDRESS_SPACE = 1024 ** 3        # growth allowed: far above what a conversion needs, far below the host's RAM

#: (variant, seed, index) of cases that once crashed or hung; each runs on every test run.
REGRESSIONS: List[Tuple[str, int, int]] = [
    ("rockridge", 20240610, 449),  # a label byte flipped to non-ASCII: pycdlib could not write the stripped ISO
]

ISOLINUX_CFG = """default linux0
label linux0
  kernel vmlinuz0
  append initrd=initrd0.img root=live:CDLABEL=FUZZ rd.live.image quiet
label check0
  kernel vmlinuz0
  append initrd=initrd0.img root=live:CDLABEL=FUZZ rd.live.image rd.live.check
"""
GRUB_CFG = """set default="0"
menuentry 'Start FUZZ' {
	linux /images/pxeboot/vmlinuz0 root=live:CDLABEL=FUZZ rd.live.image quiet
	initrd /images/pxeboot/initrd0.img
}
"""
#: name -> (mkisofs name options, kernel folder, configs)
VARIANTS: Dict[str, Tuple[Tuple[str, ...], str, Tuple[str, ...]]] = {
    "rockridge": (("-R", "-J"), "images/pxeboot", ("isolinux", "grub")),
    "joliet": (("-J", "--norock"), "images/pxeboot", ("grub",)),
    "plain": (("--norock",), "isolinux", ("isolinux",)),
}


def build_base(variant: str, dest: Path) -> Path:
    """A ~90 KiB live-looking ISO whose bytes depend on nothing but ``variant``."""
    xorriso = require_xorriso()
    name_trees, kernel_dir, configs = VARIANTS[variant]
    rng = random.Random(variant)
    tree = dest.with_suffix(".tree")
    files = {f"{kernel_dir}/vmlinuz0": rng.randbytes(5000), f"{kernel_dir}/initrd0.img": rng.randbytes(3001),
             "LiveOS/squashfs.img": rng.randbytes(4096), "LiveOS/osmin.img": rng.randbytes(700)}
    if "isolinux" in configs:
        files["isolinux/isolinux.cfg"] = ISOLINUX_CFG.encode()
    if "grub" in configs:
        files["boot/grub2/grub.cfg"] = GRUB_CFG.encode()
    for name, data in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(data)
    for path in [tree, *tree.rglob("*")]:
        os.utime(path, (1_700_000_000, 1_700_000_000))
    subprocess.run([xorriso, "-as", "mkisofs", "-quiet", "-no-pad", *name_trees, "-V", "FUZZ", "-o", str(dest),
                    str(tree)], check=True, capture_output=True, env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"})
    shutil.rmtree(tree)
    return dest


# --- where the structures are ----------------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    """One directory record: where it is in the image and what it points at."""

    offset: int
    length: int
    is_dir: bool
    extent: int
    size: int
    parent_extent: int


@dataclass
class Structure:
    descriptors: List[int]                # byte offsets of volume descriptors (PVD, SVDs, terminator)
    path_tables: List[Tuple[int, int]]    # (offset, size)
    records: List[Record]                 # every directory record of every tree, dot entries excluded


def _u32(data: bytes, offset: int) -> int:
    return struct.unpack_from("<I", data, offset)[0]


def _directory_records(data: bytes, extent: int, size: int) -> List[Tuple[int, bytes]]:
    found, offset, end = [], extent * SECTOR, min(extent * SECTOR + size, len(data))
    while offset < end:
        length = data[offset]
        if length == 0:  # records never cross a sector: the rest of this one is padding
            offset = (offset // SECTOR + 1) * SECTOR
            continue
        found.append((offset, data[offset:offset + length]))
        offset += length
    return found


def _walk(data: bytes, root_offset: int) -> List[Record]:
    root = data[root_offset:root_offset + 34]
    queue, seen, records = [(_u32(root, 2), _u32(root, 10))], set(), []
    while queue:
        extent, size = queue.pop()
        if extent in seen:
            continue
        seen.add(extent)
        for offset, raw in _directory_records(data, extent, size):
            if raw[33:34] in (b"\0", b"\1") and raw[32] == 1:  # '.' and '..'
                continue
            record = Record(offset, len(raw), bool(raw[25] & 2), _u32(raw, 2), _u32(raw, 10), extent)
            records.append(record)
            if record.is_dir:
                queue.append((record.extent, record.size))
    return records


def structure(data: bytes) -> Structure:
    found = Structure([], [], [])
    offset = 16 * SECTOR
    while offset + SECTOR <= len(data):
        kind = data[offset]
        found.descriptors.append(offset)
        if kind == 255:
            break
        if kind in (1, 2):
            table_size = _u32(data, offset + 132)
            found.path_tables.append((_u32(data, offset + 140) * SECTOR, table_size))
            found.path_tables.append((struct.unpack_from(">I", data, offset + 148)[0] * SECTOR, table_size))
            found.records += _walk(data, offset + 156)
        offset += SECTOR
    return found


# --- mutations --------------------------------------------------------------------------------------

def _flip(data: bytearray, start: int, length: int, rng: random.Random, flips: int) -> str:
    spots = sorted(rng.randrange(start, start + length) for _ in range(flips))
    for spot in spots:
        data[spot] = rng.choice([data[spot] ^ (1 << rng.randrange(8)), 0, 0xFF, rng.randrange(256)])
    return f"bytes at {spots}"


def _both_endian(data: bytearray, offset: int, value: int) -> None:
    """A 32-bit both-endian field (ISO 9660 7.3.3): little-endian then big-endian copy."""
    struct.pack_into("<I", data, offset, value & 0xFFFFFFFF)
    struct.pack_into(">I", data, offset + 4, value & 0xFFFFFFFF)


def flip_descriptor(data: bytearray, found: Structure, rng: random.Random) -> str:
    offset = rng.choice(found.descriptors)
    return "descriptor " + _flip(data, offset, 256 if rng.random() < 0.7 else SECTOR, rng, rng.randint(1, 4))


def flip_record(data: bytearray, found: Structure, rng: random.Random) -> str:
    record = rng.choice(found.records)
    return "record " + _flip(data, record.offset, record.length, rng, rng.randint(1, 3))


def flip_path_table(data: bytearray, found: Structure, rng: random.Random) -> str:
    offset, size = rng.choice(found.path_tables)
    return "path table " + _flip(data, offset, max(1, min(size, len(data) - offset)), rng, rng.randint(1, 4))


def extent_past_end(data: bytearray, found: Structure, rng: random.Random) -> str:
    record = rng.choice(found.records)
    end_sector = len(data) // SECTOR
    field, value = rng.choice([(2, end_sector + rng.randint(0, 64)), (2, 0xFFFFFFFF - rng.randrange(4)),
                               (10, len(data) + rng.randint(1, 1 << 20)), (10, 0xFFFFFFFF),
                               (2, end_sector - 1)])
    _both_endian(data, record.offset + field, value)
    return f"record at {record.offset}: {'extent' if field == 2 else 'size'} = {value}"


def directory_loop(data: bytearray, found: Structure, rng: random.Random) -> str:
    folders = [r for r in found.records if r.is_dir] or found.records
    record = rng.choice(folders)
    target = rng.choice([record.parent_extent, *(r.extent for r in folders)])
    _both_endian(data, record.offset + 2, target)
    return f"record at {record.offset}: extent = {target} (a folder)"


def bad_lengths(data: bytearray, found: Structure, rng: random.Random) -> str:
    if rng.random() < 0.5:
        record = rng.choice(found.records)
        spot = record.offset + rng.choice([0, 1, 32])  # record length, extended attribute length, name length
        data[spot] = rng.choice([0, 1, 33, 34, 255, rng.randrange(256)])
        return f"length byte at {spot} = {data[spot]}"
    offset = rng.choice(found.descriptors[:1])
    value = rng.choice([0, 1, 512, 4096, 65535])
    struct.pack_into("<H", data, offset + 128, value)
    struct.pack_into(">H", data, offset + 130, value)
    return f"logical block size = {value}"


def truncate(data: bytearray, found: Structure, rng: random.Random) -> str:
    cut = rng.randrange(16 * SECTOR, len(data))
    del data[cut:]
    return f"truncated to {cut}"


def flip_anywhere(data: bytearray, found: Structure, rng: random.Random) -> str:
    return "anywhere " + _flip(data, 16 * SECTOR, min(len(data), 48 * SECTOR) - 16 * SECTOR, rng, rng.randint(1, 8))


MUTATIONS: List[Callable[[bytearray, Structure, random.Random], str]] = [
    flip_descriptor, flip_record, flip_path_table, extent_past_end, directory_loop, bad_lengths, truncate,
    flip_anywhere]


@dataclass(frozen=True)
class Case:
    variant: str
    seed: int
    index: int

    @property
    def payload(self) -> str:
        return "liveos" if self.index % 3 == 2 else "iso"

    def mutate(self, base: bytes) -> Tuple[bytes, str]:
        """The mutated ISO and what was done to it, from (variant, seed, index) alone."""
        rng = random.Random(f"{self.variant}:{self.seed}:{self.index}")
        data = bytearray(base)
        found = structure(base)
        chosen = rng.choices(MUTATIONS, k=rng.choice([1, 1, 1, 2]))
        chosen.sort(key=lambda mutation: mutation is truncate)  # the others find their structures by offset
        done = [mutation.__name__ + ": " + mutation(data, found, rng) for mutation in chosen]
        return bytes(data), "; ".join(done)

    def __str__(self) -> str:
        return f"({self.variant!r}, {self.seed}, {self.index}) payload={self.payload}"


# --- one bounded conversion ----------------------------------------------------------------------------

def _convert_and_verify(iso: Path, out: Path, payload: str) -> dict:
    try:
        convert(ConvertOptions(iso=iso, output=out, payload=payload, progress=False, checksums=False))
    except LivepxeError as exc:
        return {"outcome": "error", "message": str(exc)}
    report = verify(out)
    return {"outcome": "tree", "problems": report.problems}


def _address_space_in_use() -> int:
    """The forked child's inherited mappings: after a test that ran many threads, glibc keeps one malloc
    arena per thread reserved (about 1 GiB for 250 threads), so a fixed limit would starve the child."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


def _child(iso: Path, out: Path, payload: str, write_fd: int) -> None:
    """In the forked child: limits on, convert, report one JSON line, exit without running pytest's teardown."""
    limit = _address_space_in_use() + CASE_ADDRESS_SPACE
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result = _convert_and_verify(iso, out, payload)
    except BaseException:  # the finding itself: report it to the parent rather than lose it
        result = {"outcome": "crash", "traceback": traceback.format_exc()}
    os.write(write_fd, json.dumps(result).encode())
    os._exit(0)


def run_bounded(iso: Path, out: Path, payload: str) -> dict:
    """Convert ``iso`` in a forked child; a child that outlives CASE_SECONDS is killed and reported as a hang."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(iso, out, payload, write_fd)
    os.close(write_fd)
    chunks, deadline = [], time.monotonic() + CASE_SECONDS
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([read_fd], [], [], deadline - time.monotonic())
            chunk = os.read(read_fd, 1 << 16) if ready else b""
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
    if time.monotonic() >= deadline:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if chunks:
        return json.loads(b"".join(chunks))
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL and time.monotonic() >= deadline:
        return {"outcome": "hang"}
    return {"outcome": "died", "status": status}


def check(case: Case, base: bytes, work: Path) -> Tuple[str, str]:
    """Run one case; return (outcome, what went wrong) with an empty second part when it ended well."""
    data, mutation = case.mutate(base)
    folder = work / f"{case.variant}-{case.index}"
    folder.mkdir()
    iso = folder / "fuzz.iso"
    iso.write_bytes(data)
    result = run_bounded(iso, folder / "tree", case.payload)
    outcome = result["outcome"]
    shutil.rmtree(folder)
    if outcome == "error":
        message = result["message"]
        if "\n" in message or "\r" in message or str(iso) not in message:
            return outcome, f"{case}: {mutation}: the error is not one line naming the ISO: {message!r}"
        return outcome, ""
    if outcome == "tree":
        return outcome, f"{case}: {mutation}: tree fails verify: {result['problems']}" if result["problems"] else ""
    return outcome, f"{case}: {mutation}: {outcome}: {result.get('traceback') or result}"


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> Dict[str, bytes]:
    folder = tmp_path_factory.mktemp("fuzz-bases")
    return {name: build_base(name, folder / f"{name}.iso").read_bytes() for name in VARIANTS}


def test_the_bases_convert_and_verify(bases, tmp_path):
    for name, data in bases.items():
        assert len(data) < 100 * 1024
        iso = tmp_path / f"{name}.iso"
        iso.write_bytes(data)
        assert run_bounded(iso, tmp_path / name, "iso") == {"outcome": "tree", "problems": []}


def test_every_mutation_is_a_tree_or_a_one_line_error(bases, tmp_path):
    cases = [Case(v, s, i) for v, s, i in REGRESSIONS]
    cases += [Case(name, SEED, index) for index in range(COUNT) for name in [sorted(VARIANTS)[index % len(VARIANTS)]]]
    outcomes: Dict[str, int] = {}
    failures = []
    for case in cases:
        outcome, failure = check(case, bases[case.variant], tmp_path)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if failure:
            failures.append(failure)
    print(f"fuzz: {len(cases)} cases, seed {SEED}: {outcomes}, {len(failures)} failures")
    assert not failures, "\n\n".join(failures)
    assert outcomes.get("error", 0) and outcomes.get("tree", 0)  # the mutations reach both ends
