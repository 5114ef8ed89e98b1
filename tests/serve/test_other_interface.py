"""Issue 18, Low 14: serve answers HTTP and TFTP only on the interface it serves, even to a client routed in.

The serving host has a second link (``eth1``) to a host on another network
that routes the served address through it: what arrives there is the other
network's, not the LAN's, and gets no answer.  A client on the LAN is the
control.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from livepxe.convert import ConvertOptions, convert
from tests.serve.lan import SERVER, livepxe_serve, serve_lan

FAR_SERVER, FAR = "198.18.65.1/24", "198.18.65.2/24"


@pytest.fixture
def lan():
    yield from serve_lan("lpso")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def _fetch(host: list[str], url: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", *host, "curl", "-sf", "--max-time", "6", url], capture_output=True)


def test_http_and_tftp_do_not_answer_on_another_interface(lan, tiny_iso, tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="livepxe-otherif-"))
    far = f"{lan.tag}-far"
    try:
        folder.chmod(0o755)
        tree = convert(ConvertOptions(iso=tiny_iso, output=folder / "tree", progress=False)).root
        server, client = lan.add_host("serve", SERVER), lan.add_host("client", "198.18.0.3/24")
        _ip("netns", "add", far)
        _ip("-n", server.namespace, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", far)
        _ip("-n", server.namespace, "addr", "add", FAR_SERVER, "dev", "eth1")
        _ip("-n", far, "addr", "add", FAR, "dev", "eth0")
        for ns, dev in ((server.namespace, "eth1"), (far, "eth0"), (far, "lo")):
            _ip("-n", ns, "link", "set", dev, "up")
        _ip("-n", far, "route", "add", "198.18.0.0/24", "via", FAR_SERVER.split("/")[0])
        proc, out = livepxe_serve(lan, server, tree, tmp_path)
        ip = SERVER.split("/")[0]
        for scheme in ("http", "tftp"):
            url = f"{scheme}://{ip}/boot.ipxe"
            assert _fetch([client.namespace], url).stdout == (tree / "boot.ipxe").read_bytes(), url
            got = _fetch([far], url)
            assert got.returncode != 0 and not got.stdout, (url, got)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, out.read_text()
    finally:
        subprocess.run(["ip", "netns", "del", far], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
