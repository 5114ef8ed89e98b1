"""QEMU clients boot the live root through the site's own DHCP server, configured only from the tree's snippets.

A LAN in network namespaces: the site's DHCP server (ISC dhcpd, Kea or
dnsmasq) runs from the site config the snippets' comments describe
(`sites.config`), tftp-hpa on a second host serves the tree (dnsmasq serves
it itself, as its snippet says), and a QEMU client boots.  QEMU's BIOS PXE
ROM is iPXE, which says so in its user class: it takes the iPXE branch
(boot.ipxe, kernel and initrd over TFTP from next-server); OVMF's own PXE
sends option 93 = 7 and takes the UEFI branch (shim or GRUB, then
grub.cfg from next-server).  A test passes only when the live root prints
its marker on the serial console.
Run as root, one QEMU at a time: ``flock /tmp/livepxe-qemu.lock pytest -m boot tests/sitedhcp``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from livepxe.boottest import host as qemuhost
from livepxe.convert import ConvertOptions, convert
from tests.fixtures import netns
from tests.serve.lan import Client
from tests.sitedhcp import sites

pytestmark = pytest.mark.boot
CONSOLE = "console=ttyS0,115200"


@pytest.fixture(scope="module")
def live():
    why = netns.usable()
    if why:
        pytest.skip(why)
    missing = sites.missing_tools("in.tftpd", "qemu-system-x86_64", "dracut", "xorriso", "mksquashfs")
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: install the packages in .ci/apt-packages.txt")
    from tests.fixtures.live_iso import live_iso
    return live_iso("current")


@pytest.fixture(scope="module")
def tree(live):
    """The fixture ISO as a self-contained tree, in a folder tftp-hpa's and dnsmasq's users can read."""
    folder = Path(tempfile.mkdtemp(prefix="livepxe-sitedhcp-boot-"))
    folder.chmod(0o755)
    yield convert(ConvertOptions(iso=live.iso, output=folder / "tree", progress=False, append=CONSOLE)).root
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def accel(live) -> qemuhost.Accel:
    return qemuhost.choose_accel(qemuhost.accel_from_env(), live.vmlinuz)


#: (daemon, client): BIOS through ISC dhcpd and UEFI through Kea first, then every other pair.
PAIRS = [("dhcpd", "bios"), ("kea", "uefi"), ("dnsmasq", "bios"), ("dnsmasq", "uefi"), ("dhcpd", "uefi"),
         ("kea", "bios")]


@pytest.mark.parametrize("daemon, kind", PAIRS, ids=[f"{d}-{k}" for d, k in PAIRS])
def test_a_client_boots_the_live_root_through_the_sites_own_dhcp(daemon, kind, tree, live, accel, tmp_path):
    with sites.lan() as lan:
        site, tap = lan.add_host("site", sites.SITE), lan.add_tap()
        if daemon == "dnsmasq":
            server = site
        else:
            server = lan.add_host("tftp", sites.TFTP)
            sites.tftp_hpa(lan, server, tree, tmp_path)
        sites.start(daemon, lan, site, sites.config(daemon, tree, tmp_path, server.ip), tmp_path)
        run = Client(kind, tap, tmp_path).boot(lan, live.marker, accel)
    print(run.summary(), {k: round(v, 1) for k, v in run.milestones.items()})
    logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}"
                     for p in (tmp_path / f"{daemon}.log", tmp_path / "tftpd.log") if p.exists())
    assert run.passed, f"{run.summary()}; last lines:\n" + "\n".join(run.last_lines()) + "\n" + logs
    if daemon == "dnsmasq":   # its own TFTP server logs what it sent (tftp-hpa logs only to syslog)
        said = (tmp_path / "dnsmasq.log").read_text(errors="replace")
        wanted = "boot.ipxe" if kind == "bios" else next(n for n in ("bootx64.efi", "grubnetx64.efi")
                                                         if (tree / n).exists())
        assert f"sent {tree}/{wanted} to " in said, said[-2000:]
