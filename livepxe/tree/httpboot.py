"""HTTP for kernel and initrd: ``convert --http-boot URL``, where the user serves the TFTP root over HTTP.

Lock-step TFTP moves a few MB/s at best, and a bundled initrd is hundreds of
MiB; HTTP moves it at wire speed.  The loaders still come by TFTP (they are
small), then each names kernel and initrd by absolute URL under the base:

* BIOS: ``lpxelinux.0`` (pxelinux with an HTTP client) replaces
  ``pxelinux.0``; it reads ``ldlinux.c32`` and its config by TFTP, and the
  config's ``KERNEL http://…`` and ``initrd=http://…`` by HTTP;
* UEFI: GRUB's ``http`` module, ``(http,HOST)/PATH``, when the tree carries
  livepxe's unsigned GRUB (http built in) and the port is 80; otherwise the
  GRUB config stays on TFTP, with a warning (``netboot``);
* iPXE: ``boot.ipxe`` names absolute URLs.

The base URL stands for the TFTP root: a file at ``R/live/f41/vmlinuz0``
is ``BASE/live/f41/vmlinuz0``, the same path configs already use.
``livepxe.json`` records the base so ``verify`` maps URLs back to files.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import urlsplit

from .. import urls
from ..bootconf import BootEntry, grub, ipxe, pxelinux
from ..errors import LivepxeError

FLAG = "--http-boot"
#: BIOS loaders: with --http-boot, the pxelinux that has an HTTP client.
BIOS_HTTP_LOADER = "lpxelinux.0"


@dataclass(frozen=True)
class HttpBoot:
    base: str          # http://HOST[:PORT]/PATH/ (ends in '/')

    @property
    def port(self) -> int:
        return urlsplit(self.base).port or 80

    @property
    def grub_over_http(self) -> bool:
        """Can GRUB 2.06 fetch from this base (port 80)?"""
        return self.port == grub.HTTP_PORT

    def url(self, relpath: str) -> str:
        """The URL of a file given by its path from the TFTP root."""
        return self.base + relpath.lstrip("/")

    def relpath(self, url: str) -> str | None:
        """The path from the TFTP root of a URL under the base; None for a URL outside it."""
        if not url.startswith(self.base):
            return None
        rest = url[len(self.base):]
        normal = posixpath.normpath(rest) if rest else ""
        if not rest or normal.startswith("../") or normal == ".." or "?" in rest or "#" in rest:
            return None
        return normal


def parse(base: str, flag: str = FLAG) -> HttpBoot:
    """Check ``base`` and give it one form (one trailing ``/``); LivepxeError in one line otherwise."""
    if base[:8].lower() == "https://":
        raise LivepxeError(f"{flag} {base!r}: lpxelinux and GRUB 2.06 fetch plain http:// only; "
                           "e.g. http://192.0.2.1/tftpboot/")
    urls.check(base, flag, ("http",), "http://192.0.2.1/tftpboot/")
    normal = HttpBoot(base.rstrip("/") + "/")
    probe = BootEntry("probe", "probe", normal.url("vmlinuz0"), (normal.url("initrd0.img"),), "quiet")
    try:
        pxelinux.render([probe], "")
        ipxe.render([probe], "")
        if normal.grub_over_http:
            grub.render([probe], "")
    except ValueError:
        raise LivepxeError(f"{flag} {base!r} has characters a boot config cannot carry (white space, ',', "
                           "brackets, quotes...); %-encode them or use a plainer path") from None
    return normal
