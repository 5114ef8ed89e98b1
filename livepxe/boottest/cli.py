"""``livepxe boot-test TREE``: prove a PXE tree boots before it goes on the network.

Boots the tree in QEMU (user-mode network with its built-in TFTP server;
BIOS by default, ``--mode uefi|ipxe`` for the others) and prints PASS or
FAIL with the seconds from power-on to userspace, and on failure the last
console lines.  The same harness and options as ``livepxe verify --boot``,
which boots every mode the tree has after its static checks.

How userspace is recognised (first match wins):
  * ``--marker TEXT``: that text on the console, and nothing else counts;
  * otherwise systemd's "Welcome to <the live system>!" (not the
    initramfs' own welcome), a serial-console "login:" prompt, or the
    livepxe fixture's marker ``LIVEPXE-BOOT-OK``.
To make these lines reach the serial port the test boots a linked copy of
the tree whose configs add ``console=ttyS0,115200 systemd.show_status=1``
for the test client only; the tree itself is never modified (``--as-is``
boots it untouched).  Certain failures — a kernel panic, a loader's load
error, initramfs unpacking errors, dracut's emergency shell — end the test
at once.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import options, session

DEFAULT_MODES = ("bios",)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "boot-test", help="boot a PXE tree in QEMU and report PASS/FAIL",
        description="Boot a PXE tree in QEMU over its built-in TFTP server and report whether "
                    "the live system reached userspace.",
        epilog="Needs qemu-system-x86_64 and the iPXE ROMs (Debian: qemu-system-x86 ipxe-qemu; ovmf for uefi).")
    p.add_argument("tree", type=Path, metavar="TREE",
                   help="a tree, the --imagedir folder of an integrated one, or the TFTP root holding it")
    options.add_arguments(p, default_modes="bios")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    passed = session.boot_tree(args.tree, options.from_args(args), DEFAULT_MODES, say=_say)
    return 0 if passed else 1


def _say(line: str) -> None:
    print(line, flush=True)
