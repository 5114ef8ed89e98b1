"""``livepxe list ROOT``: the images livepxe placed in a TFTP root, as its menus offer them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..bootconf import printable
from .scan import images


def run_list(args: argparse.Namespace) -> int:
    found = images(args.root)
    print(f"{'image':<24} {'RAM MiB':>8} {'initrd MiB':>10}  source ISO (volume)")
    for image in found:
        note = image.note
        print(f"{printable(image.image_dir):<24} {image.ram_mib:>8} {note.initrd_bytes / 2**20:>10.0f}  "
              f"{printable(note.iso)} ({printable(note.volume)})")
    return 0


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("list", help="list the images livepxe placed in a TFTP root",
                            description="List the images livepxe placed in a TFTP root (--tftproot conversions).")
    parser.add_argument("root", type=Path, metavar="ROOT", help="the TFTP root")
    parser.set_defaults(func=run_list)
