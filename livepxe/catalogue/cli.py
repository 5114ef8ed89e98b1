"""``livepxe list ROOT`` and ``livepxe remove ROOT IMAGEDIR``: a catalogue root's images."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..bootconf import printable
from .remove import remove
from .scan import images


def run_list(args: argparse.Namespace) -> int:
    found = images(args.root)
    print(f"{'image':<24} {'RAM MiB':>8} {'initrd MiB':>10}  source ISO (volume)")
    for image in found:
        note = image.note
        print(f"{printable(image.image_dir):<24} {image.ram_mib:>8} {note.initrd_bytes / 2**20:>10.0f}  "
              f"{printable(note.iso)} ({printable(note.volume)})")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    left = remove(args.root, args.image)
    print(f"removed {printable(args.image)} from {printable(str(args.root))}; "
          + (f"its menus offer {', '.join(map(printable, left))}" if left else "no livepxe image is left there"))
    return 0


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
