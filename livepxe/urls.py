"""The one rule for every URL an option gives (``--http-url``, ``--http-boot``, ``--pxe-http-*``) and for ports.

A URL given on the command line is copied into kernel command lines,
pxelinux, GRUB and iPXE configs and dnsmasq's: a quote there ended
``root=`` early in all three configs, a user name or a fragment was sent
to no server, a 5 KB URL overflowed loaders' buffers.  So a URL is
``http[s]://HOST[:PORT]/PATH`` and nothing else; each user adds only the
checks of its own format (`isourl`, `httpboot`).
"""

from __future__ import annotations

import argparse
import unicodedata
from typing import Tuple
from urllib.parse import SplitResult, urlsplit

from .bootconf.text import printable
from .errors import LivepxeError

#: Longest URL accepted: loaders keep URLs in buffers of a few KiB, with file names appended.
MAX_URL = 1024
#: Characters no config carries unquoted; %-encode them.
_UNQUOTABLE = "'\" \\"


def check(url: str, flag: str, schemes: Tuple[str, ...] = ("http",), example: str = "http://192.0.2.1/live/"
          ) -> SplitResult:
    """``url`` split, when it is ``SCHEME://HOST[:PORT]/PATH`` for one of ``schemes``; else one LivepxeError line."""
    shown = f"'{printable(url, 120)}'"
    if len(url) > MAX_URL:
        raise LivepxeError(f"{flag} is {len(url)} characters long; give a URL of at most {MAX_URL}")
    if any(unicodedata.category(c).startswith("C") for c in url):
        raise LivepxeError(f"{flag} {shown} holds control characters; give a plain URL, e.g. {example}")
    parts = _split(url, flag, shown, example)
    if parts.scheme not in schemes or not parts.hostname:
        scheme = "http(s)://" if "https" in schemes else "http://"
        raise LivepxeError(f"{flag} {shown}: it must be {scheme}HOST[:PORT]/PATH; e.g. {example}")
    if "@" in parts.netloc:
        raise LivepxeError(f"{flag} {shown} carries a user name; boot loaders send none, drop it")
    if "?" in url or "#" in url:
        raise LivepxeError(f"{flag} {shown} has a query or fragment; give the plain folder or file URL")
    if any(c in _UNQUOTABLE for c in url):
        raise LivepxeError(f"{flag} {shown} has characters a boot config cannot carry (quotes, white space, "
                           "backslash); %-encode them")
    if ".." in parts.path.split("/"):
        raise LivepxeError(f"{flag} {shown} has '..' in its path; give the folder's plain path")
    return parts


def _split(url: str, flag: str, shown: str, example: str) -> SplitResult:
    """``urlsplit`` with its port checked: a number 1-65535, or none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise LivepxeError(f"{flag} {shown} is not a URL (its port must be a number 1-65535); "
                           f"e.g. {example}") from None
    if port == 0 or parts.netloc.endswith(":"):
        raise LivepxeError(f"{flag} {shown} is not a URL (its port must be a number 1-65535); e.g. {example}")
    return parts


def port_number(text: str) -> int:
    """A TCP/UDP port 1-65535 (argparse type): ``--http-port 0`` advertised ``:0`` to every client."""
    try:
        port = int(text, 10)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{printable(text, 40)!r} is not a port; give a number 1-65535")
    return port
