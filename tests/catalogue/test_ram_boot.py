"""iPXE's catalogue menu checks the client's RAM before the download (issue 16, item 2), in QEMU.

Debian's iPXE ROMs (the ones QEMU loads) have no ``${memsize}``, so menu.ipxe adds up the SMBIOS
memory devices QEMU describes; a client with less RAM than the chosen image needs gets one line and
the menu back (then waiting, without a timeout), and never loads the image; one with enough boots it
to its live root.  Marked boot: about 1.5 minutes under TCG.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from livepxe.boottest import host as qemuhost
from livepxe.boottest.machine import ANSI, FAILURE_PATTERNS, Machine, Watch, boot
from livepxe.boottest.modes import GUEST_HOST, serve_http
from livepxe.catalogue import scan
from livepxe.convert import ConvertOptions, convert
from tests.boottest.test_boot_bios import _require_host

pytestmark = pytest.mark.boot
#: The refusal ends the run (as a failure line: the console gets a few seconds more, for the menu again).
REFUSED = r"needs \d+ MiB RAM, this machine has \d+ MiB"


def _refusal(marker: str) -> Watch:
    return Watch(success=(re.escape(marker),), failure=(*FAILURE_PATTERNS, REFUSED))


def test_a_low_ram_ipxe_client_is_told_and_gets_the_menu_back(tmp_path):
    _require_host()
    from tests.fixtures.live_iso import live_iso
    fixture = live_iso("current")
    root = tmp_path / "tftpboot"
    root.mkdir()
    convert(ConvertOptions(iso=fixture.iso, tftproot=root, imagedir="live/rescue", bootfile="live.rescue",
                           append="console=ttyS0 livepxe.image=rescue", progress=False))
    need = scan.images(root)[0].ram_mib
    accel = qemuhost.choose_accel(os.environ.get("LIVEPXE_ACCEL", "auto"), fixture.vmlinuz)
    with serve_http(root) as port:
        url = f"http://{GUEST_HOST}:{port}/menu.ipxe"
        low = boot(Machine(tftp_root=root, bootfile=url, memory_mib=need - 96), _refusal(fixture.marker),
                   accel=accel, timeout=120, console_log=tmp_path / "low.log")
        log = ANSI.sub("", (tmp_path / "low.log").read_text(errors="replace"))
        said = re.search(rf"live-rescue: needs {need} MiB RAM, this machine has (\d+) MiB", log)
        assert not low.passed and said, low.summary() + log[-2000:]
        assert need - 96 - 8 <= int(said.group(1)) <= need - 96        # what QEMU gave it, as SMBIOS says
        assert "livepxe images" in log[said.end():]                    # the menu again
        assert "Loading" not in log and "vmlinuz" not in log            # nothing of the image was fetched
        enough = boot(Machine(tftp_root=root, bootfile=url, memory_mib=need + 256), _refusal(fixture.marker),
                      accel=accel, console_log=tmp_path / "enough.log")
    log = (tmp_path / "enough.log").read_text(errors="replace")
    assert enough.passed, enough.summary() + log[-2000:]
    assert "this machine has" not in log
    assert "livepxe.image=rescue" in log


def test_a_low_ram_ipxe_client_behind_serve_fetches_nothing_of_the_image(tmp_path):
    """The same through ``livepxe serve ROOT`` behind the site's DHCP: the menu comes over HTTP, no image."""
    from tests.fixtures import netns
    from tests.serve.lan import SERVER, SITE, Client, livepxe_serve, site_dhcp
    from tests.serve.test_boot_served import _require, _steps
    _require()
    from tests.fixtures.live_iso import live_iso
    fixture = live_iso("current")
    root = Path(tempfile.mkdtemp(prefix="livepxe-ram-test-"))   # the server's unprivileged side reads it
    try:
        root.chmod(0o755)
        convert(ConvertOptions(iso=fixture.iso, tftproot=root, imagedir="live/rescue", bootfile="live.rescue",
                               append="console=ttyS0", progress=False))
        need = scan.images(root)[0].ram_mib
        accel = qemuhost.choose_accel(os.environ.get("LIVEPXE_ACCEL", "auto"), fixture.vmlinuz)
        with netns.Lan() as lan:
            site, server, tap = lan.add_host("site", SITE), lan.add_host("serve", SERVER), lan.add_tap()
            site_dhcp(lan, site, tmp_path)
            _, out = livepxe_serve(lan, server, root, tmp_path)
            run = Client("bios", tap, tmp_path, memory_mib=need - 96).boot(lan, _refusal(fixture.marker), accel,
                                                                           timeout=120)
            steps = _steps(out)
        log = ANSI.sub("", run.console_log.read_text(errors="replace"))
        said = re.search(rf"live-rescue: needs {need} MiB RAM, this machine has \d+ MiB", log)
        assert not run.passed and said, run.summary() + log[-2000:]
        assert "livepxe images" in log[said.end():]
        assert "http /menu.ipxe" in steps and "initrd" not in steps and "vmlinuz" not in steps, steps
    finally:
        shutil.rmtree(root, ignore_errors=True)
