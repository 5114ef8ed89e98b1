"""Command line: ``livepxe SUBCOMMAND`` and ``livecd-iso-to-pxeboot`` (= ``livepxe convert``).

Every failure the user can fix ends as one line on stderr and a non-zero
exit; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Callable, NoReturn, Sequence

from . import __version__, optiontable, progress, signals
from .bootconf import printable
from .convert import ConvertResult, convert, dry_run
from .errors import LivepxeError
from .options import ConvertOptions, choices
from .tree.netboot import dhcp_snippets
from .tree.note import TreeNote
from .write import treewriter

#: Modules that add a subcommand: each has add_parser(subparsers) setting ``func``.
SUBCOMMAND_MODULES: tuple[str, ...] = ("livepxe.tree.verify", "livepxe.boottest.cli", "livepxe.serve.cli",
                                       "livepxe.catalogue.cli")


def add_convert_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("iso", type=Path, metavar="ISO", help="live ISO made by livecd-creator")
    groups = {"delivery": parser.add_argument_group("delivery (default: a self-contained ./tftpboot folder)"),
              "boot": parser.add_argument_group("boot")}
    for spec in optiontable.TABLE:  # defaults stay ConvertOptions' own: only what is given is passed on
        names = [spec.short, spec.flag] if spec.short else [spec.flag]
        groups[spec.group].add_argument(*names, dest=spec.field, metavar=None if spec.choices else spec.metavar,
                                        type=Path if spec.path else str, help=spec.help,
                                        choices=choices(spec.choices) if spec.choices else None)
    parser.add_argument("--print-dhcp", action="store_true", help="print the DHCP snippets (dnsmasq, dhcpd, Kea)")
    parser.add_argument("--plan", action="store_true",
                        help="dry run: print every decision and file of the tree as JSON and write nothing")
    parser.add_argument("--force", action="store_true",
                        help="replace a tree, or the files of the same image, that livepxe wrote (nothing else)")
    parser.add_argument("--accept-media", action="store_true",
                        help="convert media livepxe refuses as unbootable from a tree (installer media, Fedora "
                             "CoreOS live, another architecture, an initramfs without dracut's dmsquash-live) "
                             "when you know better")
    parser.add_argument("--no-checksums", dest="checksums", action="store_false",
                        help="skip SHA256SUMS (saves the SHA-256 pass, ~0.7 s per GiB here) "
                             "when the compose checksums itself")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary")


def options_from(args: argparse.Namespace) -> ConvertOptions:
    given = {spec.field: getattr(args, spec.field) for spec in optiontable.TABLE
             if getattr(args, spec.field) is not None}
    return ConvertOptions(iso=args.iso, force=args.force, progress=not args.quiet, checksums=args.checksums,
                          accept_media=args.accept_media, **given)


def _size(nbytes: int) -> str:
    if nbytes < 1024:
        return f"{nbytes} B"
    value = float(nbytes)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"


def summary(result: ConvertResult) -> str:
    kind = "integrated into" if result.layout.integrated else "self-contained tree"
    lines = [f"{kind} {result.root}"]
    for path in result.files:
        lines.append(f"  {str(path.relative_to(result.root)):<40} {_size(path.stat().st_size):>10}")
    lines.append(f"  kernel arguments: {printable(result.entries[0].cmdline)}")
    note = result.note
    lines.append(f"  client RAM needed: {result.ram_mib} MiB or more (loads {_size(note.initrd_bytes)} of initrd)")
    firmware = ", ".join(f"{kind} {path}" for kind, path in note.boot_files.items() if path) or "none"
    lines.append(f"  client RAM by mode: ISO in initrd {note.client_ram_mib.bundled} MiB, ISO over HTTP (--http-url) "
                 f"{note.client_ram_mib.http} MiB; boot files: {firmware}")
    if result.layout.integrated:
        lines += next_steps(result.root, note)
    return "\n".join(lines)


def next_steps(root: Path, note: TreeNote) -> list[str]:
    """How clients reach an integrated image: what the root's menus or DHCP must name (issue 19 item 6)."""
    image = root / note.image_dir
    ways = {"pxelinux": "pxelinux (BIOS): a menu entry 'CONFIG {path}', or a copy as pxelinux.cfg/01-<mac>",
            "grub": "GRUB (UEFI): a menu entry 'configfile /{path}'",
            "ipxe": "iPXE: 'chain http://SERVER/{path}' (or tftp://SERVER/{path})"}
    lines = ["  next: clients reach this image through the root's own loaders and menus:"]
    lines += [f"    {ways[kind].format(path=printable(path))}" for kind, path in sorted(note.configs.items())
              if kind in ways]
    lines.append(f"    or serve it alone: sudo livepxe serve {printable(str(image))} --interface IF")
    return lines


def run_convert(args: argparse.Namespace) -> int:
    if args.plan:
        print(dry_run(options_from(args)), end="")
        return 0
    result = convert(options_from(args))
    if not args.quiet:
        print(summary(result))
    if args.print_dhcp:
        print(dhcp_snippets(result.root, result.layout))
    return 0


class _WarningPrinter(logging.Handler):
    """Prints livepxe's warnings as ``PROG: warning: ...`` on whatever sys.stderr is at the time."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"{_prog()}: warning: {printable(record.getMessage())}", file=sys.stderr)


def _print_warnings() -> None:
    """The library logs; the command line decides that warnings are printed (once per process)."""
    logger = logging.getLogger("livepxe")
    if not any(isinstance(h, _WarningPrinter) for h in logger.handlers):
        handler = _WarningPrinter(logging.WARNING)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


#: The names this command line answers to; anything else (python -m, pytest, a wrapper) speaks as livepxe.
PROGRAM_NAMES = ("livepxe", "livecd-iso-to-pxeboot")


def _prog() -> str:
    name = os.path.basename(sys.argv[0])
    return name if name in PROGRAM_NAMES else "livepxe"


def _guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a subcommand; every ending but a bug is one line on stderr and an exit status.

    SIGTERM and SIGHUP end the run as Ctrl-C does (``signals``), so the tree
    writer's cleanup runs for them too; the exit status is 128 + the signal.
    """
    try:
        with signals.as_interrupts():
            return func(args)
    except LivepxeError as exc:
        return _fail(f"error: {exc}", 1)
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, signals.Interrupted) else signal.SIGINT
        how = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
        return _fail(f"interrupted{how}; {_left_behind()}", 128 + signum)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        return _fail(f"error: {exc.strerror or exc}{where}; {_left_behind()}", 1)


def _fail(message: str, status: int) -> int:
    progress.end_line()
    print(f"{_prog()}: {_one_line(message)}", file=sys.stderr)
    return status


def _one_line(text: str) -> str:
    """Control characters (a newline in a file name, an escape sequence) shown escaped, never acted on."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _left_behind() -> str:
    """Says "nothing partial was left behind" only when no staging folder of this run is still on disk."""
    left = treewriter.leftovers()
    if not left:
        return "nothing partial was left behind"
    return f"left {', '.join(map(str, left))} behind; remove it by hand"


class _Parser(argparse.ArgumentParser):
    """argparse, refusing a bad option in one line like every other refusal (its usage block buried the why)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)}; see {self.prog} --help\n")


#: ``livepxe creator ARGS`` = the ``livecd-creator`` wrapper (how the RPM ships it: /usr/bin is upstream's)
CREATOR = "creator"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="livepxe",
                                     description="Boot live images made by livecd-creator over the network.")
    parser.add_argument("--version", action="version", version=f"livepxe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    convert_parser = sub.add_parser("convert", help="turn a live ISO into a PXE tree (= livecd-iso-to-pxeboot)",
                                    description="Turn a live ISO into a PXE tree whose initrd carries the ISO.")
    add_convert_arguments(convert_parser)
    convert_parser.set_defaults(func=run_convert)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    # listed for --help only: main() hands its arguments to upstream's parser untouched
    sub.add_parser(CREATOR, add_help=False, help="= livecd-creator [--pxe] (livepxe's wrapper), "
                   "for `sudo livepxe creator --pxe -c foo.ks` where /usr/bin/livecd-creator is upstream's")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == [CREATOR]:
        from .creator import wrapper
        return wrapper.main(args_in[1:], prog=f"livepxe {CREATOR}")
    _print_warnings()
    args = build_parser().parse_args(args_in)
    return _guarded(args.func, args)


def iso_to_pxeboot_main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="livecd-iso-to-pxeboot",
                                     description="Turn a live ISO into a PXE tree whose initrd carries the ISO.")
    parser.add_argument("--version", action="version", version=f"livepxe {__version__}")
    add_convert_arguments(parser)
    _print_warnings()
    return _guarded(run_convert, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
