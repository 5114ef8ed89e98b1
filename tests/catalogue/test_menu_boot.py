"""A catalogue root boots from its menu: BIOS client, the root's own pxelinux, livepxe's pxelinux.cfg/default.

Two images are placed in an admin's root that has only pxelinux.0 and
ldlinux.c32 (no menu module: the plain ``boot:`` prompt); the client gets
the menu, which times out to the first image and chains its own config.
Marked boot: about 1.5 minutes under TCG.
"""

from __future__ import annotations

import os
import shutil

import pytest

from livepxe.boottest import host as qemuhost
from livepxe.boottest.machine import Machine, Watch, boot
from livepxe.convert import ConvertOptions, convert
from livepxe.host import loaders
from tests.boottest.test_boot_bios import MEMORY_MIB, _require_host

pytestmark = pytest.mark.boot


def test_a_bios_client_boots_the_first_image_from_the_roots_menu(tmp_path):
    _require_host()
    from tests.fixtures.live_iso import live_iso
    fixture = live_iso("current")
    root = tmp_path / "tftpboot"
    root.mkdir()
    found, missing = loaders.find_files()
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: apt-get install pxelinux syslinux-common")
    for name, src in found.items():  # what the admin's TFTP server already serves
        shutil.copyfile(src, root / name)
    for name in ("rescue", "compose"):
        convert(ConvertOptions(iso=fixture.iso, tftproot=root, imagedir=f"live/{name}", bootfile=f"live.{name}",
                               append=f"console=ttyS0 livepxe.image={name}", progress=False))
    menu = (root / "pxelinux.cfg/default").read_text()
    assert "DEFAULT live-compose" in menu and "CONFIG pxelinux.cfg/live.rescue" in menu
    accel = qemuhost.choose_accel(os.environ.get("LIVEPXE_ACCEL", "auto"), fixture.vmlinuz)
    result = boot(Machine(tftp_root=root, bootfile="pxelinux.0", memory_mib=MEMORY_MIB),
                  Watch.marker(fixture.marker), accel=accel, console_log=tmp_path / "menu.log")
    log = (tmp_path / "menu.log").read_text(errors="replace")
    assert result.passed, result.summary() + log[-2000:]
    assert "livepxe.image=compose" in log and "live media: /dev/loop" in log
