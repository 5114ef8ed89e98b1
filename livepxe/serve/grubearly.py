"""A GRUB image that names this server, for UEFI clients behind a proxyDHCP offer.

GRUB takes its server only from the DHCP acknowledgement the firmware
cached (``$net_default_server`` = its ``siaddr``).  Behind a proxy that
ACK comes from the site's DHCP server, which knows nothing of the tree: GRUB
2.06 as Debian signs it does not read the proxy offer (Fedora's GRUB carries
a patch that does), so it asks the site's server — or nobody — for
``grub/grub.cfg`` and stops at ``grub>``.  Shim, before it, does read the
proxy offer, so the shim → signed GRUB chain fails only at GRUB.

This image is made by ``grub-mkimage`` with an early config that sets
``root`` to this server and reads the tree's GRUB config: clients without
Secure Boot boot behind a proxy.  The root is ``(http,ADDRESS)`` when the
HTTP server is on port 80, so GRUB fetches config, kernel and initrd over
HTTP; on another port it is ``(tftp,ADDRESS)``, because how a GRUB 2.06
device name carries a port differs between distributions' patches.  It is unsigned, so Secure Boot
firmware refuses it and goes on to UEFI HTTP Boot, where the proxy offers
those clients the tree's signed chain on a RAM disk (`sbdisk`).
"""

from __future__ import annotations

from pathlib import Path

from ..bootconf import grub
from ..errors import LivepxeError
from ..host import efi, run

IMAGE = "livepxe-grubx64.efi"


def device(server: str, http_port: int) -> str:
    return f"http,{server}" if http_port == grub.HTTP_PORT else f"tftp,{server}"


def reading(root: str, grub_config: str, set_prefix: bool = True) -> str:
    """GRUB lines that make ``(root)`` the root device and read the tree's config from it."""
    prefix = f"set prefix=({root})/grub\n" if set_prefix else ""
    return f"set root=({root})\n{prefix}configfile ({root})/{grub_config}\n"


def early_config(server: str, grub_config: str, http_port: int) -> str:
    return reading(device(server, http_port), grub_config)


def build(folder: Path, server: str, grub_config: str, http_port: int) -> Path:
    """Write ``folder/IMAGE``; LivepxeError naming the package when GRUB's EFI modules are missing."""
    modules, tool = efi.grub_module_dir(), efi.mkimage_command()
    if modules is None or tool is None:
        raise LivepxeError("--uefi early needs grub-mkimage and GRUB's x86_64-efi modules: "
                           "install grub-efi-amd64-bin (Debian) or grub2-efi-x64-modules (Fedora/EL)")
    config = folder / "early.cfg"
    config.write_text(early_config(server, grub_config, http_port))
    image = folder / IMAGE
    run.run("grub-mkimage", ["-O", "x86_64-efi", "-d", str(modules), "-p", "/grub", "-c", str(config),
                             "-o", str(image), *efi.GRUB_MODULES], why="making the early-config GRUB")
    image.chmod(0o644)
    return image
