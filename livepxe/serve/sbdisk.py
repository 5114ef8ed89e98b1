"""A small FAT disk image that boots Secure Boot UEFI clients behind a proxy offer, by UEFI HTTP Boot.

Behind a proxyDHCP offer the signed GRUB (Debian's 2.06) finds no config
over PXE: it takes its server from the site's DHCP acknowledgement, not the
offer (see `grubearly`).  UEFI HTTP Boot gives a way round that needs no
unsigned code: given the URL of a disk image (``.img``), the firmware
downloads it into a RAM disk and boots ``\\EFI\\BOOT\\BOOTX64.EFI`` from it as
from any disk.  The image holds the tree's own signed chain — shim as
``BOOTX64.EFI``, the signed GRUB beside it — and a ``grub/grub.cfg`` (where
that GRUB's built-in config looks, on its boot disk) that takes an address
with ``net_dhcp`` and reads the tree's GRUB config from this server over
HTTP.  Shim and GRUB verify the kernel as usual; the initrd is not checked.

The order matters: a Secure Boot client first tries PXE, refuses the
unsigned early-config GRUB offered there, then tries HTTP Boot, where the
proxy offers this image (``dhcp-boot`` for vendor class ``HTTPClient``).

mkfs.fat (dosfstools) and mcopy (mtools) write the image: the distribution's
tools for FAT, as grub-mkrescue uses them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Dict, Optional

from ..errors import LivepxeError
from ..host import run
from . import grubearly

IMAGE = "livepxe-secureboot.img"
#: Where the signed chain's files go on the disk: the removable-media path the firmware boots.
SHIM = "EFI/BOOT/BOOTX64.EFI"
GRUB = "EFI/BOOT/grubx64.efi"
#: Debian's signed netboot GRUB reads ``$prefix/grub.cfg`` with prefix ``/grub`` on its boot device.
CONFIG = "grub/grub.cfg"
TOOLS = {"mkfs.fat": "dosfstools", "mcopy": "mtools", "mmd": "mtools"}


def _tool(name: str) -> Optional[str]:
    """``name`` on PATH, or in the sbin folders a user's PATH may lack (mkfs.fat lives there: `host.run`)."""
    return run.which(name)


def missing_tools() -> list[str]:
    """The packages to install for `build`, empty when all are here."""
    return sorted({package for tool, package in TOOLS.items() if _tool(tool) is None})


def config(server: str, grub_config: str) -> str:
    """The disk's grub.cfg: an address from the site's DHCP, then the tree's config from this server's TFTP."""
    # $prefix stays on the disk, so GRUB's normal mode looks for its *.lst files there, not over TFTP.
    return "net_dhcp\n" + grubearly.reading(f"tftp,{server}", grub_config, set_prefix=False)


def build(folder: Path, shim: Path, grub: Path, server: str, grub_config: str) -> Path:
    """Write ``folder/IMAGE`` holding ``shim`` and ``grub`` (the tree's signed chain) and the config."""
    missing = missing_tools()
    if missing:
        raise LivepxeError(f"Secure Boot behind a proxy needs {' and '.join(missing)}: install "
                           f"{' '.join(missing)}, or serve with --uefi early (no Secure Boot)")
    cfg = folder / "secureboot-grub.cfg"
    cfg.write_text(config(server, grub_config))
    image = folder / IMAGE
    kib = (shim.stat().st_size + grub.stat().st_size + (1 << 20)) // 1024 + 1024
    # The same chain and server give the same bytes (print-config's copy equals serve's): the volume id
    # comes from the contents, and every date from the shim's.
    digest = hashlib.sha256()
    for source in (shim, grub, cfg):
        digest.update(source.read_bytes())
    stamp = int(shim.stat().st_mtime)
    os.utime(cfg, (stamp, stamp))
    env = {"SOURCE_DATE_EPOCH": str(stamp)}
    fixed = ["mkfs.fat", "-C", "-n", "LIVEPXE", "-i", digest.hexdigest()[:8], "--invariant", str(image), str(kib)]
    try:
        _run(fixed, env)
    except LivepxeError:   # dosfstools before 4.2 (EL8) has no --invariant
        image.unlink(missing_ok=True)
        _run([arg for arg in fixed if arg != "--invariant"], env)
    mtools = ["-i", str(image)]
    _run(["mmd", *mtools, "::/EFI", "::/EFI/BOOT", "::/grub"], env)
    for source, target in ((shim, SHIM), (grub, GRUB), (cfg, CONFIG)):
        _run(["mcopy", "-m", *mtools, str(source), f"::/{target}"], env)
    image.chmod(0o644)
    return image


def _run(cmd: list[str], env: Optional[Dict[str, str]] = None) -> None:
    # MTOOLS_SKIP_CHECK: mtools would otherwise refuse an image without a partition table's geometry.
    run.run(cmd[0], cmd[1:], why="making the Secure Boot disk",
            env={**os.environ, "MTOOLS_SKIP_CHECK": "1", **(env or {})})
