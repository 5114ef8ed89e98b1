"""Aggregate throughput of the servers a site boots from, 1, 4 and 16 clients at once (run as root).

A private LAN in network namespaces (tests/fixtures/netns.py): a server host
and a client host on a bridge (veth, no emulated NIC: this measures the
servers and the protocols, not QEMU).  The server host serves one file by
dnsmasq's TFTP, tftp-hpa, livepxe serve's HTTP server and nginx; the client
host downloads it with curl N times at once.  Ratios are to one HTTP download
by nginx in the same run.

    python3 bench/serve_throughput.py [--mib 64] [--clients 1,4,16]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from livepxe.serve import siteconf  # noqa: E402
from livepxe.serve.plan import Plan  # noqa: E402
from tests.fixtures.netns import Lan, wait_for  # noqa: E402

SERVER, CLIENT = "198.18.0.2/24", "198.18.0.3/24"
IP = SERVER.split("/")[0]
TFTP_BLKSIZE = 1468  # what iPXE and pxelinux negotiate on Ethernet


def nginx_command(folder: Path, root: Path, port: int) -> list[str]:
    """nginx serving ``root`` on the server host's ``port`` with the server block of ``serve --print-config``.

    Its config, pid and logs go into ``folder``.
    """
    plan = Plan(root=root, interface="eth0", address=ipaddress.IPv4Interface(SERVER),
                http_port=port, dhcp_range=None, bios=None, uefi=None, ipxe=None, grub_config=None, label="bench")
    (folder / "nginx.conf").write_text(siteconf.nginx_main(siteconf.nginx_server(plan), folder))
    return ["nginx", "-c", str(folder / "nginx.conf"), "-p", str(folder), "-e", str(folder / "error.log")]


def servers(folder: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (command on the server host, URL template with {port})."""
    here = str(Path(__file__).resolve().parents[1])
    return {
        "dnsmasq TFTP": (["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--pid-file=", "--port=0",
                          "--enable-tftp", f"--tftp-root={folder / 'www'}", "--interface=eth0", "--bind-interfaces"],
                         f"tftp://{IP}/big"),
        "tftp-hpa": (["in.tftpd", "--foreground", "--secure", "--address", f"{IP}:69", str(folder / "www")],
                     f"tftp://{IP}/big"),
        "livepxe serve HTTP": ([sys.executable, "-c", "import sys, time; sys.path.insert(0, sys.argv[1]); "
                                "from livepxe.serve.http import TreeServer; "
                                "s = TreeServer(__import__('pathlib').Path(sys.argv[2]), sys.argv[3], 8080, "
                                "lambda r: None); s.start(); time.sleep(1e6)", here, str(folder / "www"), IP],
                               f"http://{IP}:8080/big"),
        "nginx": (nginx_command(folder, folder / "www", 8081), f"http://{IP}:8081/big"),
    }


def download(lan: Lan, client, url: str, count: int) -> float:
    """Seconds for ``count`` simultaneous curl downloads of ``url`` from the client host."""
    cmd = ["curl", "-s", "-o", "/dev/null", "--fail"]
    if url.startswith("tftp"):
        cmd += ["--tftp-blksize", str(TFTP_BLKSIZE)]
    start = time.monotonic()
    procs = [subprocess.Popen(client.command([*cmd, url])) for _ in range(count)]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise RuntimeError(f"curl failed ({codes}) for {url}")
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--clients", default="1,4,16")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="livepxe-bench-"))
    folder.chmod(0o755)
    (folder / "www").mkdir(mode=0o755)
    with open(folder / "www/big", "wb") as out:
        out.write(os.urandom(args.mib << 20))
    (folder / "www/big").chmod(0o644)
    results: dict[tuple[str, int], float] = {}
    table = servers(folder)
    try:
        with Lan() as lan:
            server, client = lan.add_host("srv", SERVER), lan.add_host("cli", CLIENT)
            for name, (cmd, url) in table.items():
                proc = lan.spawn(server, cmd)
                probe = client.command(["curl", "-s", "-o", "/dev/null", "--fail", "--max-time", "60", url])
                wait_for(lambda probe=probe: subprocess.run(probe).returncode == 0, 30, name)
                for count in counts:
                    results[(name, count)] = download(lan, client, url, count)
                proc.terminate()
                proc.wait()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    base = args.mib / results[("nginx", 1)]
    print(f"{args.mib} MiB file; aggregate MiB/s (× one nginx download); TFTP blksize {TFTP_BLKSIZE}")
    print(f"{'server':<20}" + "".join(f"{f'{c} client' + ('s' if c > 1 else ''):>22}" for c in counts))
    for name in table:
        cells = [args.mib * c / results[(name, c)] for c in counts]
        print(f"{name:<20}" + "".join(f"{v:>12.1f} ({v / base:5.2f}×)" for v in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
