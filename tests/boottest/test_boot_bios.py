"""Prove it boots: livepxe's trees network-boot a real kernel and dracut in QEMU.

The fixture ISO (tests/fixtures/live_iso.py) is built from Debian packages
and cached; its live root's /sbin/init prints LIVEPXE-BOOT-OK and powers
off. Every test passes only when that marker reaches the serial console,
and the last one checks a broken tree FAILS, so the check cannot pass
vacuously. Each boot takes 1–2 minutes under TCG; KVM is used only when a
probe kernel really starts under it (set LIVEPXE_ACCEL=tcg|kvm to choose).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from livepxe.boottest import host as qemuhost
from livepxe.boottest.machine import DEFAULT_MAC, BootResult, Machine, Watch, boot
from livepxe.boottest.overlay import mac_config_name
from livepxe.cli import main
from livepxe.convert import ConvertOptions, convert
from livepxe.errors import LivepxeError
from livepxe.host import loaders

pytestmark = pytest.mark.boot
MEMORY_MIB = 768
TOOLS = ("qemu-system-x86_64", "dracut", "xorriso", "mksquashfs", "mkfs.ext4", "apt-get", "dpkg-deb")


def _require_host() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: apt-get install the packages in .ci/apt-packages.txt")
    if not Path("/usr/lib/dracut/modules.d/90dmsquash-live").is_dir():
        pytest.skip("needs dracut's dmsquash-live: apt-get install dracut-live")
    try:
        qemuhost.nic_rom("e1000")
    except LivepxeError as exc:  # only a missing file raises it; the message names the package
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def live(request):
    """The current-layout fixture ISO (built once, then cached)."""
    _require_host()
    from tests.fixtures.live_iso import live_iso
    return live_iso("current")


@pytest.fixture(scope="module")
def accel(request, live) -> qemuhost.Accel:
    """KVM if a kernel really starts under it, else TCG; said once in the test output."""
    chosen = qemuhost.choose_accel(os.environ.get("LIVEPXE_ACCEL", "auto"), live.vmlinuz)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\nboot tests run under {chosen.why}")
    return chosen


def _check(result: BootResult, what: str) -> str:
    """Assert the marker was reached; return the console text for further checks."""
    print(f"{what}: {result.summary()} timeline={result.milestones}")
    tail = "\n".join(result.last_lines(30))
    assert result.passed, f"{what}: {result.reason}\n--- last console lines ---\n{tail}"
    return "\n".join(result.console_lines())


def test_fixture_boots_from_cdrom(live, accel, tmp_path):
    """First the fixture itself: its kernel and initrd find the live root on the CD by label."""
    m = Machine(kernel=live.vmlinuz, initrd=live.initrd, append=f"{live.kernel_args} console=ttyS0",
                cdrom=live.iso, memory_mib=MEMORY_MIB)
    text = _check(boot(m, Watch.marker(live.marker), accel=accel, console_log=tmp_path / "cd.log"),
                  "CD-ROM")
    assert "live media: /dev/sr0 /run/initramfs/live iso9660" in text
    assert "root: /dev/mapper/live-rw / ext4" in text


def test_append_mode_tree_network_boots(live, accel, tmp_path):
    """The default tree: one initrd (dracut's + the ISO as newc), pxelinux over TFTP."""
    result = convert(ConvertOptions(iso=live.iso, output=tmp_path / "tftpboot", append="console=ttyS0",
                                    progress=False))
    m = Machine(tftp_root=result.root, bootfile="pxelinux.0", memory_mib=MEMORY_MIB)
    text = _check(boot(m, Watch.marker(live.marker), accel=accel, console_log=tmp_path / "append.log"),
                  "PXE append mode")
    assert f"root=live:/{result.iso_name}" in text
    # The ISO came out of the initramfs onto a loop device, not from any disk.
    assert "live media: /dev/loop" in text and "/run/initramfs/live iso9660" in text


def test_separate_mode_tree_passes_livepxe_boot_test(live, tmp_path, capsys):
    """The user's command on a tree made without console=ttyS0: the overlay adds it."""
    result = convert(ConvertOptions(iso=live.iso, output=tmp_path / "tftpboot", initrd_mode="separate",
                                    progress=False))
    config = (result.root / "pxelinux.cfg/default").read_text()
    assert "console=" not in config and ",iso0.img" in config
    status = main(["boot-test", str(result.root), "--memory", str(MEMORY_MIB), "--marker", live.marker,
                   "--console-log", str(tmp_path / "separate.log")])
    out = capsys.readouterr().out
    print(out)
    assert status == 0, out
    assert "PASS: userspace reached" in out and "userspace after" in out
    assert "for this test only, the kernel also gets: console=ttyS0,115200" in out
    log = (tmp_path / "separate.log").read_text(errors="replace")
    assert "console=ttyS0,115200" in log and "live media: /dev/loop" in log
    assert (result.root / "pxelinux.cfg/default").read_text() == config  # the tree is untouched
    assert sorted(p.name for p in (result.root / "pxelinux.cfg").iterdir()) == ["default"]


def test_integration_mode_tree_boots_via_per_mac_config(accel, tmp_path):
    """An existing TFTP root whose default boots the local disk; the client is routed by
    pxelinux.cfg/01-<mac> to the config livepxe wrote. Uses the OLD ISO layout
    (isolinux/vmlinuz0), so that layout is proven end to end too."""
    _require_host()
    from tests.fixtures.live_iso import live_iso
    old = live_iso("old")
    root = tmp_path / "tftpboot"
    (root / "pxelinux.cfg").mkdir(parents=True)
    found, missing = loaders.find_files()
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: apt-get install pxelinux syslinux-common")
    for name, src in found.items():  # what the TFTP server already serves
        shutil.copyfile(src, root / name)
    (root / "pxelinux.cfg/default").write_text("DEFAULT local\nLABEL local\n  LOCALBOOT 0\n")
    result = convert(ConvertOptions(iso=old.iso, tftproot=root, imagedir="live/fixture/old",
                                    bootfile="live.fixture-old", append="console=ttyS0", progress=False))
    assert (root / "live/fixture/old/initrd0.img").is_file()
    assert "/live/fixture/old/vmlinuz0" in (root / "pxelinux.cfg/live.fixture-old").read_text()
    os.symlink("live.fixture-old", root / "pxelinux.cfg" / mac_config_name(DEFAULT_MAC))
    m = Machine(tftp_root=result.root, bootfile="pxelinux.0", mac=DEFAULT_MAC, memory_mib=MEMORY_MIB)
    text = _check(boot(m, Watch.marker(old.marker), accel=accel, console_log=tmp_path / "integ.log"),
                  "PXE integration mode, old layout")
    assert f"root=live:/{result.iso_name}" in text and "live media: /dev/loop" in text


def test_truncated_initrd_fails(live, accel, tmp_path):
    """The check must be able to fail: the same tree with its initrd cut short never boots."""
    result = convert(ConvertOptions(iso=live.iso, output=tmp_path / "tftpboot", append="console=ttyS0",
                                    progress=False))
    initrd = result.root / "initrd0.img"
    os.truncate(initrd, live.initrd.stat().st_size // 2)  # mid-way through dracut's own image
    m = Machine(tftp_root=result.root, bootfile="pxelinux.0", memory_mib=MEMORY_MIB)
    r = boot(m, Watch.marker(live.marker), accel=accel, console_log=tmp_path / "broken.log")
    print(f"truncated initrd: {r.summary()}")
    assert not r.passed
    assert r.seconds is None and "userspace" not in r.milestones
    assert live.marker not in r.console_log.read_text(errors="replace")


def test_verify_boot_boots_an_integrated_tree_through_the_roots_pxelinux_and_ipxe(tmp_path, capsys):
    """``livepxe verify IMAGEDIR --boot``: the admin's TFTP root (pxelinux, default boots the local disk, no
    UEFI loader) holds the image; the harness routes its config to the test MAC and boots every way it can."""
    _require_host()
    from tests.fixtures.live_iso import live_iso
    fixture = live_iso("current")
    root = tmp_path / "tftpboot"
    (root / "pxelinux.cfg").mkdir(parents=True)
    found, missing = loaders.find_files()
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: apt-get install pxelinux syslinux-common")
    for name, src in found.items():
        shutil.copyfile(src, root / name)
    (root / "pxelinux.cfg/default").write_text("DEFAULT local\nLABEL local\n  LOCALBOOT 0\n")
    convert(ConvertOptions(iso=fixture.iso, tftproot=root, imagedir="live/fixture", bootfile="live.fixture",
                           progress=False))
    before = sorted(p.name for p in (root / "pxelinux.cfg").iterdir())
    status = main(["verify", str(root / "live/fixture"), "--boot", "--marker", fixture.marker])
    out = capsys.readouterr().out
    print(out)
    assert status == 0 and out.rstrip().endswith("verify: PASS"), out
    assert "boot uefi: skipped, the TFTP root" in out
    assert "boot bios: PASS: userspace reached" in out and "boot ipxe: PASS: userspace reached" in out
    assert sorted(p.name for p in (root / "pxelinux.cfg").iterdir()) == before  # the root is untouched
