"""``livepxe serve`` as a process on a namespace's interface: it starts, and SIGTERM leaves nothing behind.

Needs root (network namespaces) and dnsmasq, no QEMU: a few seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from livepxe.convert import ConvertOptions, convert
from livepxe.serve import httploader, siteconf
from tests.fixtures import netns
from tests.serve.lan import REPO, SERVER, livepxe_serve


@pytest.fixture
def lan():
    why = netns.usable() or (None if shutil.which("dnsmasq") else "needs dnsmasq (dnsmasq-base)")
    if why:
        pytest.skip(why)
    with netns.Lan() as made:
        yield made


@pytest.fixture
def tree(tiny_iso):
    folder = Path(tempfile.mkdtemp(prefix="livepxe-serve-unit-"))
    folder.chmod(0o755)
    yield convert(ConvertOptions(iso=tiny_iso, output=folder / "tree", progress=False)).root
    shutil.rmtree(folder, ignore_errors=True)


def _processes_naming(text: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def _mounted_anywhere(folder: str) -> list[int]:
    """Processes whose mount table holds a mount at or below ``folder``."""
    found = []
    for table in Path("/proc").glob("[0-9]*/mountinfo"):
        try:
            if f" {folder}/" in table.read_text():
                found.append(int(table.parent.name))
        except OSError:
            continue
    return found


def test_sigterm_stops_dnsmasq_and_removes_the_work_folder(lan, tree, tmp_path):
    server = lan.add_host("serve", SERVER)
    proc, out = livepxe_serve(lan, server, tree, tmp_path, "--uefi", "early")
    banner = out.read_text()
    work = Path(re.search(r"TFTP (/\S+)/tftp;", banner)[1])  # type: ignore[index]
    assert (work / "dnsmasq.conf").is_file() and _processes_naming(str(work / "dnsmasq.conf"))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert not work.exists()
    assert not _processes_naming(str(work / "dnsmasq.conf"))
    assert "livepxe serve: stopped" in out.read_text()


@pytest.mark.parametrize("flag, bios", [(None, "livepxe-lpxelinux.0"), ("--tftp-only", "pxelinux.0")])
def test_bios_clients_get_lpxelinux_unless_tftp_only(lan, tree, tmp_path, flag, bios):
    if flag is None and httploader.find() is None:
        pytest.skip("needs lpxelinux.0 (pxelinux) and pxelinux-options (syslinux-utils)")
    server = lan.add_host("serve", SERVER)
    _, out = livepxe_serve(lan, server, tree, tmp_path, *([flag] if flag else []))
    assert f"clients boot BIOS {bios}," in out.read_text()


def test_a_second_serve_on_the_same_host_is_refused_in_one_line(lan, tree, tmp_path):
    server = lan.add_host("serve", SERVER)
    livepxe_serve(lan, server, tree, tmp_path)
    second = tmp_path / "second"
    second.mkdir()
    with pytest.raises(AssertionError, match=r"error: port 67/udp \(DHCP\) on 0\.0\.0\.0 \(eth0\) is taken.*"
                                                 r"stop the other DHCP or proxyDHCP server on eth0"):
        livepxe_serve(lan, server, tree, second)


def test_an_interface_without_ipv4_is_refused(lan, tree, tmp_path):
    server = lan.add_host("serve", SERVER)
    subprocess.run(["ip", "-n", server.namespace, "addr", "flush", "dev", "eth0"], check=True)
    with pytest.raises(AssertionError, match="interface eth0 has no IPv4 address"):
        livepxe_serve(lan, server, tree, tmp_path)


def test_a_tree_in_a_private_folder_is_served_through_a_private_bind_and_left_whole(lan, tiny_iso, tmp_path):
    """A 0700 folder (a home, ``mktemp -d``) above the tree: dnsmasq, which drops root, still reads it."""
    if shutil.which("curl") is None:
        pytest.skip("needs curl")
    private = Path(tempfile.mkdtemp(prefix="livepxe-private-"))  # 0700
    try:
        tree = convert(ConvertOptions(iso=tiny_iso, output=private / "tree", progress=False)).root
        before = sorted((p.relative_to(tree), p.stat().st_size) for p in tree.rglob("*"))
        server, client = lan.add_host("serve", SERVER), lan.add_host("client", "198.18.0.3/24")
        proc, out = livepxe_serve(lan, server, tree, tmp_path)
        ip = SERVER.split("/")[0]
        for url in (f"tftp://{ip}/boot.ipxe", f"http://{ip}/boot.ipxe"):
            got = subprocess.run(client.command(["curl", "-sf", "--max-time", "20", url]), capture_output=True)
            assert got.returncode == 0 and got.stdout == (tree / "boot.ipxe").read_bytes(), (url, got.stderr)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, out.read_text()
        assert sorted((p.relative_to(tree), p.stat().st_size) for p in tree.rglob("*")) == before
        assert str(private) not in Path("/proc/self/mountinfo").read_text()
    finally:
        shutil.rmtree(private, ignore_errors=True)


@pytest.mark.parametrize("options, builds", [([], True), (["--dhcp", "198.18.0.200,198.18.0.210"], True),
                                              (["--tftp-only", "--uefi", "signed"], False)],
                         ids=["proxy", "dhcp", "tree-loaders-only"])
def test_print_config_is_the_dnsmasq_config_and_boot_files_serve_runs(lan, tree, tmp_path, options, builds):
    """Issue 15: ``--print-config`` renders the one plan ``serve`` carries out, loaders and all."""
    server = lan.add_host("serve", SERVER)
    proc, out = livepxe_serve(lan, server, tree, tmp_path, *options)
    banner = out.read_text()
    tftp = Path(re.search(r"TFTP (/\S+);", banner)[1])  # type: ignore[index]
    running = Path(re.search(r"dnsmasq runs (/\S+);", banner)[1]).read_text()  # type: ignore[index]
    loaders = tmp_path / "loaders"
    printed = subprocess.run(server.command([sys.executable, "-m", "livepxe", "serve", str(tree), "-i", "eth0",
                                             *options, "--print-config", "--loader-dir", str(loaders)]),
                             capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert printed.returncode == 0, printed.stderr
    section = printed.stdout.split("### ")[1].split("\n", 1)[1]
    def settings(text: str) -> list[str]:   # comments aside (the printed one adds advice)
        return [line for line in text.splitlines() if line and not line.startswith("#")]

    # The same DHCP answers; TFTP is left to tftp-hpa, which each boot file names (issue 19 item 3); the lease
    # file is serve's own.
    served_tftp = [line for line in settings(running) if not line.startswith(("enable-tftp", "tftp-"))]
    printed_lines = [re.sub(rf",,?{re.escape(server.ip)}$", "", line) for line in settings(section)]
    assert [line for line in printed_lines if not line.startswith(("dhcp-leasefile", "leasefile-ro"))] == \
        [line for line in served_tftp if not line.startswith(("dhcp-leasefile", "leasefile-ro"))]
    # The same boot files: what serve built and what it links, byte for byte; or the tree itself when it builds none.
    if builds:
        assert tftp.parent / "root" != tftp
        ours = sorted(p.name for p in tftp.iterdir() if not p.is_symlink())
        assert ours and ours == sorted(p.name for p in loaders.iterdir()
                                       if not p.is_symlink() and p.name != siteconf.TFTP_MAP)
        for name in ours:
            assert (loaders / name).read_bytes() == (tftp / name).read_bytes(), name
        assert sorted(p.name for p in tftp.iterdir()) == sorted(p.name for p in loaders.iterdir()
                                                                   if p.name != siteconf.TFTP_MAP)
    else:
        assert tftp.name == "root" and not loaders.exists()          # the tree's own folder, through serve's bind
        assert f"tftp-root={tree}" in printed.stdout or str(tree) in printed.stdout
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def test_sigkill_of_serve_ends_dnsmasq_and_the_next_serve_sweeps_its_folder(lan, tree, tmp_path):
    # Issue 18, Medium 10: SIGKILL left dnsmasq running (with --dhcp it kept handing out leases).
    server = lan.add_host("serve", SERVER)
    proc, out = livepxe_serve(lan, server, tree, tmp_path)
    config = Path(re.search(r"dnsmasq runs (/\S+);", out.read_text())[1])  # type: ignore[index]
    assert _processes_naming(str(config)) and _mounted_anywhere(str(config.parent))   # the tree is bound there
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=15)
    for _ in range(50):
        if not [p for p in _processes_naming(str(config)) if p != os.getpid()]:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"dnsmasq outlived a SIGKILLed serve: {_processes_naming(str(config))}")
    for _ in range(50):                          # the bind mount ends with the last process of serve's namespace
        if not _mounted_anywhere(str(config.parent)):
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"serve's bind mount outlived it: {_mounted_anywhere(str(config.parent))}")
    assert config.parent.exists()                # SIGKILL ran no cleanup ...
    second = tmp_path / "second"
    second.mkdir()
    again, _ = livepxe_serve(lan, server, tree, second)
    assert not config.parent.exists()            # ... the next serve removed what the killed one left
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=15) == 0


def test_a_catalogue_root_is_served_menus_first(lan, tiny_iso, tmp_path):
    """``serve ROOT`` for a root holding two images: TFTP and HTTP hand out its menus and each image's files."""
    if shutil.which("curl") is None:
        pytest.skip("needs curl")
    folder = Path(tempfile.mkdtemp(prefix="livepxe-serve-catalogue-"))
    folder.chmod(0o755)
    try:
        root = folder / "root"
        root.mkdir()
        root.chmod(0o755)
        for name in ("a", "b"):
            convert(ConvertOptions(iso=tiny_iso, tftproot=root, imagedir=f"live/{name}", bootfile=f"live.{name}",
                                   progress=False))
        server, client = lan.add_host("serve", SERVER), lan.add_host("client", "198.18.0.3/24")
        proc, out = livepxe_serve(lan, server, root, tmp_path)
        ip = SERVER.split("/")[0]
        for url, path in ((f"http://{ip}/menu.ipxe", "menu.ipxe"), (f"tftp://{ip}/grub/grub.cfg", "grub/grub.cfg"),
                          (f"tftp://{ip}/pxelinux.cfg/default", "pxelinux.cfg/default"),
                          (f"http://{ip}/live/b/boot.ipxe", "live/b/boot.ipxe")):
            got = subprocess.run(client.command(["curl", "-sf", "--max-time", "20", url]), capture_output=True)
            assert got.returncode == 0 and got.stdout == (root / path).read_bytes(), (url, got.stderr)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, out.read_text()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
