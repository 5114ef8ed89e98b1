"""The one set of boot options behind ``livepxe boot-test`` and ``livepxe verify --boot``.

Both commands add the same arguments with `add_arguments` and read them
with `from_args`, so a flag, its default and the accelerator's environment
variable (``$LIVEPXE_ACCEL``) mean the same in either.  The spellings each
command had before they shared a harness (``--only``, ``--ram``) stay as
aliases.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from ..errors import LivepxeError
from . import host
from .machine import DEFAULT_MAC
from .tree import MODES


@dataclass(frozen=True)
class BootOptions:
    modes: Optional[Tuple[str, ...]] = None   # None: the command's default
    marker: Optional[str] = None              # pass only on this console text
    timeout: Optional[float] = None           # seconds per boot; None: from the accelerator and the tree
    memory_mib: Optional[int] = None          # None: from the note's client RAM (ram.guest_mib)
    accel: str = "auto"
    mac: str = DEFAULT_MAC
    console_log: Optional[Path] = None
    as_is: bool = False                       # boot the tree untouched, no serial console added
    config: Optional[str] = None
    bootfile: Optional[str] = None
    firmware: Optional[Path] = None
    lines: int = 25                           # console lines shown on failure


def add_arguments(parser: argparse.ArgumentParser, default_modes: str) -> None:
    """Add the boot options; ``default_modes`` says in the help what boots without --mode."""
    group = parser.add_argument_group("booting in QEMU")
    group.add_argument("--mode", "--only", dest="modes", action="append", choices=MODES,
                       help=f"boot this way (repeatable; default: {default_modes}): bios = pxelinux over TFTP, "
                            "uefi = OVMF's PXE, shim and GRUB over TFTP, ipxe = the iPXE script over HTTP")
    group.add_argument("--marker", metavar="TEXT",
                       help="pass only when this text appears on the console (default: the live root's "
                            "systemd banner, a serial login prompt, or livepxe's fixture marker)")
    group.add_argument("--timeout", type=float, metavar="SECONDS",
                       help="give up on a boot after this long (default: from the accelerator and the initrd size)")
    group.add_argument("--memory", "--ram", dest="memory", type=int, metavar="MIB",
                       help="guest RAM (default: the client RAM livepxe.json states, plus headroom)")
    group.add_argument("--accel", choices=host.ACCELS,
                       help=f"QEMU accelerator; auto probes KVM with the tree's kernel and falls back to TCG "
                            f"(default: ${host.ACCEL_ENV}, else auto)")
    group.add_argument("--mac", default=DEFAULT_MAC, help=f"guest MAC address (default {DEFAULT_MAC})")
    group.add_argument("--console-log", type=Path, metavar="FILE",
                       help="keep the serial console here (with several modes: FILE with -MODE before its suffix)")
    group.add_argument("--as-is", action="store_true",
                       help="boot the tree untouched: no console=ttyS0 added, so little to see on failure")
    group.add_argument("--config", metavar="PATH",
                       help="the config to boot, from the TFTP root (for bios a bare NAME means pxelinux.cfg/NAME; "
                            "default: the tree's own)")
    group.add_argument("--loader", dest="bootfile", metavar="PATH",
                       help="the first loader the client fetches (its DHCP boot file), from the TFTP root (default: "
                            "the tree's, or the root's own loader)")
    # convert's --bootfile names an image's boot config; here it meant the loader: one meaning, one name.
    group.add_argument("--bootfile", dest="old_bootfile", help=argparse.SUPPRESS)
    group.add_argument("--firmware", type=Path, metavar="FILE",
                       help="guest firmware for -bios (default: SeaBIOS for bios and ipxe, the host's OVMF for uefi)")
    group.add_argument("--lines", type=int, default=25, metavar="N", help="console lines shown on failure (default 25)")


def from_args(args: argparse.Namespace) -> BootOptions:
    if getattr(args, "old_bootfile", None):
        raise LivepxeError("boot-test takes the first loader as --loader PATH; --bootfile (as in convert) names an "
                           "image's boot config, which boot-test takes as --config NAME")
    return BootOptions(modes=tuple(args.modes) if args.modes else None, marker=args.marker, timeout=args.timeout,
                       memory_mib=args.memory, accel=args.accel or host.accel_from_env(), mac=args.mac,
                       console_log=args.console_log, as_is=args.as_is, config=args.config, bootfile=args.bootfile,
                       firmware=args.firmware, lines=args.lines)
