"""The HTTP server process of ``serve``: started by root, serving as an unprivileged user.

Run as ``python -m livepxe.serve.httpworker CONFIG_JSON`` by `http.TreeServer`,
which binds the listening socket and opens the tree's folder as root and
passes both descriptors.  This process imports everything it needs, asks to
be killed with its parent, drops to the TFTP server's user (no
supplementary groups) and only then accepts a connection: a request never
runs with root's rights, so a file only root may read is never sent, and a
file is only ever opened beneath the tree (`beneath.open_beneath`).

One JSON line per finished request goes to standard output; nothing else is
printed.  HTTP/1.1 with keep-alive and single byte ranges (resumed and
probed downloads); idle and stalled connections time out; the number of
connections served at once is bounded below the descriptor limit, and the
rest wait in the listen backlog instead of being refused.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import http.server
import json
import os
import re
import resource
import signal
import socket
import stat
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate
from typing import Dict, List, Optional, Tuple

from .beneath import open_beneath

#: Seconds a connection may sit idle (between requests, or stalled mid-send) before it is closed.
IDLE_SECONDS = 30.0
#: Connections served at once, at most (others wait in the listen backlog).
MAX_CLIENTS = 512
#: Bytes handed to sendfile() per call; also how often the sent count is brought up to date.
SEND_CHUNK = 4 << 20
#: URL paths longer than this are refused (404) before any lookup.
MAX_PATH = 4096
_PR_SET_PDEATHSIG = 1
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def url_parts(target: str, prefix: str = "/") -> Optional[List[str]]:
    """The path components a request names under ``prefix``, or None when it names nothing servable.

    Percent-escapes are decoded once, as strict UTF-8 (overlong forms are
    refused); NUL, backslash and any ``..`` component are refused outright.
    """
    if len(target) > MAX_PATH:
        return None
    path = urllib.parse.urlsplit(target).path if "://" in target[:16] else target.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith(prefix):
        return None
    try:
        text = urllib.parse.unquote_to_bytes(path[len(prefix):]).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text or "\\" in text:
        return None
    parts = text.split("/")
    if ".." in parts or (parts and parts[-1] == "" and len(parts) > 1):
        return None                          # a folder (trailing slash): no listings, no index files
    return [p for p in parts if p not in ("", ".")] or None


def byte_range(header: Optional[str], size: int) -> Tuple[Optional[Tuple[int, int]], bool]:
    """((first, last), False) for a satisfiable single range, (None, False) for the whole file, (None, True) for 416.

    Several ranges, or a header this does not understand, get the whole
    file (RFC 9110 lets a server ignore Range).
    """
    if not header:
        return None, False
    match = _RANGE.match(header.strip())
    if not match or not (match[1] or match[2]):
        return None, False
    if match[1]:
        first = int(match[1])
        last = min(int(match[2]), size - 1) if match[2] else size - 1
        if match[2] and int(match[2]) < first:
            return None, False
    else:
        first, last = max(size - int(match[2]), 0), size - 1
        if int(match[2]) == 0:
            return None, True
    if first >= size:
        return None, True
    return (first, last), False


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Python 3.9 answers a request line without a version as HTTP/0.9: a bare body, no status line.
    # No boot client speaks 0.9; every error gets a status line a client and a log can read.
    default_request_version = "HTTP/1.0"
    server_version = "livepxe"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_seconds)

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ValueError):        # reset, broken pipe, timeout mid-send: the client went away
            self.close_connection = True

    def handle_one_request(self) -> None:
        self._started = time.monotonic()
        self._sent = 0
        self._status = 0
        try:
            super().handle_one_request()
        finally:
            if self._status:
                self.server.report(self.client_address[0], self.command or "?", self.path or "",
                                   self._status, self._sent, time.monotonic() - self._started)

    def send_response(self, code: int, message: Optional[str] = None) -> None:
        self._status = code
        super().send_response(code, message)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass                                  # each request is reported once, by `report`

    def do_GET(self) -> None:                 # noqa: N802 - the base class's name
        self._send(body=True)

    def do_HEAD(self) -> None:                # noqa: N802 - the base class's name
        self._send(body=False)

    def _send(self, body: bool) -> None:
        handle = self.server.open(self.path)
        if handle is None:
            self.send_error(404, "Not Found")
            return
        with os.fdopen(handle, "rb", buffering=0) as source:
            info = os.fstat(source.fileno())
            size = info.st_size
            span, unsatisfiable = byte_range(self.headers.get("Range"), size)
            if unsatisfiable:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            first, last = span if span else (0, size - 1)
            self.send_response(206 if span else 200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(last - first + 1))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Last-Modified", formatdate(info.st_mtime, usegmt=True))
            if span:
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            self.end_headers()
            if body:
                self._copy(source, first, last - first + 1)

    def _copy(self, source, offset: int, count: int) -> None:
        while count > 0:
            sent = self.connection.sendfile(source, offset, min(count, SEND_CHUNK))
            if sent == 0:
                self.close_connection = True  # the file shrank under us: the client sees a short body
                return
            self._sent += sent
            offset += sent
            count -= sent


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, listener: socket.socket, root_fd: int, extras: Dict[str, str], prefix: str,
                 max_clients: int, idle_seconds: float, root_path: Optional[str] = None) -> None:
        super().__init__(listener.getsockname()[:2], _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = listener
        self.root_fd = root_fd
        self.extras = extras
        self.prefix = prefix
        self.slots = threading.BoundedSemaphore(max_clients)
        self.out_lock = threading.Lock()
        self.idle_seconds = idle_seconds
        self.root_path = root_path            # the boot harness's own folder: looked up per request, links followed

    def open(self, target: str) -> Optional[int]:
        parts = url_parts(target, self.prefix)
        if parts is None:
            return None
        extra = self.extras.get("/".join(parts))
        if extra is None and self.root_path is not None:
            extra = os.path.join(self.root_path, *parts)
        if extra is not None:                 # a file of serve's own (or the harness's), opened by its path
            try:
                handle = os.open(extra, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError:
                return None
            if stat.S_ISREG(os.fstat(handle).st_mode):
                return handle
            os.close(handle)
            return None
        return open_beneath(self.root_fd, parts)

    def report(self, client: str, method: str, path: str, status: int, nbytes: int, seconds: float) -> None:
        line = json.dumps({"client": client, "method": method[:16], "path": path[:1024], "status": status,
                           "bytes": nbytes, "seconds": round(seconds, 4)})
        with self.out_lock:
            try:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            except (OSError, ValueError):
                os._exit(0)                   # the parent is gone

    def get_request(self):
        try:
            return super().get_request()
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                time.sleep(0.05)              # out of descriptors: let connections finish instead of spinning
            raise

    def process_request(self, request, client_address) -> None:
        self.slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address) -> None:
        pass                                  # never a traceback: a failed connection is the client's end


def _die_with_parent(parent: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:               # the parent died before the request above took effect
        os._exit(0)


def _drop_privileges(uid: int, gid: int) -> None:
    if os.geteuid() != 0:
        return
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.geteuid() == 0 or os.getegid() == 0:
        raise SystemExit("livepxe serve: the HTTP server could not drop root")


def _descriptor_budget(wanted: int) -> int:
    """Raise the soft descriptor limit to the hard one; connections at once that fit in it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return min(wanted, max(8, (soft - 32) // 3))   # a socket, a file and a spare each


def main(argv: List[str]) -> int:
    config = json.loads(argv[0])
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C reaches the parent, which stops this process
    listener = socket.socket(fileno=config["socket"])
    listener.settimeout(None)
    server = _Server(listener, config["root"], config.get("extras", {}), config.get("prefix", "/"),
                     _descriptor_budget(config.get("max_clients", MAX_CLIENTS)),
                     float(config.get("idle_seconds", IDLE_SECONDS)), config.get("root_path"))
    if config.get("uid") is not None:
        _drop_privileges(config["uid"], config["gid"])
    _die_with_parent(config["parent"])   # after the drop: a change of credentials clears the request
    server.serve_forever(poll_interval=0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
