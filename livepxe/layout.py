"""Where a tree's files go, and how its boot configs name them.

Two deliveries: a self-contained folder (configs name files relative to
the folder, which is the TFTP root), or files placed into an existing TFTP
root under an image directory, with configs naming them by absolute TFTP
paths (``/live/devel/minimal/vmlinuz0``) and a config file of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import LivepxeError

_SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


@dataclass(frozen=True)
class Layout:
    root: Path            # the TFTP root the configs' paths are relative to
    image_dir: str        # "" for a self-contained tree
    config_name: str      # file name under pxelinux.cfg/
    integrated: bool

    @classmethod
    def self_contained(cls, output: Path) -> "Layout":
        return cls(output, "", "default", False)

    @classmethod
    def integration(cls, tftproot: Path, imagedir: str, bootfile: str) -> "Layout":
        return cls(tftproot, check_imagedir(imagedir), check_bootfile(bootfile), True)

    def file(self, name: str) -> str:
        """Path of an image file relative to the root."""
        return f"{self.image_dir}/{name}" if self.image_dir else name

    def reference(self, name: str) -> str:
        """How a boot config names an image file."""
        return "/" + self.file(name) if self.integrated else name

    @property
    def pxelinux_config(self) -> str:
        return f"pxelinux.cfg/{self.config_name}"


def check_imagedir(imagedir: str) -> str:
    path = PurePosixPath(imagedir)
    if path.is_absolute():
        raise LivepxeError(f"--imagedir {imagedir!r} is absolute; give a path relative to --tftproot, e.g. live/devel/minimal")
    parts = path.parts
    if not parts or ".." in parts or not all(_SAFE_COMPONENT.match(p) for p in parts):
        raise LivepxeError(
            f"--imagedir {imagedir!r} is not a plain relative path; use letters, digits, '.', '_', '-' and '/', no '..'")
    return "/".join(parts)


def check_bootfile(bootfile: str) -> str:
    if not _SAFE_COMPONENT.match(bootfile) or bootfile == "default":
        raise LivepxeError(
            f"--bootfile {bootfile!r} is not a plain file name for pxelinux.cfg/ (and not 'default'); e.g. live.devel-minimal")
    return bootfile
