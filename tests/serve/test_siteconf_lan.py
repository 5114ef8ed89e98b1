"""``serve --print-config`` as printed: dnsmasq, tftp-hpa and nginx run side by side on one host.

The printed dnsmasq config and tftp-hpa once both wanted UDP 69, and
``in.tftpd`` exited.  Here both start from the printed text in a network
namespace (198.18.0.0/15), stay up, and tftp-hpa serves the first loader and,
through the loader folder's links, the tree's own files — never a path with ``..``.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from livepxe.cli import main
from livepxe.serve import dnsmasq
from tests.fixtures import netns
from tests.serve.lan import SERVER
from tests.serve.test_serve_units import tree  # noqa: F401  (fixture)

#: A TFTP read request from Python (curl normalises ``..`` away before sending it).
RRQ = """import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b"\\0\\1" + sys.argv[2].encode() + b"\\0octet\\0", (sys.argv[1], 69))
data = b""
while True:
    pkt, peer = s.recvfrom(4096)
    if pkt[1] == 5:
        sys.exit("error " + pkt[4:-1].decode())
    data += pkt[4:]
    s.sendto(b"\\0\\4" + pkt[2:4], peer)
    if len(pkt) < 516:
        break
sys.stdout.buffer.write(data)
"""


def _sections(out: str) -> dict[str, str]:
    return dict(part.split("\n", 1) for part in out.split("### ")[1:])


def _tftpd_command(default: str) -> list[str]:
    """in.tftpd as Debian's tftpd-hpa unit runs it from /etc/default/tftpd-hpa (in the foreground)."""
    values = {}
    for line in default.splitlines():
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = shlex.split(value)[0] if value else ""
    return ["in.tftpd", "--foreground", "--listen", "--user", values["TFTP_USERNAME"], "--address",
            values["TFTP_ADDRESS"], *shlex.split(values["TFTP_OPTIONS"]), values["TFTP_DIRECTORY"]]


def _fetch(lan: netns.Lan, host: netns.Host, name: str) -> subprocess.CompletedProcess:
    return subprocess.run(host.command([sys.executable, "-c", RRQ, host.ip, name]), capture_output=True)


def test_printed_dnsmasq_and_tftp_hpa_run_side_by_side(tree, tmp_path, capsys):  # noqa: F811
    why = netns.usable()
    missing = [t for t in ("dnsmasq", "in.tftpd") if shutil.which(t) is None]
    if why or missing:
        pytest.skip(why or f"needs {', '.join(missing)} (dnsmasq, tftpd-hpa)")
    loaders = tmp_path / "loaders"
    assert main(["serve", str(tree), "--interface", "eth0", "--address", SERVER, "--print-config",
                 "--loader-dir", str(loaders)]) == 0
    out = capsys.readouterr().out
    sections = _sections(out)
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(next(body for title, body in sections.items() if title.startswith("dnsmasq")))
    dnsmasq.check(conf)
    assert "enable-tftp" not in conf.read_text() and "Run all three side by side" in out
    first = next(line.rsplit(",", 2)[1] for line in conf.read_text().splitlines()
                 if line.startswith("pxe-service=tag:!ipxe,x86PC,"))
    with netns.Lan() as lan:
        server = lan.add_host("server", SERVER)
        logs = {name: open(tmp_path / f"{name}.log", "wb") for name in ("dnsmasq", "tftpd")}
        daemons = {"dnsmasq": lan.spawn(server, [dnsmasq.binary(), "--keep-in-foreground", f"--conf-file={conf}",
                                                 "--log-facility=-", "--pid-file="], logs["dnsmasq"])}
        time.sleep(1)
        daemons["tftpd"] = lan.spawn(server, _tftpd_command(sections["tftp-hpa"]), logs["tftpd"])
        time.sleep(1.5)
        said = {name: (tmp_path / f"{name}.log").read_text(errors="replace") for name in daemons}
        assert all(proc.poll() is None for proc in daemons.values()), said
        got = _fetch(lan, server, first)
        assert got.returncode == 0 and got.stdout == (loaders / first).read_bytes(), got.stderr
        linked = _fetch(lan, server, "/grub/grub.cfg")
        assert linked.returncode == 0 and linked.stdout == (tree / "grub/grub.cfg").read_bytes(), linked.stderr
        escape = _fetch(lan, server, "grub/../../" * 8 + "etc/passwd")
        assert escape.returncode != 0 and not escape.stdout
        assert all(proc.poll() is None for proc in daemons.values())


def test_the_printed_loader_folder_maps_tftp_paths_into_itself(tree, tmp_path, capsys):  # noqa: F811
    loaders = tmp_path / "loaders"
    assert main(["serve", str(tree), "-i", "eth0", "--address", SERVER, "--print-config",
                 "--loader-dir", str(loaders)]) == 0
    tftp = _sections(capsys.readouterr().out)["tftp-hpa"]
    assert 'TFTP_OPTIONS="--secure"' not in tftp and f"--map-file {loaders.absolute()}/livepxe-tftpd.map" in tftp
    assert Path(loaders / "livepxe-tftpd.map").read_text().endswith(f"r ^/*(.*) {loaders.absolute()}/\\1\n")
