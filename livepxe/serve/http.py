"""The tree over HTTP: iPXE's script, kernel and initrd, and the ISO of an HTTP live root.

`TreeServer` binds the port and opens the tree's folder as root, then runs
`httpworker` in a process of its own that drops to the TFTP server's user
before it accepts a connection: a tree is untrusted input, and what a client
can fetch is what that user can read beneath the tree's folder, never more
(see `beneath`).  The worker reports each finished request as a JSON line,
turned here into a `Request` for the step log with every client-supplied
character made printable.  No second daemon to find and configure; a site
that prefers nginx gets its config from ``serve --print-config``.
"""

from __future__ import annotations

import json
import logging
import os
import pwd
import socket
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Deque, Mapping, Optional

from ..bootconf.text import printable
from ..errors import LivepxeError
from ..host import run

log = logging.getLogger(__name__)
#: Connections waiting to be accepted (Python's default of 5 dropped clients of a lab booting at once).
BACKLOG = 128
#: The user the worker serves as: the one dnsmasq's TFTP server drops to.
SERVE_USER = "nobody"
STOP_SECONDS = 5.0


@dataclass(frozen=True)
class Request:
    client: str         # IPv4 address
    path: str           # URL path, as asked, made printable
    status: int
    nbytes: int         # body bytes sent
    seconds: float
    method: str = "GET"


def unprivileged_ids() -> tuple[int, int]:
    """uid and gid of `SERVE_USER` (65534, the kernel's overflow ids, where it has no entry)."""
    try:
        entry = pwd.getpwnam(SERVE_USER)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


class TreeServer:
    """Serves ``root`` (and ``extras``: URL path -> a file of serve's own) on ``address:port`` until `stop`.

    ``prefix`` is the URL path the tree is served under; ``device`` the only
    interface it answers on (root only).  ``follow_links`` is for the boot
    harness alone, which serves a folder of its own on loopback: the folder
    is looked up per request (it may be made after the start) and its links
    are followed wherever they lead.  The socket is
    bound here, so a taken port fails at construction and `port` is known
    before `start`.
    """

    def __init__(self, root: Path, address: str, port: int, on_request: Callable[[Request], None],
                 extras: Optional[Mapping[str, Path]] = None, prefix: str = "/",
                 idle_seconds: Optional[float] = None, max_clients: Optional[int] = None,
                 device: Optional[str] = None, follow_links: bool = False) -> None:
        self.on_request = on_request
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if device:   # answer only on the LAN being served, even where a client routes to us from another
                self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
            self.listener.bind((address, port))
            self.listener.listen(BACKLOG)
            self.root_fd = -1 if follow_links else os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            self.listener.close()
            raise
        self.extras = {name.strip("/"): str(path) for name, path in (extras or {}).items()}
        self.prefix = prefix
        self.root_path = str(root.absolute()) if follow_links else None
        self.limits = {key: value for key, value in (("idle_seconds", idle_seconds), ("max_clients", max_clients))
                       if value is not None}
        self.process: Optional[run.Popen[str]] = None
        self.readers: list[threading.Thread] = []
        self.errors: Deque[str] = deque(maxlen=5)

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def start(self) -> None:
        config = {"parent": os.getpid(), "socket": self.listener.fileno(), "root": self.root_fd,
                  "root_path": self.root_path, "extras": self.extras, "prefix": self.prefix, **self.limits}
        if os.geteuid() == 0 and self.root_path is None:   # the harness serves its own folder as its user
            config["uid"], config["gid"] = unprivileged_ids()
        self.process = run.python_module(
            "livepxe.serve.httpworker", [json.dumps(config)],
            pass_fds=tuple(fd for fd in (self.listener.fileno(), self.root_fd) if fd >= 0), stdin=run.DEVNULL,
            stdout=run.PIPE, stderr=run.PIPE, text=True, errors="replace", cwd="/")
        assert self.process.stdout is not None and self.process.stderr is not None
        self.readers = [threading.Thread(target=self._requests, args=(self.process.stdout,), daemon=True,
                                         name="livepxe-http-log"),
                        threading.Thread(target=self._stderr, args=(self.process.stderr,), daemon=True,
                                         name="livepxe-http-err")]
        for reader in self.readers:
            reader.start()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def failure(self) -> str:
        """Why the worker ended, from its last words."""
        return self.errors[-1] if self.errors else "it exited without a word"

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(STOP_SECONDS)
                except run.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            for reader in self.readers:
                reader.join(STOP_SECONDS)
            self.process = None
        self.listener.close()
        if self.root_fd >= 0:
            os.close(self.root_fd)
            self.root_fd = -1

    def __enter__(self) -> TreeServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _requests(self, stream) -> None:
        for line in stream:
            try:
                item = json.loads(line)
                request = Request(str(item["client"]), printable(str(item["path"]), 200), int(item["status"]),
                                  int(item["bytes"]), float(item["seconds"]), printable(str(item["method"]), 16))
            except (ValueError, KeyError, TypeError):
                continue
            self.on_request(request)

    def _stderr(self, stream) -> None:
        for line in stream:
            text = printable(line.rstrip("\n"), 300)
            if text:
                self.errors.append(text)
                log.debug("http worker: %s", text)


def bind_error(address: str, port: int, exc: OSError) -> LivepxeError:
    """The one line for a port the HTTP server cannot have."""
    return LivepxeError(f"port {port}/tcp (HTTP) on {address} is taken or not ours ({exc.strerror}): stop the "
                        "other server, or choose another --http-port")
