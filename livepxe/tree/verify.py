"""``livepxe verify TREE``: is this tree whole, and does every boot path point at something real?

Static checks, each cheap enough for a gigabyte tree: the SHA256SUMS
manifest (unless the tree was written without one); every file a pxelinux,
GRUB or iPXE config names exists inside the TFTP root; GRUB's own parser
accepts grub.cfg; and each entry's ``root=live:/NAME.iso`` names an ISO 9660
image that one of that entry's initrds carries as a cpio member (``cpioscan``
reads headers and seeks over data; a compressed archive, found where
``livepxe.json`` says it starts, is streamed through its decompressor, which
checks its own CRC).  ``--boot`` then boots the tree in QEMU by each boot
path the tree has (``livepxe.boottest``).
"""

from __future__ import annotations

import argparse
import os
import posixpath
import re
import stat
import sys
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from ..bootconf import FORMATS, dhcpd, dnsmasq, kea, tree_entries
from ..bootconf import kind_of as config_kind
from ..bootconf.entry import BootEntry as ConfigEntry  # tree_entries: paths from the TFTP root
from ..bootconf.text import kernel_words, printable
from ..errors import LivepxeError
from ..host import run as host_run
from ..iso import cpioscan, initrdprobe
from ..write import payload
from ..write.streamcopy import sha256_file
from . import httpboot, note
from .layout import DHCPD, DHCPD_TOPLEVEL, DNSMASQ, KEA, NOTE, SUMS
from .manifest import parse_sha256sums
from .note import TreeNote


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


PARSERS = {kind: partial(tree_entries, kind) for kind in FORMATS}


def check_sums(root: Path, sums: dict[str, str], report: Report) -> None:
    bad = 0
    for relpath, digest in sorted(sums.items()):
        path = inside_root(root, relpath)
        if path is None:
            report.problems.append(f"{relpath}: listed in {SUMS} but outside the TFTP root {root}")
            bad += 1
        elif not path.is_file():
            report.problems.append(f"{relpath}: listed in {SUMS} but missing")
            bad += 1
        elif sha256_file(path) != digest:
            report.problems.append(f"{relpath}: checksum differs from {SUMS} (corrupted or changed)")
            bad += 1
    if not bad:   # a mismatch is a problem above, never an "ok" line
        report.checked.append(f"{SUMS}: all {len(sums)} files match")


def inside_root(root: Path, relpath: str) -> Path | None:
    """``relpath`` under ``root``, or None when it (or a symlink on the way) leads outside it."""
    path = root / relpath
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return path


#: Entries `check_entries` looks at before it gives up: a tree has tens, an integrated root thousands.
SCAN_LIMIT = 200_000
#: Links followed to resolve one link, as the kernel's own limit.
MAX_LINKS = 40
_SPECIAL = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
            (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
_KEEP_IN = "a tree holds only folders, regular files and links that stay inside it"


def check_entries(root: Path, limit: int = SCAN_LIMIT) -> list[str]:
    """Problems with what ``root`` holds: FIFOs, sockets, devices, links leaving it; never follows a link.

    ``serve`` hands the tree to dnsmasq and HTTP clients as root: one FIFO
    freezes dnsmasq's TFTP, a link out of the tree reaches /dev or /proc.
    """
    problems: list[str] = []
    folders, seen = [root], 0
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            problems.append(f"{_shown(root, folder)}: cannot be read ({exc.strerror}); make it readable")
            continue
        for entry in entries:
            seen += 1
            if seen > limit:
                return problems + [f"{root} holds too many entries (more than {limit}) to check; serve a folder "
                                   "that holds the tree alone"]
            try:
                problem = _entry_problem(root, Path(entry.path), entry)
            except FileNotFoundError:
                continue     # removed while the scan ran: nothing left to refuse
            if problem:
                problems.append(problem)
            elif entry.is_dir(follow_symlinks=False):
                folders.append(Path(entry.path))
    return problems


def _entry_problem(root: Path, path: Path, entry: os.DirEntry) -> str | None:
    """Why ``entry`` has no place in a tree, or None."""
    if entry.is_symlink():
        target = os.readlink(path)
        why = _link_leaves(root, path)
        return f"{_shown(root, path)}: {why} ({printable(target, 200)}); {_KEEP_IN}" if why else None
    mode = entry.stat(follow_symlinks=False).st_mode
    for test, what in _SPECIAL:
        if test(mode):
            return f"{_shown(root, path)}: {what}; remove it, {_KEEP_IN}"
    return None


def _link_leaves(root: Path, link: Path) -> str | None:
    """How resolving ``link`` component by component leaves ``root`` (a why-text), or None when it stays."""
    inside = list(link.parent.relative_to(root).parts)
    pending = os.readlink(link).split("/")
    hops = 1
    if pending[0] == "":
        return f"a link to an absolute path, outside the TFTP root {root}"
    while pending:
        name = pending.pop(0)
        if name in ("", "."):
            continue
        if name == "..":
            if not inside:
                return f"a link that leads out of the TFTP root {root}"
            inside.pop()
            continue
        here = root.joinpath(*inside, name)
        if not here.is_symlink():
            inside.append(name)
            continue
        hops += 1
        target = os.readlink(here)
        if hops > MAX_LINKS:
            return f"a link through more than {MAX_LINKS} links (a loop)"
        if target.startswith("/"):
            return f"a link through {_shown(root, here)}, an absolute link outside the TFTP root {root}"
        pending[:0] = target.split("/")
    return None


def _shown(root: Path, path: Path) -> str:
    """``path`` from ``root``, printable (file names are the tree owner's text)."""
    return printable(str(path.relative_to(root)) if path != root else str(root), 300)


class _Tree:
    """What verify knows of a tree: its root, its note, and the initrds it has already read."""

    def __init__(self, root: Path, tree_note: TreeNote | None, report: Report) -> None:
        self.root, self.note, self.report = root, tree_note, report
        self._carried: dict[tuple[str, str], tuple[int, bool] | str | None] = {}
        base = tree_note.http_boot if tree_note else None
        self.http = httpboot.HttpBoot(base) if base else None

    def local(self, entry: ConfigEntry) -> ConfigEntry:
        """``entry`` with URLs under the note's ``--http-boot`` base as paths from the TFTP root.

        A URL outside the base, or any URL in a tree whose note records no base, is a problem
        (and stays a URL, which the other checks skip); a tree without a note keeps its URLs unchecked.
        """
        def path(p: str) -> str:
            if "://" not in p or self.note is None:
                return p
            mapped = self.http.relpath(p) if self.http else None
            if mapped is None:
                why = (f"outside the --http-boot base {self.http.base}" if self.http
                       else f"but {NOTE} records no --http-boot base")
                self.report.problems.append(f"{entry.config}: names {p}, {why}")
                return p
            return mapped
        return replace(entry, kernel=path(entry.kernel), initrds=tuple(path(p) for p in entry.initrds))

    def carried_iso(self, initrd: str, name: str) -> tuple[int, bool] | str | None:
        """(size, is ISO 9660) of member ``name`` in ``initrd``; a problem text; or None when absent."""
        key = (initrd, name)
        if key not in self._carried:
            self._carried[key] = self._scan(initrd, name)
        return self._carried[key]

    def _scan(self, initrd: str, name: str) -> tuple[int, bool] | str | None:
        path = self.root / initrd
        offset = self.note.carried_archives.get(initrd) if self.note else None
        method = self.note.compress if self.note else "none"
        if offset is None or method == "none":
            hit = next((m for m in cpioscan.members(path) if m.name.lstrip("./") == name), None)
            return (hit.size, cpioscan.is_iso9660(path, hit.offset)) if hit else None
        command = payload.decompressor(method)
        if host_run.which(command[0]) is None:
            return f"cannot look inside {initrd}: {host_run.missing(command[0])}"
        with open(path, "rb") as source:
            source.seek(offset)
            proc = host_run.popen(command[0], command[1:], stdin=source, stdout=host_run.PIPE, stderr=host_run.DEVNULL)
            assert proc.stdout is not None
            try:
                found = cpioscan.find_in_stream(proc.stdout, name)
                while proc.stdout.read(cpioscan.CHUNK):  # to the end: the decompressor checks its CRC there
                    pass
            finally:
                proc.stdout.close()
                status = proc.wait()
        if status != 0:
            return f"the {method} archive in {initrd} is damaged ({command[0]} exit {status})"
        return (found.size, cpioscan.is_iso9660_head(found.head)) if found else None


def check_entry(tree: _Tree, entry: ConfigEntry) -> None:
    entry = tree.local(entry)
    root, report, where = tree.root, tree.report, entry.config
    for path in [p for p in [entry.kernel, *entry.initrds] if "://" not in p]:
        resolved = inside_root(root, path)
        if resolved is None:
            report.problems.append(f"{where}: names {path}, which resolves outside the TFTP root {root}")
        elif not resolved.is_file():
            report.problems.append(f"{where}: names {path}, which is not under the TFTP root {root}")
    roots = [w[5:] for w in kernel_words(entry.cmdline) if w.startswith("root=")]
    if not roots:
        report.problems.append(f"{where}: kernel arguments have no root=")
        return
    spec = roots[-1]
    if spec.startswith("live:/"):
        name = spec[len("live:/"):]
        for initrd in entry.initrds:
            if "://" in initrd or inside_root(root, initrd) is None or not (root / initrd).is_file():
                continue
            hit = tree.carried_iso(initrd, name)
            if isinstance(hit, str):
                report.problems.append(f"{where}: {hit}")
                return
            if hit:
                size, is_iso = hit
                if not is_iso:
                    report.problems.append(f"{where}: /{name} in {initrd} is not an ISO 9660 image")
                else:
                    report.checked.append(f"{where}: root=live:/{name} is carried by {initrd} ({size} bytes)")
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


def check_grub_syntax(root: Path, relpath: str, report: Report) -> None:
    """GRUB's own parser must accept the config (when grub-script-check is installed)."""
    if host_run.which("grub-script-check") is None:
        return
    proc = host_run.run("grub-script-check", [str(root / relpath)], check=False)
    if proc.returncode != 0:
        why = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        report.problems.append(f"{relpath}: GRUB rejects it ({why[-1] if why else 'grub-script-check failed'})")
    else:
        report.checked.append(f"{relpath}: GRUB's own parser accepts it")


def require_folder(tree: Path) -> Path:
    """``tree`` made absolute; one line when it is missing or not a folder (verify and serve say the same)."""
    tree = tree.absolute()
    if not tree.exists():
        raise LivepxeError(f"{tree} does not exist; give a tree written by livepxe (the tree, or its --imagedir)")
    if not tree.is_dir():
        raise LivepxeError(f"{tree} is not a folder; give a tree written by livepxe (the tree, or its --imagedir)")
    return tree


def _locate(tree: Path) -> tuple[Path, TreeNote | None, dict[str, str] | None]:
    """The TFTP root, the note and the manifest of a tree or an integrated tree's image folder."""
    tree = require_folder(tree)
    tree_note = note.read(tree)
    sums_text = _regular_text(tree / SUMS)
    sums = parse_sha256sums(sums_text) if sums_text is not None else None
    if tree_note is not None:
        root = tree.parents[tree_note.root_below - 1] if tree_note.root_below else tree
        return root, tree_note, sums
    if sums is None:
        raise LivepxeError(f"{tree} has neither {NOTE} nor {SUMS}; give a folder written by livepxe "
                           "(the tree, or its --imagedir)")
    return find_root(tree, list(sums)), None, sums


def _regular_text(path: Path) -> str | None:
    """The text of ``path`` if it is a regular file (never through a link, never a FIFO), else None."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with open(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return None
        return stream.read().decode(errors="replace")


def verify(folder: Path) -> Report:
    root, tree_note, sums = _locate(folder)
    report = Report(root)
    report.problems += check_entries(root)
    if report.problems:
        return report   # nothing more is read from a tree holding what serve must never hand out
    if sums is not None:
        check_sums(root, sums, report)
    elif tree_note is not None and not tree_note.checksums:
        report.checked.append(f"no {SUMS}: written with --no-checksums, so file contents are not checked")
    else:
        report.problems.append(f"{SUMS} is missing, though {NOTE} says it was written; convert again")
    configs = sorted(set(tree_note.configs.values()) if tree_note else {p for p in sums or {} if config_kind(p)})
    if not configs:
        report.problems.append("no boot config found")
    tree = _Tree(root, tree_note, report)
    for relpath in configs:
        path, kind = inside_root(root, relpath), config_kind(relpath)
        if path is None:
            report.problems.append(f"{relpath}: resolves outside the TFTP root {root}")
            continue
        if not path.is_file() or kind is None:
            report.problems.append(f"{relpath}: boot config missing")
            continue
        if kind == "grub":
            check_grub_syntax(root, relpath, report)
        entries = PARSERS[kind](path.read_text(errors="replace"), relpath)
        if not entries:
            report.problems.append(f"{relpath}: no boot entry found")
        for entry in entries:
            check_entry(tree, entry)
    if tree_note is not None:
        check_boot_files(root, tree_note, report)
        check_dhcp_snippets(root, tree_note, report)
    return report


_SNIPPET_PARSERS = {DNSMASQ: dnsmasq.parse, DHCPD: dhcpd.parse, KEA: kea.parse}


def check_dhcp_snippets(root: Path, tree_note: TreeNote, report: Report) -> None:
    """Each DHCP snippet the tree holds must route to the boot files livepxe.json names (sites use them as written)."""
    base = f"{tree_note.image_dir}/" if tree_note.image_dir else ""
    wanted = tree_note.boot_files
    for name, parse in _SNIPPET_PARSERS.items():
        path = inside_root(root, base + name)
        if path is None or not path.is_file():
            continue   # SHA256SUMS names what the tree must hold; an older livepxe wrote fewer snippets
        try:
            got = parse(path.read_text(errors="replace"))
        except ValueError as exc:
            report.problems.append(f"{base}{name}: cannot be read as its daemon reads it ({str(exc)[:80]})")
            continue
        if (got.bios, got.uefi, got.ipxe) != (wanted.bios, wanted.uefi, wanted.ipxe):
            report.problems.append(f"{base}{name}: routes BIOS {got.bios}, UEFI {got.uefi}, iPXE {got.ipxe}; "
                                   f"{NOTE} says {wanted.bios}, {wanted.uefi}, {wanted.ipxe}: convert again")
        else:
            report.checked.append(f"{base}{name} routes each client kind to its boot file")
    top = inside_root(root, base + DHCPD_TOPLEVEL)
    if top is not None and top.is_file():
        defined = [s.tokens[:4] for s in dhcpd.statements(top.read_text(errors="replace"))]
        if ("option", dhcpd.ARCH_OPTION, "code", "93") not in defined:
            report.problems.append(f"{base}{DHCPD_TOPLEVEL}: does not define option 93 as {dhcpd.ARCH_OPTION}, "
                                   f"which {DHCPD} tests: convert again")


def check_boot_files(root: Path, tree_note: TreeNote, report: Report) -> None:
    """The boot files livepxe.json (and so the DHCP snippets) name must exist under the TFTP root."""
    for kind, path in tree_note.boot_files.items():
        if not path or "://" in path:
            continue
        resolved = inside_root(root, path)
        if resolved is None or not resolved.is_file():
            report.problems.append(f"{NOTE}: the {kind} boot file {path} is not under the TFTP root {root}")
        elif kind == "bios" and tree_note.http_boot and posixpath.basename(path) == "pxelinux.0":
            report.problems.append(f"{NOTE}: BIOS clients boot {path}, which cannot fetch the configs' http:// "
                                   f"URLs; the tree needs {httpboot.BIOS_HTTP_LOADER}")
        else:
            report.checked.append(f"{kind} clients boot {path}")


def run(args: argparse.Namespace) -> int:
    report = verify(args.tree)
    for line in report.checked:
        print(f"ok: {line}")
    for line in report.problems:
        print(f"FAIL: {line}")
    status = 0 if report.ok else 1
    if args.boot and report.ok:
        from ..boottest import options as boot_options
        from ..boottest import session
        from ..boottest.tree import MODES
        sys.stdout.flush()
        if not session.boot_tree(args.tree, boot_options.from_args(args), MODES, say=lambda s: print(s, flush=True)):
            status = 1
    elif args.boot:
        print("not booting: fix the problems above first")
    print("verify: " + ("PASS" if status == 0 else "FAIL"))
    return status


def add_parser(subparsers) -> None:
    from ..boottest import options as boot_options
    parser = subparsers.add_parser("verify", help="check a tree's checksums, config paths and kernel arguments",
                                   description="Check a tree written by livepxe; --boot also boots it in QEMU "
                                               "(the same harness and options as livepxe boot-test).")
    parser.add_argument("tree", type=Path, metavar="TREE", help="the tree (or, for integration, its --imagedir folder)")
    parser.add_argument("--boot", action="store_true", help="after the checks pass, boot every way the tree has "
                                                           "(BIOS, UEFI, iPXE) in QEMU")
    boot_options.add_arguments(parser, default_modes="every mode the tree has")
    parser.set_defaults(func=run)


if __name__ == "__main__":
    sys.exit(run(argparse.Namespace(tree=Path(sys.argv[1]), boot=False)))
