"""What `livecd-creator --pxe` costs over a plain build of the same kickstart.

Builds kickstarts/test-local.ks (the test repository of Debian packages as
RPMs) with the real upstream livecd-creator, alternating plain and ``--pxe``
runs in the same session so both see the same machine load, and prints each
pair's wall times, the median ratio and the best-of ratio (fastest --pxe over
fastest plain, least disturbed by other load; target <= 1.15x), and the
engine's own time on the ISO (``livepxe convert``), which is what ``--pxe``
adds to the build.

    sudo LIVECD_TOOLS_SRC=/path/to/livecd-tools .venv/bin/python bench/creator_overhead.py [PAIRS]

Needs what the imgcreate tests need (see tests/fixtures/livecd_env.py).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixtures import livecd_env  # noqa: E402
from tests.fixtures.rpmrepo import rpm_repo  # noqa: E402

LABEL = "LIVEPXE_BENCH"
TARGET = 1.15


def timed(cmd: list[str], env: dict[str, str], log: Path) -> float:
    start = time.monotonic()
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"build failed ({proc.returncode}); see {log}")
    return seconds


def main() -> None:
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    reason = livecd_env.why_no_build()
    if reason:
        sys.exit(f"cannot run: {reason}")
    repo = rpm_repo()
    work = Path(tempfile.mkdtemp(prefix="livepxe-bench-", dir="/var/tmp"))
    ks = work / "test-local.ks"
    ks.write_text((REPO / "kickstarts/test-local.ks").read_text().replace("@LIVEPXE_REPO@", f"file://{repo}"))
    lenv = livecd_env.LivecdEnv(work / "env")
    env = lenv.environ(LIVECD_CREATOR=str(livecd_env.upstream_script()))
    rows = []
    try:
        for i in range(pairs):
            times = {}
            # alternate which goes first, so a drifting load favours neither
            for kind in (("plain", "pxe") if i % 2 == 0 else ("pxe", "plain")):
                out = work / f"out-{kind}-{i}"
                out.mkdir()
                argv = [*livecd_env.wrapper_argv(), *(["--pxe"] if kind == "pxe" else []),
                        *livecd_env.DEBIAN_ARGS, "-c", str(ks), "-f", LABEL, "-o", str(out),
                        "--tmpdir", str(work)]
                times[kind] = timed(lenv.command(argv), env, work / f"{kind}-{i}.log")
            rows.append(times)
            print(f"pair {i + 1}: plain {times['plain']:.1f} s, --pxe {times['pxe']:.1f} s, "
                  f"ratio {times['pxe'] / times['plain']:.3f}", flush=True)
        iso = work / "out-plain-0" / f"{LABEL}.iso"
        engine = timed([sys.executable, "-m", "livepxe", "convert", "--quiet", "-o",
                        str(work / "engine-tree"), str(iso)], env, work / "engine.log")
        ratios = [r["pxe"] / r["plain"] for r in rows]
        plain = statistics.median(r["plain"] for r in rows)
        best = min(r["pxe"] for r in rows) / min(r["plain"] for r in rows)
        print(f"median plain build {plain:.1f} s; median --pxe/plain ratio {statistics.median(ratios):.3f}, "
              f"best-of ratio {best:.3f} (target <= {TARGET}); engine alone on the "
              f"{iso.stat().st_size / 2**20:.0f} MiB ISO {engine:.1f} s = {1 + engine / plain:.3f}x of a plain build")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
