"""The conversion options once: their names in each front end, metavars, choices and help.

``livepxe convert`` and ``livecd-iso-to-pxeboot`` build their argparse groups
from ``TABLE``; ``livecd-creator --pxe`` builds its optparse group (and the
kickstart ``%addon`` its settings) from it; ``ConvertOptions.FLAGS`` and
``PxeOptions.FLAGS`` (how messages name an option) are read off it; the
docs' option tables are tested against it.  Defaults are ``ConvertOptions``'
own: a front end passes only what was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional


class InitrdMode(str, Enum):
    """How the ISO reaches the client's initramfs."""

    APPEND = "append"        # one initrd: the dracut image, then a cpio holding the ISO
    SEPARATE = "separate"    # the dracut image untouched, the ISO in a second initrd file


class Payload(str, Enum):
    """What the initramfs carries."""

    ISO = "iso"              # the whole ISO, byte for byte (rd.live.check still works)
    LIVEOS = "liveos"        # a stripped ISO holding only LiveOS/


class Compression(str, Enum):
    """How the carried ISO's cpio is compressed (the kernel unpacks all of these)."""

    NONE = "none"
    GZIP = "gzip"
    XZ = "xz"
    ZSTD = "zstd"


@dataclass(frozen=True)
class Spec:
    field: str                       # the ConvertOptions field it sets
    flag: str                        # livepxe convert / livecd-iso-to-pxeboot
    creator_flag: str                # livecd-creator --pxe
    metavar: str
    help: str
    group: str                       # delivery | boot
    choices: Optional[type[Enum]] = None
    short: Optional[str] = None      # convert's one-letter form
    path: bool = False               # the value names a folder


TABLE: tuple[Spec, ...] = (
    Spec("output", "--output", "--pxe-output", "DIR",
         "write a self-contained tree to this folder (default ./tftpboot; for livecd-creator OUTPUT/tftpboot)",
         "delivery", short="-o", path=True),
    Spec("tftproot", "--tftproot", "--tftproot", "DIR",
         "integrate into this existing TFTP root instead (needs --imagedir and --bootfile)", "delivery",
         path=True),
    Spec("imagedir", "--imagedir", "--imagedir", "PATH",
         "with --tftproot: folder for kernel and initrd, relative to the root, e.g. live/devel/minimal",
         "delivery"),
    Spec("bootfile", "--bootfile", "--bootfile", "NAME",
         "with --tftproot: name of the config written to pxelinux.cfg/, e.g. live.devel-minimal", "delivery"),
    Spec("initrd_mode", "--initrd-mode", "--initrd-mode", "MODE",
         "append: one initrd (dracut image + ISO); separate: ISO in a second file (default: append)",
         "boot", InitrdMode),
    Spec("append", "--append", "--pxe-append", '"ARGS"', "extra kernel arguments, e.g. 'console=ttyS0'", "boot"),
    Spec("cmdline", "--cmdline", "--pxe-cmdline", '"ARGS"',
         "kernel arguments replacing the ISO's own (root=live:… is still set)", "boot"),
    Spec("compress", "--compress", "--pxe-compress", "METHOD",
         "compress the bundled ISO (default none: its squashfs is compressed already)", "boot", Compression),
    Spec("payload", "--payload", "--pxe-payload", "WHAT",
         "iso: the whole ISO, byte for byte (media check works); liveos: a stripped ISO of LiveOS/ only "
         "(default: iso)", "boot", Payload),
    Spec("http_url", "--http-url", "--pxe-http-url", "URL",
         "the client downloads the ISO from URL/NAME.iso (or URL itself if it ends in .iso) with dracut's "
         "livenet instead of carrying it in the initrd", "boot"),
    Spec("http_boot", "--http-boot", "--pxe-http-boot", "URL",
         "you serve the TFTP root over HTTP at URL (e.g. http://192.0.2.1/tftpboot/): BIOS boots lpxelinux.0 and "
         "the pxelinux, GRUB and iPXE configs fetch kernel and initrd from URL", "boot"),
)

BY_FIELD = {spec.field: spec for spec in TABLE}


def convert_flags() -> dict[str, str]:
    """How ``livepxe convert``'s messages name each option (``-o/--output``)."""
    return {s.field: f"{s.short}/{s.flag}" if s.short else s.flag for s in TABLE}


def creator_flags() -> dict[str, str]:
    """How ``livecd-creator --pxe``'s messages name each option."""
    return {s.field: s.creator_flag for s in TABLE}
