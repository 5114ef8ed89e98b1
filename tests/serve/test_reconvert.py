"""Issue 18, Medium 11: ``convert --force`` of the tree being served; serve follows the new tree, never silently 404s.

``convert --force`` puts the new tree in place by rename, so the folder
serve opened (and bound, for a private tree) is no longer the one at the
path.  Real TFTP and HTTP fetches from a client namespace, before and after
the reconvert, for a public tree and for one under a 0700 folder.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from livepxe.convert import ConvertOptions, convert
from livepxe.serve import treewatch
from tests.fixtures import netns
from tests.isofactory import make_iso
from tests.serve.lan import SERVER, livepxe_serve, serve_lan

CLIENT = "198.18.0.3/24"
NEW_ARGS = "root=live:CDLABEL=Other rd.live.image livepxe.reconverted=1"


@pytest.fixture
def lan():
    yield from serve_lan("lps")


def _fetch(client: netns.Host, url: str) -> bytes | None:
    got = subprocess.run(client.command(["curl", "-sf", "--max-time", "10", url]), capture_output=True)
    return got.stdout if got.returncode == 0 else None


def _kernel(tree: Path) -> str:
    return str(next(p for p in sorted(tree.rglob("vmlinuz*")) if p.is_file()).relative_to(tree))


@pytest.mark.parametrize("where", ["public", "private"])
def test_reconverting_the_served_tree_serves_the_new_tree(lan, tiny_iso, tmp_path, where):
    parent = Path(tempfile.mkdtemp(prefix="livepxe-reconvert-"))   # 0700
    try:
        if where == "public":
            parent.chmod(0o755)
        output = parent / "tree"
        tree = convert(ConvertOptions(iso=tiny_iso, output=output, progress=False)).root
        server, client = lan.add_host("serve", SERVER), lan.add_host("client", CLIENT)
        proc, out = livepxe_serve(lan, server, output, tmp_path)
        ip = SERVER.split("/")[0]
        names = ["boot.ipxe", _kernel(tree)]
        urls = [f"{scheme}://{ip}/{name}" for name in names for scheme in ("tftp", "http")]
        old = {url: (tree / url.split("/", 3)[3]).read_bytes() for url in urls}
        for url in urls:
            assert _fetch(client, url) == old[url], url

        other = make_iso(tmp_path / "other" / "Other-Live.iso")
        convert(ConvertOptions(iso=other, output=output, force=True, cmdline=NEW_ARGS, progress=False))
        new = {url: (output / url.split("/", 3)[3]).read_bytes() for url in urls}
        assert all(new[url] != old[url] for url in urls)    # the test tells the two trees apart

        deadline, pending = time.monotonic() + 40, list(urls)
        while pending and time.monotonic() < deadline:
            for url in list(pending):
                got = _fetch(client, url)
                assert got in (None, old[url], new[url]), url   # a file is either tree's, never anything else
                if got == new[url]:
                    pending.remove(url)
            time.sleep(0.5)
        assert not pending, f"still not the new tree's: {pending}\n{out.read_text()}"
        text = out.read_text()
        assert "was replaced" in text and text.count("livepxe serve: clients boot") == 2, text
        assert proc.poll() is None, text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, out.read_text()
        assert str(parent) not in Path("/proc/self/mountinfo").read_text()
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def test_a_tree_replaced_by_one_failing_verify_stops_serve_in_one_line(lan, tiny_iso, tmp_path):
    parent = Path(tempfile.mkdtemp(prefix="livepxe-reconvert-"))
    try:
        parent.chmod(0o755)
        output = parent / "tree"
        convert(ConvertOptions(iso=tiny_iso, output=output, progress=False))
        server = lan.add_host("serve", SERVER)
        proc, out = livepxe_serve(lan, server, output, tmp_path)
        broken = parent / "broken"
        shutil.copytree(output, broken, symlinks=True)
        (broken / "boot.ipxe").unlink()
        output.rename(parent / "old")
        broken.rename(output)
        assert proc.wait(timeout=40) != 0, out.read_text()
        lines = [line for line in out.read_text().splitlines() if "error" in line]
        assert len(lines) == 1 and "fails verify" in lines[0] and "Traceback" not in out.read_text(), lines
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def test_a_replaced_path_is_seen_and_waited_for_until_it_settles(tmp_path):
    folder = tmp_path / "tree"
    folder.mkdir()
    watch = treewatch.TreeWatch([folder])
    assert watch.replaced() is None
    folder.rename(tmp_path / "old")
    assert watch.replaced() == folder                      # gone
    assert not treewatch.wait_settled(folder, seconds=0.6, settle=0.2)
    folder.mkdir()
    assert watch.replaced() == folder                      # another folder under the same name
    assert treewatch.wait_settled(folder, seconds=5, settle=0.2)
