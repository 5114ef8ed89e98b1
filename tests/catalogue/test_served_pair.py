"""Two clients at once through one ``livepxe serve ROOT`` (issue 16, item 6a): BIOS and UEFI, each booting
the image its own per-machine default names, to that image's live root.

The root holds three images; the menus' default is the first (``live/compose``), the BIOS client's MAC
chooses ``live/rescue`` (its own ``pxelinux.cfg/01-<mac>``, read by lpxelinux over HTTP) and the UEFI
client's ``live/other`` (the ``$net_default_mac`` test in ``grub/grub.cfg``).  Both QEMUs start together
behind the site's DHCP; each must print the fixture's marker with its own image's kernel command line,
having fetched only its own image's initrd.  Then a Secure Boot client (shim, Debian-signed GRUB) whose MAC
chooses ``live/other``.  Marked boot: about 2 minutes under TCG for the pair, as long for Secure Boot.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from livepxe.cli import main
from livepxe.convert import ConvertOptions, convert
from tests.serve.lan import LOCKDOWN, OVMF_MS_VARS, OVMF_SECBOOT, SERVER, SITE, Client, livepxe_serve, site_dhcp
from tests.serve.test_boot_served import CONSOLE, _passed, _steps, accel, lan, live, readable  # noqa: F401

pytestmark = pytest.mark.boot
BIOS_MAC, UEFI_MAC = "52:54:00:48:00:01", "52:54:00:48:00:02"


def _image(console: Path) -> str:
    """Which image's kernel ran: the ``livepxe.image=`` word of the command line it printed."""
    found = set(re.findall(r"livepxe\.image=(\w+)", console.read_text(errors="replace")))
    return ",".join(sorted(found))


@pytest.fixture(scope="module")
def root(live, readable) -> Path:  # noqa: F811
    """Three images; each client's MAC chooses one that is not the menus' default."""
    folder = readable / "pair"
    folder.mkdir()
    folder.chmod(0o755)
    for name in ("compose", "other", "rescue"):
        convert(ConvertOptions(iso=live.iso, tftproot=folder, imagedir=f"live/{name}", bootfile=f"live.{name}",
                               progress=False, append=f"{CONSOLE} livepxe.image={name}"))
    assert main(["menu", str(folder), "--mac", BIOS_MAC, "--default", "live/rescue"]) == 0
    assert main(["menu", str(folder), "--mac", UEFI_MAC, "--default", "live/other"]) == 0
    return folder


def test_a_bios_and_a_uefi_client_boot_their_own_images_at_once(lan, live, accel, root, tmp_path):  # noqa: F811
    site, server = lan.add_host("site", SITE), lan.add_host("serve", SERVER)
    site_dhcp(lan, site, tmp_path)
    _, out = livepxe_serve(lan, server, root, tmp_path, "--no-ipxe-script")
    clients = {"bios": Client("bios", lan.add_tap(), tmp_path, mac=BIOS_MAC),
               "uefi": Client("uefi", lan.add_tap(), tmp_path, mac=UEFI_MAC)}
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = {kind: pool.submit(client.boot, lan, live.marker, accel, 600) for kind, client in clients.items()}
        results = {kind: future.result() for kind, future in runs.items()}
    elapsed = time.monotonic() - start
    for kind, run in results.items():
        print(f"{kind}: {run.summary()}")
        _passed(run, out, tmp_path / "site-dhcp.log")
    print(f"both clients reached their live roots {elapsed:.0f} s after both were powered on")
    assert _image(results["bios"].console_log) == "rescue"
    assert _image(results["uefi"].console_log) == "other"
    steps = _steps(out)
    bios = "\n".join(line for line in steps.splitlines() if line.startswith(BIOS_MAC))
    uefi = "\n".join(line for line in steps.splitlines() if line.startswith(UEFI_MAC))
    assert "pxelinux.cfg/01-52-54-00-48-00-01" in bios and "/live/rescue/initrd0.img" in bios, steps
    assert "/live/compose/initrd0.img" not in bios and "/live/other/" not in bios, steps
    assert "grub/grub.cfg" in uefi and "/live/other/initrd0.img" in uefi, steps
    assert "/live/compose/initrd0.img" not in uefi and "/live/rescue/" not in uefi, steps


def test_the_signed_grub_honours_a_machines_own_default_under_secure_boot(lan, live, accel, root,  # noqa: F811
                                                                          tmp_path):
    """Secure Boot enforced: the host's shim and Debian-signed GRUB read the same menu and its MAC test."""
    if not (OVMF_SECBOOT.is_file() and OVMF_MS_VARS.is_file()):
        pytest.skip("needs OVMF's Secure Boot firmware and Microsoft-enrolled variables: install ovmf")
    server = lan.add_host("serve", SERVER)
    _, out = livepxe_serve(lan, server, root, tmp_path, "--dhcp", "198.18.0.100,198.18.0.150")
    run = Client("secureboot", lan.add_tap(), tmp_path, mac=UEFI_MAC).boot(lan, live.marker, accel)
    _passed(run, out)
    assert LOCKDOWN in run.console_log.read_text(errors="replace"), "booted, but not under Secure Boot"
    assert _image(run.console_log) == "other"
