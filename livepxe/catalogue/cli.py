"""``livepxe list``, ``remove``, ``menu`` and ``compose``: a catalogue root's images and menus."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..bootconf import printable
from ..errors import LivepxeError
from ..tree.layout import check_imagedir
from . import compose
from .choose import choose
from .remove import remove
from .scan import images
from .settings import MAX_TIMEOUT_S, mac_address
from .settings import read as read_settings


def run_list(args: argparse.Namespace) -> int:
    found = images(args.root)
    print(f"{'image':<24} {'RAM MiB':>8} {'initrd MiB':>10}  source ISO (volume)")
    for image in found:
        note = image.note
        print(f"{printable(image.image_dir):<24} {image.ram_mib:>8} {note.initrd_bytes / 2**20:>10.0f}  "
              f"{printable(note.iso)} ({printable(note.volume)})")
    if found:
        chosen = read_settings(args.root)
        print(f"unattended: {printable(chosen.default or found[0].image_dir)} after {chosen.timeout_s} s")
        for mac, image_dir in chosen.machines:
            print(f"machine {mac}: {printable(image_dir)}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    left = remove(args.root, args.image)
    print(f"removed {printable(args.image)} from {printable(str(args.root))}; "
          + (f"its menus offer {', '.join(map(printable, left))}" if left else "no livepxe image is left there"))
    return 0


def run_menu(args: argparse.Namespace) -> int:
    if args.forget and args.mac is None:
        raise LivepxeError("--forget needs --mac MAC: the machine whose own default goes")
    if args.mac is not None and args.forget == (args.default is not None):
        raise LivepxeError("with --mac, give either --default IMAGEDIR (that machine's default) or --forget")
    chosen = choose(args.root, args.default, args.timeout, args.mac, args.forget)
    print(f"{printable(str(args.root))}: menus boot {printable(chosen.default or 'the first image')} "
          f"after {chosen.timeout_s} s")
    for mac, image_dir in chosen.machines:
        print(f"machine {mac} boots {printable(image_dir)}")
    return 0


def _mac(text: str) -> str:
    """argparse type: a MAC address, as the loaders write it."""
    mac = mac_address(text)
    if mac is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a MAC address like 52:54:00:12:34:56")
    return mac


def _timeout(text: str) -> int:
    """argparse type: whole seconds the menus wait."""
    if not text.isdigit() or int(text) > MAX_TIMEOUT_S:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to {MAX_TIMEOUT_S}")
    return int(text)


def run_compose(args: argparse.Namespace) -> int:
    if not args.tftproot.is_dir():
        raise LivepxeError(f"TFTP root {args.tftproot} does not exist; create it first (--tftproot)")
    results = compose.place_all(compose.find_isos(args.sources), args.tftproot, args.prefix,
                                show=not args.quiet and sys.stderr.isatty())
    text = compose.summary_json(results, args.tftproot)
    if args.summary:
        _write_atomically(args.summary, text)
    for placed in results:
        if placed.action == "failed":
            print(f"livepxe: error: {printable(placed.source)}: {printable(placed.error or '')}", file=sys.stderr)
        elif not args.quiet:
            print(f"{placed.action:<9} {printable(placed.image):<40} {printable(placed.source)}")
    return 1 if any(p.action == "failed" for p in results) else 0


def _write_atomically(path: Path, text: str) -> None:
    """The summary appears whole or not at all: the compose's next step may be watching for it."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("list", help="list the images livepxe placed in a TFTP root",
                            description="List the images livepxe placed in a TFTP root (--tftproot conversions).")
    parser.add_argument("root", type=Path, metavar="ROOT", help="the TFTP root")
    parser.set_defaults(func=run_list)
    parser = sub.add_parser("remove", help="remove one image livepxe placed in a TFTP root, and its menu entries",
                            description="Remove one image's files, configs and menu entries from a TFTP root, "
                                        "at once; refuses anything livepxe did not write.")
    parser.add_argument("root", type=Path, metavar="ROOT", help="the TFTP root")
    parser.add_argument("image", metavar="IMAGEDIR", help="the image's folder under ROOT (as `livepxe list` shows)")
    parser.set_defaults(func=run_remove)
    parser = sub.add_parser("menu", help="choose the image a TFTP root's menus boot unattended, and the timeout",
                            description="Choose which image the root's livepxe menus boot unattended and after "
                                        "how long; the choice is kept in ROOT/livepxe-catalogue.json.")
    parser.add_argument("root", type=Path, metavar="ROOT", help="the TFTP root")
    parser.add_argument("--default", metavar="IMAGEDIR", help="the image folder (as `livepxe list` shows)")
    parser.add_argument("--timeout", type=_timeout, metavar="SECONDS", help="how long the menus wait (0: boot at once)")
    parser.add_argument("--mac", type=_mac, metavar="MAC",
                        help="with --default: that machine's own default (pxelinux.cfg/01-MAC, GRUB's and iPXE's "
                             "MAC tests); with --forget: it has none again")
    parser.add_argument("--forget", action="store_true", help="drop the default of the machine --mac names")
    parser.set_defaults(func=run_menu)
    parser = sub.add_parser("compose", help="convert every live ISO of a compose into one TFTP root",
                            description="Convert every live ISO of a compose (files, folders searched for *.iso, "
                                        "or @LIST files) into one catalogue root; ISOs the root already holds "
                                        "(by SHA-256) are skipped.")
    parser.add_argument("sources", nargs="+", metavar="SOURCE", help="an ISO, a folder holding ISOs, or @LIST")
    parser.add_argument("--tftproot", type=Path, required=True, metavar="ROOT", help="the catalogue root")
    parser.add_argument("--prefix", default="live", type=check_imagedir, metavar="PATH",
                        help="folder under ROOT for the images (default: live)")
    parser.add_argument("--summary", type=Path, metavar="FILE",
                        help="write what was placed, replaced, skipped or failed as JSON to FILE")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress and no per-image lines")
    parser.set_defaults(func=run_compose)
