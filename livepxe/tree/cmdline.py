"""Turn a live ISO's kernel command line into one that boots the bundled ISO.

The ISO's bootloader finds its root by volume label (``CDLABEL=``); over the
network the ISO is a file inside the initramfs, which dracut's dmsquash-live
loop-mounts when told ``root=live:/NAME.iso`` (the ``.iso`` suffix matters).
Everything else the image's author put there stays.
"""

from __future__ import annotations

import re

from ..bootconf.text import kernel_words

#: Names a pxelinux APPEND line, a GRUB ``linux`` line and the cpio can all carry.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*\.iso$")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._+-]+")

#: Root specs that point at the ISO by label or UUID; all become the bundled path.
_ISO_ROOT = re.compile(r"^root=(?:live:)?(?:CDLABEL|LABEL|UUID|PARTUUID)=.*$|^root=live:/.*$")
#: Arguments only a bootloader understands, or that name files of the ISO's own boot.
_BOOTLOADER_ONLY = re.compile(r"^(?:initrd|BOOT_IMAGE)=|\$")

DEFAULT_ARGS = "rootfstype=auto ro rd.live.image"


def safe_iso_name(filename: str) -> str:
    """A name for the ISO inside the initramfs that every bootloader config can carry."""
    stem = filename.rsplit("/", 1)[-1]
    if stem.lower().endswith(".iso"):
        stem = stem[:-4]
    stem = _UNSAFE_CHARS.sub("-", stem).strip("-._+") or "live"
    return stem + ".iso"


def is_safe_iso_name(name: str) -> bool:
    return bool(_SAFE_NAME.match(name))


def pxe_cmdline(original: str | None, iso_name: str, extra: str = "", replace: str | None = None) -> str:
    """The kernel arguments for the PXE entry.

    ``original`` is the ISO's own entry (None when its configs name no
    arguments), ``extra`` is appended (and may override ``root=``), and
    ``replace`` stands instead of ``original``.  ``root=`` always ends up
    pointing at the bundled ISO unless the user gave another one.
    """
    if not is_safe_iso_name(iso_name):
        raise ValueError(f"unsafe ISO name {iso_name!r}")
    base = replace if replace is not None else (original if original is not None else DEFAULT_ARGS)
    bundled_root = f"root=live:/{iso_name}"
    words = []
    for word in kernel_words(base):
        if _BOOTLOADER_ONLY.search(word):
            continue
        words.append(bundled_root if _ISO_ROOT.match(word) else word)
    added = kernel_words(extra)
    if any(w.startswith("root=") for w in added):
        words = [w for w in words if not w.startswith("root=")]
    elif not any(w.startswith("root=") for w in words):
        words.insert(0, bundled_root)
    return " ".join(words + added)
