"""Issue 18, Medium 4: a FIFO the tree's owner adds while it is served must not freeze TFTP and DHCP.

dnsmasq opens a TFTP file before it looks at it, and opening a FIFO waits
for a writer: one request froze all of dnsmasq.  `verify` refuses a tree
holding one at the start; this is the FIFO made afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from livepxe.convert import ConvertOptions, convert
from tests.fixtures import netns
from tests.serve.lan import REPO, SERVER, livepxe_serve, serve_lan


@pytest.fixture
def lan():
    yield from serve_lan("lpsf")


def _tftp(client: netns.Host, url: str, seconds: int) -> subprocess.CompletedProcess:
    return subprocess.run(client.command(["curl", "-sf", "--max-time", str(seconds), url]), capture_output=True)


@pytest.mark.parametrize("writer_held", [False, True], ids=["fifo", "fifo-with-a-writer-held"])
def test_a_fifo_added_while_served_is_noticed_and_tftp_answers_again(lan, tiny_iso, tmp_path, writer_held):
    """With a writer held open (by the tree's owner) dnsmasq's open does not wait and it sends an empty file."""
    parent = Path(tempfile.mkdtemp(prefix="livepxe-fifo-"))
    try:
        parent.chmod(0o755)
        tree = convert(ConvertOptions(iso=tiny_iso, output=parent / "tree", progress=False)).root
        server, client = lan.add_host("serve", SERVER), lan.add_host("client", "198.18.0.3/24")
        proc, out = livepxe_serve(lan, server, tree, tmp_path)
        ip = SERVER.split("/")[0]
        probe = subprocess.run(server.command([sys.executable, "-c", "from livepxe.serve import tftpwatch; "
                                               f"print(tftpwatch.answers({ip!r}))"]),
                               capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert probe.stdout.strip() == "True", probe         # serve's own probe reaches its TFTP server
        folder = next(p for p in sorted(tree.iterdir()) if p.is_dir())
        os.mkfifo(folder / "stuck", 0o644)
        fifo_url = f"tftp://{ip}/{folder.name}/stuck"
        held = os.open(folder / "stuck", os.O_RDWR) if writer_held else -1
        _tftp(client, fifo_url, 3)
        start = time.monotonic()
        got = _tftp(client, f"tftp://{ip}/boot.ipxe", 30)
        assert got.returncode == 0 and got.stdout == (tree / "boot.ipxe").read_bytes(), out.read_text()
        assert time.monotonic() - start < 30
        assert _tftp(client, fifo_url, 10).stdout == b""                 # covered: an empty file, at once
        assert _tftp(client, f"tftp://{ip}/boot.ipxe", 5).returncode == 0
        lines = [line for line in out.read_text().splitlines() if "stopped answering" in line]
        if writer_held:
            assert not lines, lines
        else:
            assert len(lines) == 1 and f"{folder.name}/stuck in the tree is a FIFO" in lines[0], out.read_text()
        assert "alive-probe" not in out.read_text()
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, out.read_text()
        assert stat.S_ISFIFO((folder / "stuck").lstat().st_mode)         # the tree itself is untouched
        if held >= 0:
            os.close(held)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
