"""Boots through real servers: QEMU clients on a private LAN reach the live root's userspace.

Each test makes a LAN in network namespaces (tests/fixtures/netns.py): the
site's DHCP server (dnsmasq handing out addresses, no PXE), a server host
running ``livepxe serve`` (or tftp-hpa) and a QEMU client on a tap device.
A test passes only when the fixture's live root prints its marker on the
serial console; Secure Boot also needs the kernel's lockdown line.
Run as root, one QEMU at a time: ``flock /tmp/livepxe-qemu.lock pytest -m boot tests/serve``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from livepxe.boottest import host as qemuhost
from livepxe.boottest.machine import BootResult
from livepxe.convert import ConvertOptions, convert
from tests.fixtures import netns
from tests.serve.lan import LOCKDOWN, OVMF_MS_VARS, OVMF_SECBOOT, SERVER, SITE, Client, livepxe_serve, site_dhcp

pytestmark = pytest.mark.boot
CONSOLE = "console=ttyS0,115200"


def _require(*tools: str) -> None:
    why = netns.usable()
    if why:
        pytest.skip(why)
    missing = [t for t in ("dnsmasq", "qemu-system-x86_64", "dracut", "xorriso", "mksquashfs", *tools)
               if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: install the packages in .ci/apt-packages.txt")


@pytest.fixture(scope="module")
def live():
    _require()
    from tests.fixtures.live_iso import live_iso
    return live_iso("current")


@pytest.fixture(scope="module")
def readable():
    """A folder the servers' unprivileged users can read (pytest's own tmp folders are 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="livepxe-serve-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def tree(live, readable) -> Path:
    """The fixture ISO as a self-contained tree whose kernels log to the serial port."""
    return convert(ConvertOptions(iso=live.iso, output=readable / "tree", progress=False, append=CONSOLE)).root


@pytest.fixture(scope="module")
def accel(live) -> qemuhost.Accel:
    return qemuhost.choose_accel(qemuhost.accel_from_env(), live.vmlinuz)


@pytest.fixture
def lan():
    with netns.Lan() as made:
        yield made


def _passed(run: BootResult, *logs: Path) -> None:
    print(run.summary(), {k: round(v, 1) for k, v in run.milestones.items()})
    detail = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs if p.exists())
    assert run.passed, f"{run.summary()}; last lines:\n" + "\n".join(run.last_lines()) + "\n" + detail


def _steps(out: Path) -> str:
    """serve's client-step lines (each starts with the client's MAC), without its banner."""
    return "\n".join(line for line in out.read_text(errors="replace").splitlines() if line[:17].count(":") == 5)


def _boot_beside_the_site(lan, tree, live, accel, tmp_path, kind: str, *serve_args: str,
                          timeout: float = 300) -> tuple[BootResult, str]:
    """The site's DHCP server, ``livepxe serve TREE`` on another host, one client of ``kind``: (boot, steps)."""
    site, server, tap = lan.add_host("site", SITE), lan.add_host("serve", SERVER), lan.add_tap()
    site_dhcp(lan, site, tmp_path)
    _, out = livepxe_serve(lan, server, tree, tmp_path, *serve_args)
    run = Client(kind, tap, tmp_path).boot(lan, live.marker, accel, timeout=timeout)
    _passed(run, out, tmp_path / "site-dhcp.log")
    return run, _steps(out)


def test_bios_pxelinux_behind_the_sites_dhcp_takes_only_itself_over_tftp(lan, tree, live, accel, tmp_path):
    """iPXE NIC ROM told (by proxy offer) to boot lpxelinux; everything after it comes over HTTP."""
    _, steps = _boot_beside_the_site(lan, tree, live, accel, tmp_path, "bios", "--no-ipxe-script")
    assert "iPXE/BIOS  dhcp boot livepxe-lpxelinux.0" in steps and "tftp livepxe-lpxelinux.0" in steps, steps
    assert "http /pxelinux.cfg/default" in steps and "http /initrd0.img" in steps, steps
    assert "tftp initrd0.img" not in steps and "dhcp address" not in steps, steps  # proxy: the site leased


def test_ipxe_over_http_behind_the_sites_dhcp(lan, tree, live, accel, tmp_path):
    """An iPXE client gets boot.ipxe by URL; kernel and initrd come over HTTP, not TFTP."""
    _, steps = _boot_beside_the_site(lan, tree, live, accel, tmp_path, "bios")
    assert "http /initrd0.img" in steps and "tftp" not in steps, steps


def test_uefi_behind_the_sites_dhcp_with_the_early_config_grub(lan, tree, live, accel, tmp_path):
    """OVMF's own PXE behind a proxy: GRUB ignores proxy offers, so serve hands out a GRUB naming itself."""
    _, steps = _boot_beside_the_site(lan, tree, live, accel, tmp_path, "uefi")
    assert "UEFI       tftp livepxe-grubx64.efi" in steps and "http /grub/grub.cfg" in steps, steps
    assert "http /initrd0.img" in steps and "tftp initrd0.img" not in steps, steps


def test_uefi_secure_boot_through_serve_as_the_labs_dhcp_server(lan, tree, live, accel, tmp_path):
    """Secure Boot enforced: shim → Debian-signed GRUB → signed kernel; GRUB finds its server as next-server."""
    if not (OVMF_SECBOOT.is_file() and OVMF_MS_VARS.is_file()):
        pytest.skip("needs OVMF's Secure Boot firmware and Microsoft-enrolled variables: install ovmf")
    server, tap = lan.add_host("serve", SERVER), lan.add_tap()
    _, out = livepxe_serve(lan, server, tree, tmp_path, "--dhcp", "198.18.0.100,198.18.0.150")
    run = Client("secureboot", tap, tmp_path).boot(lan, live.marker, accel)
    _passed(run, out)
    console = run.console_log.read_text(errors="replace")
    assert LOCKDOWN in console, "booted, but not under Secure Boot"
    steps = _steps(out)
    assert "dhcp address 198.18.0.1" in steps and "tftp grubx64.efi" in steps, steps


def test_integration_tree_from_tftp_hpa_with_next_server_and_filename(live, lan, accel, readable, tmp_path):
    """The way most PXE sites work: the site's DHCP names next-server + pxelinux.0; tftp-hpa serves the root."""
    _require("in.tftpd")
    from tests.boottest.trees import integrated
    root = readable / "tftproot"
    image = integrated(live.iso, root, loaders=False)
    for name in ("pxelinux.0", "ldlinux.c32"):
        shutil.copy(Path("/usr/lib/PXELINUX" if name == "pxelinux.0" else "/usr/lib/syslinux/modules/bios") / name,
                    root / name)
    (root / "pxelinux.cfg/default").write_text((root / "pxelinux.cfg/live.f41").read_text()
                                               .replace("APPEND ", f"APPEND {CONSOLE} ", 1))
    subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
    site, server, tap = lan.add_host("site", SITE), lan.add_host("tftp", SERVER), lan.add_tap()
    ip = SERVER.split("/")[0]
    site_dhcp(lan, site, tmp_path, f"--dhcp-boot=pxelinux.0,,{ip}")
    tftp_log = open(tmp_path / "tftpd.log", "wb")
    lan.spawn(server, ["in.tftpd", "--foreground", "--secure", "--verbose", "--address", f"{ip}:69",
                       str(root)], tftp_log)
    run = Client("bios", tap, tmp_path).boot(lan, live.marker, accel)
    _passed(run, tmp_path / "tftpd.log")
    assert image.is_dir()


def test_uefi_secure_boot_behind_the_sites_dhcp_by_http_boot(lan, tree, live, accel, tmp_path):
    """Secure Boot behind a proxy: PXE refuses the unsigned GRUB, HTTP Boot fetches the signed chain on a disk."""
    if not (OVMF_SECBOOT.is_file() and OVMF_MS_VARS.is_file()):
        pytest.skip("needs OVMF's Secure Boot firmware and Microsoft-enrolled variables: install ovmf")
    run, steps = _boot_beside_the_site(lan, tree, live, accel, tmp_path, "secureboot", timeout=900)
    assert LOCKDOWN in run.console_log.read_text(errors="replace"), "booted, but not under Secure Boot"
    assert "http /livepxe-secureboot.img" in steps and "tftp initrd0.img" in steps, steps
    assert "dhcp address" not in steps, steps  # the site leased


@pytest.fixture(scope="module")
def catalogue(live, readable) -> Path:
    """A lab root livepxe filled: two images, its menus, no loaders of its own (serve brings the host's)."""
    root = readable / "catalogue"
    root.mkdir()
    root.chmod(0o755)
    for name in ("rescue", "compose"):
        convert(ConvertOptions(iso=live.iso, tftproot=root, imagedir=f"live/{name}", bootfile=f"live.{name}",
                               progress=False, append=CONSOLE))
    return root


def test_uefi_boots_the_first_image_of_a_catalogue_from_its_menu(lan, catalogue, live, accel, tmp_path):
    """``serve ROOT`` behind the site's DHCP: GRUB reads the root's menu, which chains the first image's config."""
    _, steps = _boot_beside_the_site(lan, catalogue, live, accel, tmp_path, "uefi")
    assert "http /grub/grub.cfg" in steps and "/grub/live.compose.cfg" in steps, steps
    assert "/live/compose/initrd0.img" in steps and "/live/rescue/initrd0.img" not in steps, steps


def test_uefi_secure_boot_boots_a_catalogue_through_serve_as_the_labs_dhcp_server(lan, catalogue, live, accel,
                                                                                  tmp_path):
    """Secure Boot enforced: the host's shim and signed GRUB, beside the root, read the root's GRUB menu."""
    if not (OVMF_SECBOOT.is_file() and OVMF_MS_VARS.is_file()):
        pytest.skip("needs OVMF's Secure Boot firmware and Microsoft-enrolled variables: install ovmf")
    server, tap = lan.add_host("serve", SERVER), lan.add_tap()
    _, out = livepxe_serve(lan, server, catalogue, tmp_path, "--dhcp", "198.18.0.100,198.18.0.150")
    run = Client("secureboot", tap, tmp_path).boot(lan, live.marker, accel)
    _passed(run, out)
    assert LOCKDOWN in run.console_log.read_text(errors="replace"), "booted, but not under Secure Boot"
    steps = _steps(out)
    assert "grub/grub.cfg" in steps and "live.compose.cfg" in steps, steps
