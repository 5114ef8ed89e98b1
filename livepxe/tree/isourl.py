"""The ISO's URL (`--http-url`): the client's initramfs downloads the ISO instead of carrying it.

dracut's livenet module turns ``root=live:http://HOST/PATH/NAME.iso`` into a
download (curl, into the initramfs' tmpfs) followed by the same loop mount
dmsquash-live does for a bundled ISO.  The initrd stays the ISO's own
dracut image (which must include livenet; livecd-creator adds it), so TFTP
carries a few tens of MiB and any HTTP server or CDN scales the rest.
"""

from __future__ import annotations

import re

from .. import urls
from ..bootconf.text import kernel_words
from ..errors import LivepxeError

#: What ``--http-url`` takes: dracut's livenet downloads these with curl.
_SCHEMES = ("http", "https")
_URL_SAFE = re.compile(r"^[A-Za-z0-9._~:/\[\]!&()*+,;=%-]+$")  # what a kernel argument carries


def iso_url(base: str, iso_name: str, flag: str = "--http-url") -> tuple[str, bool]:
    """The ISO's URL, and whether the tree must carry the ISO for it.

    ``base`` is where the folder holding the tree's kernel is served (the
    tree then carries ``NAME.iso`` there), or the full URL of an ``.iso``
    the user serves himself (the tree then carries no ISO).
    """
    parts = urls.check(base, flag, _SCHEMES, "http://192.0.2.1/live/")
    if not _URL_SAFE.match(base) or "$" in base:
        raise LivepxeError(f"{flag} {base!r} has characters a kernel command line cannot carry; %-encode them")
    if parts.path.lower().endswith(".iso"):
        return base, False
    return base.rstrip("/") + "/" + iso_name, True


def http_cmdline(bundled_cmdline: str, iso_name: str, url: str) -> str:
    """Point ``root=`` at ``url`` where it pointed at the bundled ISO; make sure the network comes up."""
    words = [f"root=live:{url}" if w == f"root=live:/{iso_name}" else w for w in kernel_words(bundled_cmdline)]
    if not any(w.startswith("ip=") for w in words):
        words.append("ip=dhcp")
    if "rd.neednet=1" not in words:
        words.append("rd.neednet=1")
    return " ".join(words)
