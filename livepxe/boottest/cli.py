"""``livepxe boot-test TREE``: prove a PXE tree boots before it goes on the network.

Boots the tree in QEMU (user-mode network with its built-in TFTP server, the
NIC's iPXE ROM, the tree's own pxelinux), prints PASS or FAIL with the
seconds from power-on to userspace, and on failure the last console lines.

How userspace is recognised (first match wins):
  * ``--marker TEXT``: that text on the console, and nothing else counts;
  * otherwise systemd's "Welcome to <the live system>!" (not the
    initramfs' own welcome), a serial-console "login:" prompt, or the
    livepxe fixture's marker ``LIVEPXE-BOOT-OK``.
To make these lines reach the serial port the test boots a linked copy of
the tree whose per-MAC config adds ``console=ttyS0,115200
systemd.show_status=1``; the tree itself is never modified (``--as-is``
boots it untouched). Certain failures — a kernel panic, a pxelinux load
error, initramfs unpacking errors, dracut's emergency shell — end the test
at once.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from . import overlay as bootoverlay
from . import host as qemuhost
from .machine import DEFAULT_MAC, BootResult, Machine, Watch, boot, default_timeout

MIB = 1024 * 1024


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "boot-test", help="boot a PXE tree in QEMU and report PASS/FAIL",
        description="Boot a PXE tree in QEMU over its built-in TFTP server and report whether "
                    "the live system reached userspace.",
        epilog="Needs qemu-system-x86_64 and the iPXE ROMs (Debian: qemu-system-x86 ipxe-qemu).")
    p.add_argument("tree", type=Path, metavar="TREE",
                   help="the TFTP root: a self-contained tree, or the --tftproot of an integrated one")
    p.add_argument("--config", metavar="NAME",
                   help="config in TREE/pxelinux.cfg to boot (default: 'default', or the only one)")
    p.add_argument("--bootfile", metavar="FILE", help="boot file in TREE (default: pxelinux.0)")
    p.add_argument("--marker", metavar="TEXT", help="pass only when this text appears on the console")
    p.add_argument("--accel", choices=qemuhost.ACCELS, default=os.environ.get("LIVEPXE_ACCEL", "auto"),
                   help="QEMU accelerator; auto probes KVM and falls back to TCG (default: "
                        "$LIVEPXE_ACCEL or auto)")
    p.add_argument("--memory", type=int, metavar="MIB", help="guest RAM (default: from the initrd size)")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="give up after this long (default: from the accelerator and the tree size)")
    p.add_argument("--firmware", type=Path, metavar="FILE",
                   help="guest firmware for -bios, e.g. /usr/share/ovmf/OVMF.fd (default: SeaBIOS)")
    p.add_argument("--mac", default=DEFAULT_MAC, help=f"guest MAC address (default {DEFAULT_MAC})")
    p.add_argument("--as-is", action="store_true",
                   help="boot the tree untouched (no console=ttyS0 added; little to see on failure)")
    p.add_argument("--console-log", type=Path, metavar="FILE", help="keep the serial console log here")
    p.add_argument("--lines", type=int, default=25, help="console lines shown on failure (default 25)")
    p.set_defaults(func=run)
    return p


def guest_memory(payload_bytes: int) -> int:
    """RAM for the guest: the initrd is held twice while unpacking, plus the live system."""
    need = 2 * payload_bytes // MIB + 768
    return max(1024, -(-need // 256) * 256)


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    with tempfile.TemporaryDirectory(prefix="livepxe-boottest-") as scratch:
        if args.as_is:
            tb = bootoverlay.as_is(args.tree, args.bootfile)
        else:
            tb = bootoverlay.prepare(args.tree, Path(scratch) / "tftp", args.mac, args.config,
                                     args.bootfile)
        payload = sum(p.stat().st_size for p in bootoverlay.referenced_files(
            args.tree.resolve(), tb.config.read_text(errors="replace")))
        memory = args.memory or guest_memory(payload)
        accel = qemuhost.choose_accel(args.accel, tb.kernel)
        timeout = args.timeout or default_timeout(accel.name, payload)
        log = args.console_log or Path(scratch) / "console.log"
        print(f"booting {args.tree} ({tb.config.relative_to(args.tree.resolve())} via {tb.bootfile}) "
              f"in QEMU: {memory} MiB, {accel.why}, limit {timeout:.0f} s", file=out, flush=True)
        if tb.added:
            print(f"for this test only, the kernel also gets: {' '.join(tb.added)}", file=out, flush=True)
        watch = Watch.marker(args.marker) if args.marker else Watch()
        result = boot(Machine(memory_mib=memory, firmware=args.firmware, tftp_root=tb.root,
                              bootfile=tb.bootfile, mac=args.mac),
                      watch, accel=accel, timeout=timeout, console_log=log)
        report(result, args.lines, keep_log=args.console_log is not None, out=out)
        if not result.passed and args.console_log is None:
            kept = Path(tempfile.mkstemp(prefix="livepxe-console-", suffix=".log")[1])
            shutil.copyfile(log, kept)
            print(f"full console log: {kept}", file=out)
    return 0 if result.passed else 1


def report(result: BootResult, lines: int, keep_log: bool, out=sys.stdout) -> None:
    print(result.summary(), file=out)
    if result.milestones:
        steps = ", ".join(f"{name} {t:.1f} s" for name, t in result.milestones.items())
        print(f"  timeline: {steps}", file=out)
    if not result.passed:
        print(f"  last {lines} console lines:", file=out)
        for line in result.last_lines(lines):
            print(f"  | {line}", file=out)
    if keep_log:
        print(f"  console log: {result.console_log}", file=out)
