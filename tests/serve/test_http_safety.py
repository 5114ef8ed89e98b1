"""serve's HTTP server against a hostile tree and hostile clients (issue 18): what it must never hand out or do.

Each test names the defect it guards against; all run on loopback, as
root where the worker's privilege drop is the point.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from livepxe.serve.http import Request, TreeServer
from livepxe.serve.httpworker import byte_range, url_parts

SECRET = b"root-only secret\n"
PUBLIC = b"public bytes\n" * 100

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the worker drops root only when started as root")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A served folder with one public file, and a root-only file outside it (as /etc/shadow is)."""
    root = tmp_path / "tree"
    root.mkdir()
    root.chmod(0o755)
    (root / "boot.ipxe").write_bytes(PUBLIC)
    (root / "boot.ipxe").chmod(0o644)
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    secret.chmod(0o600)
    return root


def _get(port: int, path: str, headers: Optional[Dict[str, str]] = None) -> tuple[int, bytes, Dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, reply.read(), dict(reply.getheaders())
    finally:
        conn.close()


def _raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except socket.timeout:
            pass
        return b"".join(chunks)


def test_a_folders_index_file_linked_to_a_root_only_file_is_not_served(tree, tmp_path):
    # High 1: Python's handler served idx/index.html through any link.
    (tree / "idx").mkdir(mode=0o755)
    (tree / "idx" / "index.html").symlink_to(tmp_path / "secret")
    (tree / "idx" / "index.htm").symlink_to(tmp_path / "secret")
    with TreeServer(tree, "127.0.0.1", 0, lambda r: None) as server:
        for path in ("/idx/", "/idx", "/idx/index.html", "/idx/index.htm"):
            status, body, _ = _get(server.port, path)
            assert status == 404 and SECRET not in body, path


def test_links_leaving_the_tree_and_special_files_are_never_served(tree, tmp_path):
    # Medium 5: /dev/zero, /proc files and root-only files through links; a FIFO froze the server.
    os.mkfifo(tree / "fifo")
    (tree / "fifo").chmod(0o644)
    links = {"zero": "/dev/zero", "random": "/dev/urandom", "kallsyms": "/proc/kallsyms",
             "maps": "/proc/self/maps", "passwd": "/etc/passwd", "up": "../secret", "deep": "a/../../secret"}
    for name, target in links.items():
        (tree / name).symlink_to(target)
    (tree / "inside").symlink_to("boot.ipxe")
    with TreeServer(tree, "127.0.0.1", 0, lambda r: None) as server:
        for name in (*links, "fifo"):
            status, body, _ = _get(server.port, f"/{name}")
            assert (status, body[:0]) == (404, b""), name
        assert _get(server.port, "/inside")[:2] == (200, PUBLIC)   # a link that stays in the tree is fine
        assert _get(server.port, "/boot.ipxe")[:2] == (200, PUBLIC)


@needs_root
def test_a_link_swapped_while_clients_ask_never_returns_the_root_only_file(tree, tmp_path):
    # High 2: check-then-open by path returned /etc/shadow in 148 of 1,500 requests.
    public = tree / "public"
    public.write_bytes(PUBLIC)
    public.chmod(0o644)
    swapped = tree / "swapped"
    swapped.symlink_to("public")
    targets = ("public", str(tmp_path / "secret"), "../secret")
    stop = threading.Event()

    def swap() -> None:
        flip = 0
        while not stop.is_set():
            spare = tree / ".next"
            os.symlink(targets[flip % 3], spare)
            os.replace(spare, swapped)
            flip += 1

    swapper = threading.Thread(target=swap)
    answers: List[tuple[int, bytes]] = []
    with TreeServer(tree, "127.0.0.1", 0, lambda r: None) as server:
        swapper.start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
            for _ in range(1500):
                conn.request("GET", "/swapped")
                reply = conn.getresponse()
                answers.append((reply.status, reply.read()))
                if reply.status != 200:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
            conn.close()
        finally:
            stop.set()
            swapper.join()
    assert not any(SECRET in body for _, body in answers)
    assert {status for status, _ in answers} <= {200, 404}
    assert all(body == PUBLIC for status, body in answers if status == 200)
    assert any(status == 200 for status, _ in answers)        # the public side of the swap was served


@needs_root
def test_the_worker_serves_as_the_unprivileged_user_with_no_groups(tree, tmp_path):
    (tree / "mine-only").write_bytes(SECRET)
    (tree / "mine-only").chmod(0o600)                 # root's, inside the tree: not world-readable
    closed = tree / "closed"
    closed.mkdir(mode=0o700)
    (closed / "readable").write_bytes(PUBLIC)
    (closed / "readable").chmod(0o644)
    with TreeServer(tree, "127.0.0.1", 0, lambda r: None) as server:
        assert server.process is not None
        for _ in range(50):   # the worker drops root just before it starts accepting
            if _get(server.port, "/boot.ipxe")[0] == 200:
                break
        status = Path(f"/proc/{server.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        assert "0" not in fields["Uid"].split() and "0" not in fields["Gid"].split()
        assert fields["Groups"].strip() == ""
        assert _get(server.port, "/mine-only")[0] == 404
        assert _get(server.port, "/closed/readable")[0] == 404


def test_a_tree_under_a_private_folder_is_served_by_its_descriptor(tmp_path):
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    root = private / "tree"
    root.mkdir(mode=0o755)
    (root / "vmlinuz0").write_bytes(PUBLIC)
    (root / "vmlinuz0").chmod(0o644)
    with TreeServer(root, "127.0.0.1", 0, lambda r: None) as server:
        assert _get(server.port, "/vmlinuz0")[:2] == (200, PUBLIC)


def test_ranges_keep_alive_and_head(tree):
    size = len(PUBLIC)
    seen: List[Request] = []
    with TreeServer(tree, "127.0.0.1", 0, seen.append) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/boot.ipxe", headers={"Range": "bytes=10-19"})
        reply = conn.getresponse()
        assert (reply.status, reply.getheader("Content-Range"), reply.read()) == (206, f"bytes 10-19/{size}",
                                                                                   PUBLIC[10:20])
        conn.request("GET", "/boot.ipxe", headers={"Range": "bytes=-5"})      # the same connection: keep-alive
        reply = conn.getresponse()
        assert (reply.status, reply.read()) == (206, PUBLIC[-5:])
        conn.request("HEAD", "/boot.ipxe")
        reply = conn.getresponse()
        assert (reply.status, reply.getheader("Content-Length"), reply.read()) == (200, str(size), b"")
        conn.request("GET", "/boot.ipxe", headers={"Range": f"bytes={size}-"})
        reply = conn.getresponse()
        assert (reply.status, reply.getheader("Content-Range")) == (416, f"bytes */{size}")
        reply.read()
        conn.close()
        time.sleep(0.3)
    assert [r.status for r in seen] == [206, 206, 200, 416]
    assert seen[0].nbytes == 10


def test_range_and_url_rules():
    assert byte_range("bytes=0-0", 10) == ((0, 0), False)
    assert byte_range("bytes=5-100", 10) == ((5, 9), False)
    assert byte_range("bytes=-3", 10) == ((7, 9), False)
    assert byte_range("bytes=10-", 10) == (None, True)
    assert byte_range("bytes=1-2,4-5", 10) == (None, False)         # several ranges: the whole file
    assert byte_range("items=1-2", 10) == (None, False)
    assert url_parts("/a/b.img") == ["a", "b.img"]
    assert url_parts("/a/b.img?x=1#y") == ["a", "b.img"]
    assert url_parts("http://host/a") == ["a"]
    for bad in ("/", "/a/", "/../x", "/a/%2e%2e/x", "/x%00", "/a%5cb", "/%c0%ae%c0%ae/x", "/" + "a" * 5000):
        assert url_parts(bad) is None, bad
    assert url_parts("/tftpboot/x", "/tftpboot/") == ["x"]
    assert url_parts("/other/x", "/tftpboot/") is None


def test_hostile_requests_get_answers_not_tracebacks_and_the_server_stays_up(tree):
    # Medium 7: aborted downloads, %00, malformed and overlong request lines printed 20-line tracebacks.
    big = tree / "initrd0.img"
    with open(big, "wb") as out:
        out.truncate(64 << 20)
    big.chmod(0o644)
    with TreeServer(tree, "127.0.0.1", 0, lambda r: None) as server:
        for _ in range(20):   # aborted downloads
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(b"GET /initrd0.img HTTP/1.1\r\nHost: x\r\n\r\n")
                sock.recv(4096)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        assert b" 400 " in _raw(server.port, b"GARBAGE\r\n\r\n")
        assert b" 404 " in _raw(server.port, b"GET /a%00b HTTP/1.0\r\n\r\n")
        assert b" 414 " in _raw(server.port, b"GET /" + b"a" * 70000 + b" HTTP/1.0\r\n\r\n")
        assert b" 501 " in _raw(server.port, b"PUT /boot.ipxe HTTP/1.0\r\nContent-Length: 1\r\n\r\nx")
        assert _get(server.port, "/boot.ipxe")[:2] == (200, PUBLIC)
        time.sleep(0.3)
        assert server.running() and list(server.errors) == []


def test_client_text_reaches_the_step_log_without_control_characters(tree):
    seen: List[Request] = []
    with TreeServer(tree, "127.0.0.1", 0, seen.append) as server:
        _raw(server.port, b"GET /\x1b]0;owned\x07\x1b[2J HTTP/1.0\r\n\r\n")
        _raw(server.port, b"GET /%1b[31mred HTTP/1.0\r\n\r\n")
        time.sleep(0.3)
    assert seen and all(not any(ord(c) < 32 or ord(c) == 127 for c in r.path + r.method) for r in seen)


def test_dhcp_and_tftp_text_reaches_the_terminal_without_control_characters(tmp_path):
    # Medium 8: client-chosen file names and DHCP fields reach the admin's terminal through dnsmasq's log.
    from livepxe.serve.steps import StepLog
    lines: List[str] = []
    log = StepLog(tmp_path, lambda step: lines.append(step.line()), arp=lambda ip: None)
    log.dnsmasq_line("dnsmasq-dhcp[1]: 7 vendor class: PXEClient:Arch:00000")
    log.dnsmasq_line("dnsmasq-dhcp[1]: 7 PXE(eth0) 52:54:00:12:34:56 \x1b]0;owned\x07\x1b[2J")
    log.dnsmasq_line(f"dnsmasq-tftp[1]: file {tmp_path}/\x1b[31mred\x9b2J not found for 198.18.0.3")
    log.dnsmasq_line(f"dnsmasq-tftp[1]: failed sending {tmp_path}/a\x07b to 198.18.0.3")
    assert len(lines) == 3, lines
    assert all(not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in line) for line in lines), lines


def test_many_clients_at_once_are_all_served(tree):
    # Medium 6: a listen backlog of 5 left 43-87 of 250 simultaneous clients without an answer in 60 s.
    results: List[int] = []
    lock = threading.Lock()
    with TreeServer(tree, "127.0.0.1", 0, lambda r: None) as server:
        barrier = threading.Barrier(250)

        def client() -> None:
            barrier.wait()
            try:
                status = _get(server.port, "/boot.ipxe")[0]
            except OSError:
                status = 0
            with lock:
                results.append(status)

        threads = [threading.Thread(target=client) for _ in range(250)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert results.count(200) == 250, sorted(set(results))


def test_idle_connections_are_closed_and_waiting_clients_then_served(tree):
    # Medium 6: idle connections were kept forever; past the limit clients wait, they are not dropped.
    with TreeServer(tree, "127.0.0.1", 0, lambda r: None, idle_seconds=1.5, max_clients=4) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(4)]
        started = time.monotonic()
        assert _get(server.port, "/boot.ipxe")[:2] == (200, PUBLIC)
        waited = time.monotonic() - started
        closed = [sock.recv(1) == b"" for sock in idle]
        for sock in idle:
            sock.close()
    assert all(closed)
    assert waited >= 1.0       # it waited for a slot instead of being refused or starting a fifth thread


def test_at_a_low_descriptor_limit_many_clients_neither_spin_nor_stop_the_server(tree):
    # Medium 6: at the descriptor limit serve spun at 100 % CPU with HTTP dead.
    code = ("import resource, sys, time, pathlib; from livepxe.serve.http import TreeServer; "
            "resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)); "
            "s = TreeServer(pathlib.Path(sys.argv[1]), '127.0.0.1', 0, lambda r: None, idle_seconds=2); s.start(); "
            "print(s.port, s.process.pid, flush=True); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", code, str(tree)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        assert parent.stdout is not None
        port, worker = (int(word) for word in parent.stdout.readline().split())
        held = []
        for _ in range(150):                  # far more than 64 descriptors' worth, all idle
            held.append(socket.create_connection(("127.0.0.1", port)))
        def cpu() -> int:
            fields = Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])   # utime + stime, in clock ticks
        before = cpu()
        time.sleep(2.0)
        used = (cpu() - before) / os.sysconf("SC_CLK_TCK")
        for sock in held:
            sock.close()
        assert used < 0.5, f"the worker used {used:.2f} s of CPU in 2 s holding 150 idle clients"
        assert _get(port, "/boot.ipxe")[:2] == (200, PUBLIC)
    finally:
        parent.kill()
        parent.wait()


def test_the_worker_dies_with_its_parent_even_by_sigkill(tree):
    # Medium 10's HTTP half: nothing of serve keeps running after SIGKILL.
    code = ("import sys, time, pathlib; from livepxe.serve.http import TreeServer; "
            "s = TreeServer(pathlib.Path(sys.argv[1]), '127.0.0.1', 0, lambda r: None); s.start(); "
            "print(s.process.pid, flush=True); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", code, str(tree)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    time.sleep(0.5)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(50):
        if not Path(f"/proc/{worker}").exists() or "Z" in Path(f"/proc/{worker}/stat").read_text().split()[2]:
            break
        time.sleep(0.1)
    else:
        os.kill(worker, signal.SIGKILL)
        pytest.fail("the HTTP worker outlived its parent")


def test_spoofed_dhcp_clients_do_not_grow_the_step_tables(tmp_path):
    # Low 14: 20,000 spoofed DISCOVERs grew the per-client tables by 8.8 MB.
    from livepxe.serve.steps import CLIENTS_KEPT, StepLog
    log = StepLog(tmp_path, lambda step: None, arp=lambda ip: None)
    for n in range(20000):
        mac = f"52:54:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}:01"
        log.dnsmasq_line(f"dnsmasq-dhcp[1]: {n} vendor class: PXEClient:Arch:00007:UNDI:003000")
        log.dnsmasq_line(f"dnsmasq-dhcp[1]: {n} user class: iPXE")
        log.dnsmasq_line(f"dnsmasq-dhcp[1]: {n} PXE(eth0) 198.18.{n >> 8 & 255}.{n & 255} {mac} proxy")
    for table in (log.arch, log.ipxe, log.firmware, log.macs, log.last_step, log.last_what):
        assert len(table) <= CLIENTS_KEPT


def test_loaders_serve_builds_are_never_written_through_the_trees_links(tiny_iso, tmp_path):
    """A tree entry named like a loader serve builds, linked to a host file, must not lead root to write there."""
    import ipaddress

    from livepxe.convert import ConvertOptions, convert
    from livepxe.serve import grubearly, httploader, loaders, plan
    from livepxe.tree import note
    tree = convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "tree", progress=False)).root
    victim = tmp_path / "victim"
    victim.write_bytes(b"host file\n")
    for name in (httploader.IMAGE, grubearly.IMAGE, "early.cfg", "secureboot-grub.cfg"):
        (tree / name).symlink_to(victim)
    tree_note = note.read(tree)
    assert tree_note is not None
    served = loaders.choose(plan.make(tree, tree_note, "eth0", ipaddress.IPv4Interface("198.18.0.2/24"), 80),
                            tree_note, "early")
    if not served.builds:
        pytest.skip("this host builds no loaders (needs pxelinux-options or grub-mkimage)")
    folder = loaders.build(served, tmp_path / "mirror")
    assert victim.read_bytes() == b"host file\n"
    built = {name for name in os.listdir(folder) if not (folder / name).is_symlink()}
    assert grubearly.IMAGE in built or httploader.IMAGE in built
    assert all((folder / name).is_symlink() for name in os.listdir(folder) if name not in built)
