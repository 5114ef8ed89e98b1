#!/usr/bin/env python3
"""The least guest RAM that network-boots a bundled tree, and the time to userspace.

Bisects the guest memory between --low and --high (default 256..2048 MiB,
to --step MiB) booting the same PXE tree in QEMU each time, and prints every
trial (RAM, PASS/FAIL, seconds from power-on to userspace, why) and the
minimum that still reaches the marker. Assumes booting is monotonic in RAM,
which it is for an initrd that must fit, unpacked, in memory.

By default the tree is livepxe's fixture ISO (tests/fixtures/live_iso.py)
converted in append mode; ``--iso`` converts another ISO instead (then
``--marker`` must name a line its userspace prints, or the default
userspace detection of ``livepxe boot-test`` is used).

    python bench/boot_ram.py [--iso X.iso] [--low 256] [--high 2048] [--step 32]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from livepxe.boottest import host as qemuhost  # noqa: E402
from livepxe.boottest.machine import FAILURE_PATTERNS, USERSPACE_PATTERNS, BootResult, Machine, Watch, boot  # noqa: E402
from livepxe.convert import ConvertOptions, convert  # noqa: E402

#: Running out of memory while unpacking or setting up the live root is the failure sought here.
OOM_PATTERNS = (r"Out of memory", r"oom-kill", r"not enough memory", r"Initramfs unpacking failed")


def trial(tree: Path, mib: int, watch: Watch, accel: qemuhost.Accel, logdir: Path) -> BootResult:
    r = boot(Machine(tftp_root=tree, bootfile="pxelinux.0", memory_mib=mib), watch, accel=accel,
             console_log=logdir / f"ram-{mib}.log")
    secs = f"{r.seconds:6.1f} s" if r.seconds is not None else "    --  "
    print(f"  {mib:5d} MiB  {'PASS' if r.passed else 'FAIL'}  {secs}  {r.reason[:90]}", flush=True)
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iso", type=Path, help="live ISO to convert (default: the test fixture)")
    ap.add_argument("--marker", help="console text that proves userspace")
    ap.add_argument("--low", type=int, default=256)
    ap.add_argument("--high", type=int, default=2048)
    ap.add_argument("--step", type=int, default=32)
    ap.add_argument("--accel", choices=qemuhost.ACCELS, default=os.environ.get("LIVEPXE_ACCEL", "auto"))
    ap.add_argument("--workdir", type=Path, help="keep the tree and console logs here")
    args = ap.parse_args()

    if args.iso:
        iso, marker = args.iso, args.marker
    else:
        sys.path.insert(0, str(HERE.parent))
        from tests.fixtures.live_iso import live_iso
        t0 = time.monotonic()
        fx = live_iso("current")
        print(f"fixture ISO {fx.iso} ({fx.size / 2**20:.1f} MiB) ready in {time.monotonic() - t0:.1f} s")
        iso, marker = fx.iso, args.marker or fx.marker
    work = args.workdir or Path(tempfile.mkdtemp(prefix="livepxe-boot-ram-"))
    work.mkdir(parents=True, exist_ok=True)
    result = convert(ConvertOptions(iso=iso, output=work / "tftpboot", append="console=ttyS0",
                                    force=True, progress=False))
    initrd = sum(p.stat().st_size for p in result.files if "initrd" in p.name or "iso" in p.name)
    print(f"tree {result.root}: initrd(s) {initrd / 2**20:.1f} MiB, engine estimate {result.ram_mib} MiB")
    watch = Watch(success=(marker,) if marker else USERSPACE_PATTERNS,
                  failure=tuple(FAILURE_PATTERNS) + OOM_PATTERNS)
    accel = qemuhost.choose_accel(args.accel, result.root / "vmlinuz0")
    print(f"accelerator: {accel.why}; bisecting {args.low}..{args.high} MiB in {args.step} MiB steps")

    top = trial(result.root, args.high, watch, accel, work)
    if not top.passed:
        print(f"does not boot even with {args.high} MiB; see {top.console_log}")
        return 1
    if trial(result.root, args.low, watch, accel, work).passed:
        print(f"boots with {args.low} MiB already (the lower bound)")
        return 0
    good, bad, timings = args.high, args.low, {args.high: top.seconds}
    while good - bad > args.step:
        mid = (good + bad) // 2 // args.step * args.step or bad + args.step
        if mid <= bad:
            mid = bad + args.step
        r = trial(result.root, mid, watch, accel, work)
        if r.passed:
            good, timings[mid] = mid, r.seconds
        else:
            bad = mid
    print(f"minimum guest RAM that boots: {good} MiB ({bad} MiB fails); engine estimate "
          f"{result.ram_mib} MiB; time to userspace {timings[good]:.1f} s at {good} MiB, "
          f"{timings[args.high]:.1f} s at {args.high} MiB ({accel.name})")
    print(f"console logs in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
