"""``livepxe verify TREE``: is this tree whole, and does every boot path point at something real?

Three static checks, each cheap enough for a gigabyte tree: the
SHA256SUMS manifest; every file a pxelinux, GRUB or iPXE config names
exists under the TFTP root; and each entry's ``root=live:/NAME.iso`` names
an ISO 9660 image that one of that entry's initrds carries as a cpio member
(``cpioscan`` reads headers and seeks over data).  ``--boot`` then boots
the tree in QEMU by each boot path the tree has (``boot_modes``).
"""

from __future__ import annotations

import argparse
import json
import posixpath
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import cpioscan, initrdprobe
from .bootconf import ipxe
from .cmdline import split_words
from .errors import LivepxeError
from .manifest import parse_sha256sums
from .streamcopy import sha256_file

SUMS = "SHA256SUMS"


@dataclass
class ConfigEntry:
    config: str                 # the config's path from the TFTP root
    kernel: str                 # paths from the TFTP root
    initrds: list[str]
    cmdline: str


@dataclass
class Report:
    root: Path
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def find_root(tree: Path, listed: list[str]) -> Path:
    """The TFTP root the manifest's paths are relative to: ``tree`` or one of its parents."""
    for candidate in (tree, *tree.parents):
        if listed and all((candidate / p).exists() for p in listed[:3]):
            return candidate
    return tree


def _from_root(path: str, base: str = "") -> str:
    """A config's path as a path from the TFTP root (GRUB devices and leading slashes dropped)."""
    path = re.sub(r"^\([^)]*\)", "", path)
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(base, path)
    return posixpath.normpath(joined)


def pxelinux_entries(text: str, config: str) -> list[ConfigEntry]:
    entries: list[ConfigEntry] = []
    for line in text.splitlines():
        words = line.split(None, 1)
        if not words:
            continue
        key, rest = words[0].upper(), (words[1] if len(words) > 1 else "")
        if key == "LABEL":
            entries.append(ConfigEntry(config, "", [], ""))
        elif entries and key in ("KERNEL", "LINUX"):
            entries[-1].kernel = _from_root(rest.strip())
        elif entries and key == "INITRD":
            entries[-1].initrds += [_from_root(p) for p in rest.strip().split(",")]
        elif entries and key == "APPEND":
            args = []
            for word in split_words(rest):
                if word.startswith("initrd="):
                    entries[-1].initrds += [_from_root(p) for p in word[7:].split(",")]
                else:
                    args.append(word)
            entries[-1].cmdline = " ".join(args)
    return [e for e in entries if e.kernel]


def grub_entries(text: str, config: str) -> list[ConfigEntry]:
    entries: list[ConfigEntry] = []
    for line in text.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if not words:
            continue
        if words[0] in ("linux", "linuxefi") and len(words) > 1:
            entries.append(ConfigEntry(config, _from_root(words[1]), [], " ".join(words[2:])))
        elif words[0] in ("initrd", "initrdefi") and entries:
            entries[-1].initrds += [_from_root(p) for p in words[1:]]
    return entries


def ipxe_entries(text: str, config: str) -> list[ConfigEntry]:
    base = posixpath.dirname(config)
    entries: list[ConfigEntry] = []
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] in ("kernel", "chain") and len(words) > 1:
            args = [w for w in words[2:] if not w.startswith("initrd=")]
            entries.append(ConfigEntry(config, words[1] if "://" in words[1] else _from_root(words[1], base),
                                       [], " ".join(args)))
        elif words[0] in ("initrd", "imgfetch", "module") and entries:
            uri = [w for w in words[1:] if not w.startswith("-")][0]
            entries[-1].initrds.append(uri if "://" in uri else _from_root(uri, base))
    return entries


def config_kind(relpath: str) -> str | None:
    if relpath.startswith("pxelinux.cfg/"):
        return "pxelinux"
    if relpath.endswith(".cfg") and (relpath.startswith("grub/") or relpath == "grub.cfg"):
        return "grub"
    if PurePosixPath(relpath).name == ipxe.SCRIPT_NAME:
        return "ipxe"
    return None


PARSERS = {"pxelinux": pxelinux_entries, "grub": grub_entries, "ipxe": ipxe_entries}


def check_sums(root: Path, sums: dict[str, str], report: Report) -> None:
    bad = 0
    for relpath, digest in sorted(sums.items()):
        path = root / relpath
        if not path.is_file():
            report.problems.append(f"{relpath}: listed in {SUMS} but missing")
            bad += 1
        elif sha256_file(path) != digest:
            report.problems.append(f"{relpath}: checksum differs from {SUMS} (corrupted or changed)")
            bad += 1
    report.checked.append(f"{SUMS}: {len(sums) - bad}/{len(sums)} files match")


def check_entry(root: Path, entry: ConfigEntry, report: Report, scans: dict[str, list[cpioscan.Member]]) -> None:
    where = f"{entry.config}"
    local = [p for p in [entry.kernel, *entry.initrds] if "://" not in p]
    for path in local:
        if not (root / path).is_file():
            report.problems.append(f"{where}: names {path}, which is not under the TFTP root {root}")
    roots = [w[5:] for w in split_words(entry.cmdline) if w.startswith("root=")]
    if not roots:
        report.problems.append(f"{where}: kernel arguments have no root=")
        return
    spec = roots[-1]
    if spec.startswith("live:/"):
        name = spec[len("live:/"):]
        for initrd in entry.initrds:
            if "://" in initrd or not (root / initrd).is_file():
                continue
            if initrd not in scans:
                scans[initrd] = cpioscan.members(root / initrd)
            hit = next((m for m in scans[initrd] if m.name.lstrip("./") == name), None)
            if hit:
                if not cpioscan.is_iso9660(root / initrd, hit.offset):
                    report.problems.append(f"{where}: /{name} in {initrd} is not an ISO 9660 image")
                else:
                    report.checked.append(f"{where}: root=live:/{name} is carried by {initrd} ({hit.size} bytes)")
                return
        report.problems.append(f"{where}: root=live:/{name} but no initrd of the entry carries {name}")
    elif re.match(r"^live:(https?|ftp|tftp)://", spec):
        carried = posixpath.join(posixpath.dirname(entry.kernel), posixpath.basename(spec.split("?")[0]))
        if (root / carried).is_file() and not cpioscan.is_iso9660(root / carried):
            report.problems.append(f"{where}: {carried}, the ISO to serve for {spec[5:]}, is not an ISO 9660 image")
        local = [p for p in entry.initrds[:1] if "://" not in p and (root / p).is_file()]
        for problem in initrdprobe.http_root_problems(root / local[0]) if local else []:
            report.problems.append(f"{where}: {problem}")
        served = f"the tree's {carried}" if (root / carried).is_file() else "a file outside the tree"
        report.checked.append(f"{where}: the client downloads {spec[5:]} ({served}; not fetched by verify)")
    else:
        report.checked.append(f"{where}: root={spec} is not a livepxe root (left as given)")


def verify(tree: Path) -> Report:
    sums_path = tree / SUMS
    if not sums_path.is_file():
        raise LivepxeError(f"{tree} has no {SUMS}; give a folder written by livepxe (the tree, or its --imagedir)")
    sums = parse_sha256sums(sums_path.read_text())
    root = find_root(tree.absolute(), list(sums))
    report = Report(root)
    check_sums(root, sums, report)
    scans: dict[str, list[cpioscan.Member]] = {}
    configs = sorted(p for p in sums if config_kind(p))
    if not configs:
        report.problems.append(f"{SUMS} lists no boot config")
    for relpath in configs:
        path, kind = root / relpath, config_kind(relpath)
        if not path.is_file() or kind is None:
            continue
        entries = PARSERS[kind](path.read_text(errors="replace"), relpath)
        if not entries:
            report.problems.append(f"{relpath}: no boot entry found")
        for entry in entries:
            check_entry(root, entry, report, scans)
    check_boot_files(tree, root, report)
    return report


def check_boot_files(tree: Path, root: Path, report: Report) -> None:
    """The boot files livepxe.json (and so the DHCP snippets) name must exist under the TFTP root."""
    note = tree / "livepxe.json"
    if not note.is_file():
        return
    try:
        files = json.loads(note.read_text()).get("boot_files") or {}
    except ValueError:
        report.problems.append(f"{note.name}: not valid JSON")
        return
    for kind, path in sorted(files.items()):
        if path and "://" not in path and not (root / path).is_file():
            report.problems.append(f"{note.name}: the {kind} boot file {path} is not under the TFTP root {root}")
        elif path:
            report.checked.append(f"{kind} clients boot {path}")


def run(args: argparse.Namespace) -> int:
    report = verify(args.tree)
    for line in report.checked:
        print(f"ok: {line}")
    for line in report.problems:
        print(f"FAIL: {line}")
    status = 0 if report.ok else 1
    if args.boot and report.ok:
        from .boottest.modes import boot_tree
        status = boot_tree(report.root, args) or status
    elif args.boot:
        print("not booting: fix the problems above first")
    print("verify: " + ("PASS" if status == 0 else "FAIL"))
    return status


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("verify", help="check a tree's checksums, config paths and kernel arguments",
                                   description="Check a tree written by livepxe; --boot also boots it in QEMU.")
    parser.add_argument("tree", type=Path, metavar="TREE", help="the tree (or, for integration, its --imagedir folder)")
    parser.add_argument("--boot", action="store_true", help="boot each boot path (BIOS, UEFI, iPXE) in QEMU")
    parser.add_argument("--only", action="append", choices=("bios", "uefi", "ipxe"),
                        help="with --boot: boot only this way (repeatable; default: every way the tree has)")
    parser.add_argument("--marker", help="console text that proves the live system came up "
                                         "(default: the live root's systemd banner or a serial login prompt)")
    parser.add_argument("--timeout", type=float, help="seconds per boot (default: by accelerator; TCG is slow)")
    parser.add_argument("--ram", type=int, default=None, help="guest RAM in MiB (default: livepxe.json's estimate)")
    parser.set_defaults(func=run)


if __name__ == "__main__":
    sys.exit(run(argparse.Namespace(tree=Path(sys.argv[1]), boot=False)))
