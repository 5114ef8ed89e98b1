"""A site's own DHCP server configured from a tree's snippets, exactly as the snippets' comments say.

Each site config is what an admin writes by following the snippet: the
include (or ``conf-file``) line and the ``next-server`` line are taken from
the snippet's own comments (``#   ...`` lines), with the documentation
address 192.0.2.1 replaced by the LAN's TFTP server; the rest is the site's
own (its subnet and range).  `start` runs the real daemon in the site's
namespace; `answers` asks it with busybox udhcpc as BIOS, UEFI and iPXE
clients ask (option 93, user class 77) and fetches the offered boot file
from the offered next-server with busybox tftp.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from livepxe.tree.layout import DHCPD, DHCPD_TOPLEVEL, DNSMASQ, KEA
from tests.fixtures.netns import Host, Lan, stop
from tests.serve.crowd import HOOK

SITE = "198.18.32.1/24"
TFTP = "198.18.32.2/24"
SUBNET, NETMASK = "198.18.32.0", "255.255.255.0"
RANGE = ("198.18.32.100", "198.18.32.150")
DOC_ADDRESS = "192.0.2.1"
DAEMONS = ("dhcpd", "kea", "dnsmasq")
#: What each daemon needs on the host (Debian packages in .ci/apt-packages.txt).
TOOLS = {"dhcpd": "dhcpd", "kea": "kea-dhcp4", "dnsmasq": "dnsmasq"}
_serial = [0]


def lan() -> Lan:
    """A LAN whose namespaces are named ``lpd...`` (this suite's own prefix)."""
    _serial[0] += 1
    return Lan(tag=f"lpd{os.getpid() % 100000}{_serial[0]}")


def told(snippet: str, start: str) -> str:
    """The one line the snippet's comments tell the admin to write, starting with ``start``."""
    found = [line[len("#   "):] for line in snippet.splitlines() if line.startswith("#   " + start)]
    assert len(found) == 1, f"the snippet's comments do not say once how to write {start!r}:\n{snippet}"
    return found[0]


def snippet(tree: Path, name: str) -> str:
    return (tree / name).read_text()


def config(daemon: str, tree: Path, work: Path, tftp_ip: str) -> Path:
    """The site's config file for ``daemon``, assembled from the tree's snippet as its comments say."""
    if daemon == "dhcpd":
        scope = snippet(tree, DHCPD)
        text = ("# the site's own dhcpd.conf\nauthoritative;\nddns-update-style none;\ndefault-lease-time 600;\n"
                f"{told(snippet(tree, DHCPD_TOPLEVEL), 'include ')}\n"
                f"subnet {SUBNET} netmask {NETMASK} {{\n  range {RANGE[0]} {RANGE[1]};\n"
                f"  {told(scope, 'next-server ').replace(DOC_ADDRESS, tftp_ip)}\n"
                f"  {told(scope, 'include ')}\n}}\n")
        path = work / "dhcpd.conf"
    elif daemon == "kea":
        kea = snippet(tree, KEA)
        text = ('// the site\'s own kea-dhcp4.conf\n{ "Dhcp4": {\n'
                '  "interfaces-config": { "interfaces": [ "eth0" ], "dhcp-socket-type": "raw" },\n'
                '  "lease-database": { "type": "memfile", "persist": false },\n'
                f'  {told(kea, chr(34) + "client-classes")}\n'
                f'  "subnet4": [ {{ "id": 1, "subnet": "{SUBNET}/24",\n'
                f'    "pools": [ {{ "pool": "{RANGE[0]} - {RANGE[1]}" }} ],\n'
                f'    {told(kea, chr(34) + "next-server").replace(DOC_ADDRESS, tftp_ip).rstrip(",")} }} ],\n'
                '  "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "stdout" } ],\n'
                '    "severity": "INFO" } ]\n} }\n')
        path = work / "kea-dhcp4.conf"
    else:
        text = ("# the site's own dnsmasq.conf\nport=0\ninterface=eth0\nbind-interfaces\nlog-dhcp\n"
                f"dhcp-range={RANGE[0]},{RANGE[1]},{NETMASK},1h\ndhcp-leasefile={work / 'dnsmasq.leases'}\n"
                f"{told(snippet(tree, DNSMASQ), 'conf-file=')}\n")
        path = work / "dnsmasq.conf"
    path.write_text(text)
    return path


def check(daemon: str, conf: Path, work: Path) -> subprocess.CompletedProcess:
    """The daemon's own syntax check of ``conf``: ``dhcpd -t``, ``kea-dhcp4 -t``, ``dnsmasq --test``."""
    argv = {"dhcpd": ["dhcpd", "-4", "-t", "-cf", str(conf)],
            "kea": ["kea-dhcp4", "-t", str(conf)],
            "dnsmasq": ["dnsmasq", "--test", f"--conf-file={conf}"]}[daemon]
    return subprocess.run(argv, capture_output=True, text=True, env=_env(work))


def _env(work: Path) -> dict[str, str]:
    """Kea keeps its lock and pid files where these say (not /run/kea)."""
    return {**os.environ, "KEA_LOCKFILE_DIR": str(work), "KEA_PIDFILE_DIR": str(work)}


def start(daemon: str, lan: Lan, site: Host, conf: Path, work: Path) -> subprocess.Popen:
    """``daemon`` in the foreground in ``site``'s namespace, logging to WORK/DAEMON.log; returns once it listens."""
    log_path = work / f"{daemon}.log"
    if daemon == "dhcpd":
        leases = work / "dhcpd.leases"
        leases.touch()
        argv = ["dhcpd", "-4", "-f", "-d", "-cf", str(conf), "-lf", str(leases), "-pf", str(work / "dhcpd.pid"),
                "eth0"]
        ready = "Server starting service."
    elif daemon == "kea":
        argv, ready = ["kea-dhcp4", "-c", str(conf)], "DHCP4_STARTED"
    else:
        argv = ["dnsmasq", "--keep-in-foreground", f"--conf-file={conf}", "--log-facility=-", "--pid-file="]
        ready = "DHCP, IP range"
    proc = lan.spawn(site, argv, open(log_path, "wb"), env=_env(work))
    deadline = time.monotonic() + 30
    while ready not in log_path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise AssertionError(f"{daemon} did not start:\n{log_path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)
    return proc


def tftp_hpa(lan: Lan, server: Host, root: Path, work: Path) -> subprocess.Popen:
    """tftp-hpa serving ``root`` on ``server`` (as Debian's tftpd-hpa runs it, in the foreground)."""
    return lan.spawn(server, ["in.tftpd", "--foreground", "--secure", "--verbose", "--address", f"{server.ip}:69",
                              str(root)], open(work / "tftpd.log", "wb"))


#: Client kinds: option 93 as udhcpc sends it, and the user class (option 77), if any.
KINDS = {"bios": ("0000", ""), "uefi": ("0007", ""), "ipxe": ("0000", "iPXE"), "ipxe-uefi": ("0007", "iPXE")}


@dataclass
class Answer:
    kind: str
    boot_file: str = ""
    siaddr: str = ""
    fetched: Optional[bytes] = None
    log: str = ""


def answers(lan: Lan, client: Host, work: Path) -> dict[str, Answer]:
    """Ask as each client kind in turn; what the site's server offered and the boot file fetched from it."""
    hook = work / "udhcpc-hook"
    hook.write_text(HOOK)
    hook.chmod(0o755)
    found = {}
    for kind, (arch, user_class) in KINDS.items():
        lease, loader = work / f"{kind}.lease", work / f"{kind}.loader"
        lease.unlink(missing_ok=True)
        subprocess.run(["ip", "-n", client.namespace, "addr", "flush", "dev", "eth0"], check=True)
        argv = ["busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "6", "-T", "1", "-A", "1", "-s", str(hook),
                "-V", f"PXEClient:Arch:{int(arch, 16):05d}:UNDI:002001", "-x", f"0x5d:{arch}"]
        if user_class:
            argv += ["-x", "0x4d:" + user_class.encode().hex()]
        run = subprocess.run(client.command(argv), capture_output=True, text=True, timeout=60,
                             env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LEASE": str(lease)})
        answer = Answer(kind, log=run.stdout + run.stderr)
        if lease.exists():
            values = dict(re.findall(r"^(\w+)='(.*)'$", lease.read_text(), re.M))
            answer.boot_file, answer.siaddr = values.get("boot_file", ""), values.get("siaddr", "")
            if answer.boot_file and answer.siaddr:
                got = subprocess.run(client.command(["busybox", "tftp", "-g", "-b", "1468", "-r", answer.boot_file,
                                                     "-l", str(loader), answer.siaddr]),
                                     capture_output=True, text=True, timeout=60)
                answer.fetched = loader.read_bytes() if got.returncode == 0 else None
                answer.log += got.stderr
        found[kind] = answer
    return found


def missing_tools(*extra: str) -> list[str]:
    return [t for t in (*TOOLS.values(), "busybox", *extra) if shutil.which(t) is None]
