#!/usr/bin/env python3
"""Time to userspace for each network-boot path through real servers, and the least client RAM (run as root).

A private LAN in network namespaces like tests/serve: the site's DHCP
server (dnsmasq handing out addresses), a server host (``livepxe serve``
or tftp-hpa) and one QEMU client on a tap.  The live ISO is the test
fixture (tests/fixtures/live_iso.py) grown to ``--iso-mib`` by an
incompressible file beside ``LiveOS/`` (``/pad/random.bin``): it travels
inside every bundled initrd and in the ISO that ``--http-url`` clients
download.  Paths (``--paths``):

  tftp-hpa    BIOS iPXE ROM → pxelinux.0 → config, kernel, initrd over TFTP (in.tftpd --secure;
              site DHCP names next-server + pxelinux.0)
  bios-http   BIOS iPXE ROM → lpxelinux (TFTP) → config, kernel, initrd over HTTP (serve --no-ipxe-script)
  ipxe-http   iPXE → boot.ipxe, kernel + initrd over HTTP (serve): the baseline, 1.00×
  uefi-tftp   OVMF PXE → early-config GRUB → config, kernel, initrd over dnsmasq's TFTP
              (serve --http-port 8080)
  uefi-http   OVMF PXE → early-config GRUB (TFTP) → config, kernel, initrd over HTTP (serve)
  http-url    iPXE → boot.ipxe (small initrd over HTTP) → dracut livenet downloads the ISO (--http-url tree)
  gzip9-tftp  as tftp-hpa, with the 2008 script's initrd: the ISO's initrd + ``cpio -H newc | gzip -9``

Seconds count from QEMU's start to the live root's marker on the serial
console (`livepxe.boottest.machine.boot`); each QEMU run holds
/tmp/livepxe-qemu.lock for that one boot only.  ``--bisect-ram`` then finds
per path the least guest RAM (to ``--step`` MiB) that still reaches the
marker, between half of livepxe's RAM model (livepxe/tree/ram.py) and the model
(raised to the test-guest size if the model itself fails).

    python3 bench/serve_boot.py [--iso-mib 1024] [--paths a,b] [--bisect-ram [--bisect-paths a,b]]
                                [--repeat 1] [--workdir DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from livepxe.boottest import host as qemuhost  # noqa: E402
from livepxe.boottest.machine import FAILURE_PATTERNS, BootResult, Watch  # noqa: E402
from livepxe.convert import ConvertOptions, convert  # noqa: E402
from livepxe.tree import ram  # noqa: E402
from tests.fixtures import live_iso as fixture  # noqa: E402
from tests.fixtures.cache import locked  # noqa: E402
from tests.fixtures.netns import Lan  # noqa: E402
from tests.serve.lan import SERVER, SITE, Client, livepxe_serve, site_dhcp  # noqa: E402

LOCK = Path("/tmp/livepxe-qemu.lock")
CONSOLE = "console=ttyS0,115200"
IP = SERVER.split("/")[0]
BASELINE = "ipxe-http"
#: path -> (tree, client firmware, server, what crosses TFTP, description)
PATHS: dict[str, tuple[str, str, str, str, str]] = {
    "tftp-hpa": ("default", "bios", "tftp-hpa", "all", "BIOS pxelinux, all over TFTP (tftp-hpa)"),
    "bios-http": ("default", "bios", "serve --no-ipxe-script", "loader", "BIOS lpxelinux (TFTP) → HTTP"),
    "ipxe-http": ("default", "bios", "serve", "none", "iPXE boot.ipxe, kernel + initrd over HTTP"),
    "uefi-tftp": ("default", "uefi", "serve --http-port 8080", "all", "UEFI GRUB, all over TFTP (dnsmasq)"),
    "uefi-http": ("default", "uefi", "serve", "loader", "UEFI GRUB (TFTP) → HTTP"),
    "http-url": ("http-url", "bios", "serve", "none", "HTTP live root: iPXE, livenet downloads the ISO"),
    "gzip9-tftp": ("gzip9", "bios", "tftp-hpa", "all", "2008 script's gzip -9 initrd, all over TFTP (tftp-hpa)"),
}
#: Out of memory anywhere from the loader to the live root.
OOM_PATTERNS = (r"Out of memory", r"oom-kill", r"not enough memory", r"Not enough space",
                r"No space left on device", r"Could not boot image", r"Cannot allocate memory",
                r"error: out of memory")


@dataclass
class Trial:
    path: str
    memory_mib: int
    passed: bool
    seconds: float | None
    kernel: float | None
    elapsed: float
    reason: str
    console_log: str


@dataclass
class Tree:
    root: Path
    initrd_bytes: int          # what a client loads (kernel excluded)
    model_mib: int             # livepxe/tree/ram.py's estimate for this way of booting
    download_bytes: int = 0    # what dracut downloads after the kernel (--http-url: the ISO)
    trials: list[Trial] = field(default_factory=list)


def padded_iso(mib: int, work: Path) -> tuple[Path, fixture.LiveIso]:
    """The fixture ISO (layout ``current``) grown to ``mib`` MiB by /pad/random.bin (kept in ``work``)."""
    fx = fixture.live_iso("current")
    out = work / f"fixture-{mib}MiB.iso"
    if out.exists():
        return out, fx
    pad = (mib << 20) - fx.size - (1 << 20)  # xorriso adds directories and alignment
    if pad <= 0:
        shutil.copyfile(fx.iso, out)
        return out, fx
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        isodir = Path(tmp) / "iso"
        fixture._stage_isodir(fx.vmlinuz.parent, isodir, "current", fixture.LABEL)
        (isodir / "pad").mkdir()
        with open(isodir / "pad/random.bin", "wb") as fh:
            for left in range(pad, 0, -(16 << 20)):
                fh.write(os.urandom(min(left, 16 << 20)))
        fixture._xorriso(isodir, out.with_suffix(".part"), fixture.LABEL)
    out.with_suffix(".part").rename(out)
    return out, fx


def initrd_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.iterdir() if p.name.startswith(("initrd", "iso")) and p.is_file())


def make_trees(iso: Path, fx: fixture.LiveIso, work: Path, wanted: set[str]) -> dict[str, Tree]:
    trees: dict[str, Tree] = {}
    default = convert(ConvertOptions(iso=iso, output=work / "tree", append=CONSOLE, force=True, progress=False))
    trees["default"] = Tree(default.root, initrd_size(default.root), default.note.client_ram_mib.bundled)
    if "http-url" in wanted:
        r = convert(ConvertOptions(iso=iso, output=work / "tree-http-url", append=CONSOLE, force=True,
                                   progress=False, http_url=f"http://{IP}/"))
        trees["http-url"] = Tree(r.root, initrd_size(r.root), r.note.client_ram_mib.http, iso.stat().st_size)
    if "gzip9" in wanted:
        trees["gzip9"] = tree_2008(default.root, iso, fx, work / "tree-gzip9")
    return trees


def tree_2008(default: Path, iso: Path, fx: fixture.LiveIso, dest: Path) -> Tree:
    """The default tree with livecd-iso-to-pxeboot.sh's (2008) initrd: ``cat initrd0.img; cpio | gzip -9``."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(default, dest, copy_function=os.link)
    config = (dest / "pxelinux.cfg/default").read_text()
    name = re.search(r"root=live:/(\S+\.iso)", config)
    if name is None:
        raise SystemExit("no root=live:/NAME.iso in the default tree's pxelinux config")
    (dest / "initrd0.img").unlink()
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        os.link(iso, Path(tmp) / name.group(1))
        shutil.copyfile(fx.initrd, dest / "initrd0.img")
        t0 = time.monotonic()
        with open(dest / "initrd0.img", "ab") as out:
            subprocess.run(f"echo {name.group(1)} | cpio -H newc --quiet -L -o | gzip -9", shell=True,
                           cwd=tmp, stdout=out, check=True)
        print(f"2008 initrd: cpio | gzip -9 in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    (dest / "initrd0.img").chmod(0o644)
    size = (dest / "initrd0.img").stat().st_size
    model = ram.client_mib(size, iso.stat().st_size, fx.initrd.stat().st_size)
    return Tree(dest, size, model)


def run_path(path: str, tree: Tree, memory: int, accel: qemuhost.Accel, marker: str, work: Path,
             tag: str) -> Trial:
    """One boot of ``path`` with ``memory`` MiB on a fresh LAN."""
    _, kind, server_kind, over_tftp, _ = PATHS[path]
    logs = work / "logs" / f"{path}-{tag}"
    if logs.exists():
        shutil.rmtree(logs)
    logs.mkdir(parents=True)
    rate = 0.4e6 if over_tftp == "all" else 4e6  # pessimistic bytes/s under TCG with other guests
    timeout = 300 + tree.initrd_bytes / rate + tree.download_bytes / 4e6
    watch = Watch(success=(re.escape(marker),), failure=tuple(FAILURE_PATTERNS) + OOM_PATTERNS)
    with Lan() as lan:
        site, server, tap = lan.add_host("site", SITE), lan.add_host("serve", SERVER), lan.add_tap()
        if server_kind == "tftp-hpa":
            site_dhcp(lan, site, logs, f"--dhcp-boot=pxelinux.0,,{IP}")
            lan.spawn(server, ["in.tftpd", "--foreground", "--secure", "--address", f"{IP}:69", str(tree.root)],
                      open(logs / "tftpd.log", "wb"))
        else:
            site_dhcp(lan, site, logs)
            livepxe_serve(lan, server, tree.root, logs, *server_kind.split()[1:])
        client = Client(kind, tap, logs, memory_mib=memory)
        with locked(LOCK):
            r: BootResult = client.boot(lan, watch, accel, timeout, console_log=logs / "console.log")
    trial = Trial(path, memory, r.passed, r.seconds, r.milestones.get("kernel"), r.elapsed, r.reason,
                  str(r.console_log))
    secs = f"{r.seconds:7.1f} s" if r.seconds is not None else "     -- "
    print(f"  {path:<11} {memory:5d} MiB  {'PASS' if r.passed else 'FAIL'} {secs}  {r.reason[:80]}",
          file=sys.stderr, flush=True)
    return trial


def bisect(path: str, tree: Tree, step: int, run) -> dict:
    """The least RAM (to ``step``) that reaches the marker, assuming booting is monotonic in RAM."""
    high = tree.model_mib
    top = run(high)
    if not top.passed:
        high = ram.guest_mib(tree.model_mib)
        top = run(high)
        if not top.passed:
            return {"path": path, "model_mib": tree.model_mib, "min_mib": None, "fails_mib": high}
    low = max(step, tree.model_mib // 2 // step * step)
    if run(low).passed:
        return {"path": path, "model_mib": tree.model_mib, "min_mib": low, "fails_mib": None}
    good, bad = high, low
    while good - bad > step:
        mid = (good + bad) // 2 // step * step
        if mid <= bad:
            mid = bad + step
        if run(mid).passed:
            good = mid
        else:
            bad = mid
    return {"path": path, "model_mib": tree.model_mib, "min_mib": good, "fails_mib": bad}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iso-mib", type=int, default=1024, help="size of the live ISO (default 1024)")
    ap.add_argument("--paths", default=",".join(PATHS), help=f"comma-separated, of: {', '.join(PATHS)}")
    ap.add_argument("--repeat", type=int, default=1, help="timed boots per path (the table shows the median)")
    ap.add_argument("--memory", type=int, help="guest RAM for timed boots (default: livepxe's test-guest size)")
    ap.add_argument("--bisect-ram", action="store_true", help="also find each path's least guest RAM")
    ap.add_argument("--bisect-paths", help="bisect only these paths (default: --paths)")
    ap.add_argument("--step", type=int, default=32, help="RAM bisection step in MiB (default 32)")
    ap.add_argument("--no-timing", action="store_true", help="skip the timed boots (bisect only)")
    ap.add_argument("--workdir", type=Path, help="keep ISO, trees and console logs here")
    ap.add_argument("--json", type=Path, help="write results here (default WORKDIR/serve_boot.json)")
    args = ap.parse_args()
    paths = [p for p in args.paths.split(",") if p]
    unknown = [p for p in paths if p not in PATHS]
    if unknown:
        ap.error(f"unknown path(s) {', '.join(unknown)}; known: {', '.join(PATHS)}")
    bisect_paths = [p for p in (args.bisect_paths or args.paths).split(",") if p] if args.bisect_ram else []
    if os.geteuid() != 0:
        ap.error("run as root (network namespaces, tap, DHCP and TFTP ports)")
    for sig in (signal.SIGTERM, signal.SIGHUP):  # unwind: the LAN's exit stops servers, deletes namespaces
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="livepxe-serve-boot-"))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # the servers read the trees as nobody/dnsmasq

    t0 = time.monotonic()
    iso, fx = padded_iso(args.iso_mib, work)
    print(f"ISO {iso}: {iso.stat().st_size / 2**20:.0f} MiB ({time.monotonic() - t0:.0f} s)", file=sys.stderr)
    trees = make_trees(iso, fx, work, {PATHS[p][0] for p in paths + bisect_paths})
    subprocess.run(["chmod", "-R", "a+rX", str(work)], check=True)
    for name, t in trees.items():
        print(f"tree {name}: initrd {t.initrd_bytes / 2**20:.0f} MiB, RAM model {t.model_mib} MiB", file=sys.stderr)
    accel = qemuhost.choose_accel(qemuhost.accel_from_env(), fx.vmlinuz)
    print(f"accelerator: {accel.why}", file=sys.stderr)

    timed: dict[str, list[Trial]] = {p: [] for p in paths}
    if not args.no_timing:
        for round_ in range(args.repeat):
            for p in paths:
                tree = trees[PATHS[p][0]]
                memory = args.memory or ram.guest_mib(tree.model_mib)
                timed[p].append(run_path(p, tree, memory, accel, fx.marker, work, f"t{round_}"))
    bisected = []
    for p in bisect_paths:
        tree = trees[PATHS[p][0]]
        bisected.append(bisect(p, tree, args.step, lambda mib, p=p, tree=tree: run_path(
            p, tree, mib, accel, fx.marker, work, f"ram{mib}")))
        print(f"  {p}: {bisected[-1]}", file=sys.stderr)

    def median(xs: list[float]) -> float | None:
        xs = sorted(xs)
        return xs[len(xs) // 2] if xs else None

    rows = {}
    for p, trials in timed.items():
        ok = [t for t in trials if t.passed and t.seconds is not None]
        rows[p] = (median([t.seconds for t in ok if t.seconds is not None]),
                   median([t.kernel for t in ok if t.kernel is not None]), len(ok), len(trials))
    base = rows.get(BASELINE, (None,))[0]
    mins = {b["path"]: b for b in bisected}
    print(f"\n{args.iso_mib} MiB live ISO; QEMU {accel.name}; seconds from QEMU start to the live root's marker "
          f"(median of passes), × {BASELINE} in the same run\n")
    print("| path | TFTP carries | initrd MiB | seconds (kernel started) | × iPXE/HTTP | least RAM MiB (model) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for p in dict.fromkeys(paths + bisect_paths):
        kind, _, _, over_tftp, desc = PATHS[p]
        secs, kern, n_ok, n = rows.get(p, (None, None, 0, 0))
        cell = f"{secs:.0f} ({kern:.0f})" if secs is not None and kern is not None else (
            f"fail ({n - n_ok}/{n})" if n else "—")
        if secs is not None and n_ok < n:
            cell += f", {n - n_ok}/{n} failed"
        ratio = f"{secs / base:.2f}×" if secs is not None and base else "—"
        b = mins.get(p)
        least = "—" if b is None else (f"{b['min_mib']} ({b['model_mib']})" if b["min_mib"] is not None
                                       else f"> {b['fails_mib']} ({b['model_mib']})")
        if b is not None and b["min_mib"] is not None and b["fails_mib"] is None:
            least = f"≤ {least}"
        print(f"| {desc} | {over_tftp} | {trees[kind].initrd_bytes / 2**20:.0f} | {cell} | {ratio} | {least} |")
    out = args.json or work / "serve_boot.json"
    out.write_text(json.dumps({
        "iso_mib": args.iso_mib, "accel": accel.name, "baseline": BASELINE,
        "trees": {k: {"root": str(t.root), "initrd_bytes": t.initrd_bytes, "model_mib": t.model_mib}
                  for k, t in trees.items()},
        "timed": {p: [asdict(t) for t in ts] for p, ts in timed.items()},
        "bisect": bisected,
    }, indent=1))
    print(f"\nJSON: {out}; console logs under {work / 'logs'} ({(time.monotonic() - t0) / 60:.0f} min in all)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
