"""A crowd of simulated PXE clients, each in a network namespace of its own, started all at once.

Each client does what a PXE ROM and its first loader do, with real clients
rather than protocol code of ours: DHCP by busybox udhcpc sending a PXE
vendor class and option 93 (client architecture), the boot file named in
the offer over TFTP (busybox tftp, from the offer's next-server, blocks of
1468 bytes as PXE ROMs ask), then kernel and initrd over HTTP in one
keep-alive connection (curl), as iPXE fetches them.  Each client writes its
lease, a timestamp per step and the files into a folder of its own, so the
caller checks every byte and times every step (tests/serve/test_crowd.py,
bench/serve_scale.py).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from tests.fixtures.netns import Host, Lan, stop

BIOS, UEFI = "00000", "00007"
#: udhcpc's event hook: the lease goes on eth0 and, as shell assignments, into $LEASE.
HOOK = """#!/bin/sh
case "$1" in
bound|renew)
  ip addr add "$ip/$mask" dev "$interface"
  printf "ip='%s'\\nsiaddr='%s'\\nboot_file='%s'\\nserverid='%s'\\n" "$ip" "$siaddr" "$boot_file" "$serverid" > "$LEASE"
  ;;
esac
exit 0
"""
#: One client: sh CLIENT FOLDER ARCH URL...  A failed step leaves its name in FOLDER/failed.
CLIENT = """#!/bin/sh
out=$1 arch=$2 hook=$3
shift 3
stamp() { echo "$1 $(date +%s.%N)" >> "$out/times"; }
fail() { echo "$1" > "$out/failed"; exit 1; }
stamp start
LEASE=$out/lease busybox udhcpc -i eth0 -f -q -n -B -t 8 -T 2 -A 1 -s "$hook" \\
  -V "PXEClient:Arch:$arch:UNDI:002001" -x "0x5d:$(printf %04x "$arch")" > "$out/dhcp.log" 2>&1 || fail dhcp
[ -s "$out/lease" ] || fail dhcp
stamp dhcp
. "$out/lease"
[ -n "$boot_file" ] || fail offer
busybox tftp -g -b 1468 -r "$boot_file" -l "$out/loader" "$siaddr" > "$out/tftp.log" 2>&1 || fail tftp
stamp tftp
set --; for url in $URLS; do set -- "$@" -o "$out/${url##*/}" "$url"; done
curl -sS --fail --connect-timeout 20 --max-time 120 "$@" > "$out/http.log" 2>&1 || fail http
stamp http
"""


@dataclass
class Outcome:
    """What one client reached: its lease, a wall-clock time per step, the files it holds."""

    name: str
    arch: str
    folder: Path
    failed: str = ""
    lease: dict[str, str] = field(default_factory=dict)
    times: dict[str, float] = field(default_factory=dict)

    def log(self) -> str:
        """The failed step's own log, for an assertion message."""
        step = {"offer": "dhcp"}.get(self.failed, self.failed)
        path = self.folder / f"{step}.log"
        return path.read_text(errors="replace")[-400:] if path.exists() else ""


def add_clients(lan: Lan, count: int) -> list[Host]:
    """``count`` namespaces on the bridge, eth0 up and without an address (DHCP gives one)."""
    return [lan.add_host(f"c{n:03d}", "") for n in range(count)]


def forget_leases(clients: Sequence[Host]) -> None:
    """Drop each client's address, so the next round starts from DHCPDISCOVER again."""
    for host in clients:
        subprocess.run(["ip", "-n", host.namespace, "addr", "flush", "dev", "eth0"], check=True)


def boot_files(tree: Path) -> list[str]:
    """Kernel and initrd an iPXE client fetches: the names in the tree's boot.ipxe."""
    script = (tree / "boot.ipxe").read_text()
    names = [m[1] for m in re.finditer(r"^(?:kernel|initrd)\s+(\S+)", script, re.M)]
    return list(dict.fromkeys(names))


def sha256sums(tree: Path) -> dict[str, str]:
    """The tree's SHA256SUMS: path -> hex digest."""
    pairs = (line.split(None, 1) for line in (tree / "SHA256SUMS").read_text().splitlines() if line.strip())
    return {name.strip().lstrip("*"): digest for digest, name in pairs}


def digest(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    sha = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def run(lan: Lan, clients: Sequence[Host], work: Path, urls: Sequence[str], archs: Sequence[str],
        seconds: float = 150) -> list[Outcome]:
    """Start every client at once, wait up to ``seconds`` for all, and read what each reached."""
    work.mkdir(parents=True, exist_ok=True)
    hook, script = work / "udhcpc-hook", work / "client.sh"
    hook.write_text(HOOK)
    hook.chmod(0o755)
    script.write_text(CLIENT)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "URLS": " ".join(urls)}
    outcomes = []
    procs = []
    for n, host in enumerate(clients):
        folder = work / host.namespace
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        outcomes.append(Outcome(host.namespace, archs[n % len(archs)], folder))
        procs.append(lan.spawn(host, ["sh", str(script), str(folder), outcomes[-1].arch, str(hook)], env=env))
    deadline = time.monotonic() + seconds
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            stop(proc)
    return [_read(outcome) for outcome in outcomes]


def _read(outcome: Outcome) -> Outcome:
    folder = outcome.folder
    if (folder / "lease").exists():
        for line in (folder / "lease").read_text().splitlines():
            key, _, value = line.partition("=")
            outcome.lease[key] = value.strip("'")
    if (folder / "times").exists():
        for line in (folder / "times").read_text().splitlines():
            step, stamp = line.split()
            outcome.times[step] = float(stamp)
    if (folder / "failed").exists():
        outcome.failed = (folder / "failed").read_text().strip()
    elif "http" not in outcome.times:
        outcome.failed = "lost (no step failed, none finished in time)"
    return outcome


def loaders(banner: str) -> dict[str, str]:
    """Client architecture -> the boot file ``serve`` says (in its banner) it hands out."""
    routes = re.search(r"clients boot (.*)$", banner, re.M)[1]  # type: ignore[index]
    return {BIOS: re.search(r"BIOS (\S+?),", routes)[1],  # type: ignore[index]
            UEFI: re.search(r"UEFI (\S+?),", routes)[1]}  # type: ignore[index]


def expected(tree: Path, banner: str, names: Sequence[str]) -> dict[str, str]:
    """Digest of each file a client fetches: the tree's SHA256SUMS, else the loader serve built (its TFTP root)."""
    sums = sha256sums(tree)
    tftp_root = Path(re.search(r"TFTP (/\S+);", banner)[1])  # type: ignore[index]
    return {name: sums[name] if name in sums else digest(tftp_root / name) for name in names}


def problems(outcome: Outcome, loader: str, files: Sequence[str], digests: dict[str, str], server: str) -> list[str]:
    """What is wrong with one client's run: a failed step, the offer's boot file or server, any file's bytes."""
    if outcome.failed:
        return [f"{outcome.name}: {outcome.failed}: {outcome.log()}"]
    found = []
    if (outcome.lease.get("boot_file"), outcome.lease.get("siaddr")) != (loader, server):
        found.append(f"{outcome.name} ({outcome.arch}): offer {outcome.lease}, wanted {loader} from {server}")
    held = {loader: outcome.folder / "loader", **{name: outcome.folder / name for name in files}}
    return found + [f"{outcome.name}: {name} differs" for name, path in held.items()
                    if not path.exists() or digest(path) != digests[name]]
