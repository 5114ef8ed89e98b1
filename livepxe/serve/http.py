"""The tree over HTTP: iPXE's script, kernel and initrd, and the ISO of an HTTP live root.

Python's threaded HTTP server, in this process: no second daemon to find,
configure and clean up, and each finished request is reported with its
client, bytes and seconds straight to the step log.  It serves files
read-only from the TFTP root and nothing else.  For many clients at once a
site runs nginx instead (``serve --print-config`` writes its config).
"""

from __future__ import annotations

import functools
import http.server
import logging
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

log = logging.getLogger(__name__)
CHUNK = 1 << 20


@dataclass(frozen=True)
class Request:
    client: str         # IPv4 address
    path: str           # URL path, as asked
    status: int
    nbytes: int         # body bytes sent
    seconds: float
    method: str = "GET"


class _Handler(http.server.SimpleHTTPRequestHandler):
    on_request: Callable[[Request], None]

    def handle_one_request(self) -> None:
        self._started = time.monotonic()
        self._sent = 0
        self._status = 0
        super().handle_one_request()
        if self._status:
            self.on_request(Request(self.client_address[0], self.path, self._status, self._sent,
                                    time.monotonic() - self._started, self.command or "GET"))

    def send_response(self, code: int, message: Optional[str] = None) -> None:
        self._status = code
        super().send_response(code, message)

    def copyfile(self, source, outputfile) -> None:
        while True:
            chunk = source.read(CHUNK)
            if not chunk:
                return
            outputfile.write(chunk)
            self._sent += len(chunk)

    def send_head(self):
        if not _public(self.translate_path(self.path)):
            self.send_error(404, "not found")
            return None
        return super().send_head()

    def list_directory(self, path):
        self.send_error(403, "no directory listings")
        return None

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        log.debug("%s %s", self.client_address[0], format % args)


def _public(path: str) -> bool:
    """Would an unprivileged server read ``path``?  World-readable, through world-searchable folders.

    This server runs as root and a tree is untrusted: a symbolic link in it
    may name any file.  It serves what the TFTP server, which drops root,
    could serve too (an admin's ``ldlinux.c32`` linked to /usr/lib works,
    /etc/shadow does not); a missing path is left to the base class.
    """
    real = Path(os.path.realpath(path))
    try:
        if not real.stat().st_mode & stat.S_IROTH:
            return False
        return all(folder.stat().st_mode & stat.S_IXOTH for folder in real.parents)
    except OSError:
        return True


class TreeServer:
    """Serves ``root`` on ``address:port`` from a daemon thread until `stop`."""

    def __init__(self, root: Path, address: str, port: int, on_request: Callable[[Request], None]) -> None:
        handler = type("Handler", (_Handler,), {"on_request": staticmethod(on_request)})
        self.server = http.server.ThreadingHTTPServer((address, port), functools.partial(handler, directory=str(root)))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="livepxe-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.thread.join()
        self.server.server_close()
