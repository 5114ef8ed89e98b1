"""Real boots beyond BIOS+TFTP: UEFI (OVMF + shim/GRUB), iPXE over HTTP, and the HTTP live root.

Each boots the fixture ISO's tree in QEMU (KVM only when a probe kernel
really starts under it; $LIVEPXE_ACCEL=tcg|kvm chooses) and passes only
when the live root's marker reaches the serial console.  The fixture's
/sbin/init writes the marker to ttyS0 itself.
"""

from __future__ import annotations

import shutil
import socket

import pytest

from livepxe.boottest import host, modes
from livepxe.boottest.machine import BootResult, Watch, boot
from livepxe.cli import main
from livepxe.convert import ConvertOptions, convert
from livepxe.errors import LivepxeError
from livepxe.tree import note

pytestmark = pytest.mark.boot


def _require(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool}: install the packages in .ci/apt-packages.txt")


@pytest.fixture(scope="module")
def fixture_iso():
    _require("qemu-system-x86_64", "dracut", "xorriso", "mksquashfs")
    from tests.fixtures.kernel import MissingPrerequisite
    from tests.fixtures.live_iso import live_iso
    try:
        return live_iso("current")
    except MissingPrerequisite as exc:  # a build that fails is a failure
        pytest.skip(f"fixture ISO could not be built: {exc}")


def _assert_boots(mode: str, run: BootResult) -> None:
    print(f"{mode}: {run.summary()}")
    assert run.passed, f"{run.summary()}; last lines:\n" + "\n".join(run.last_lines())


def test_uefi_ovmf_boots_the_bundled_tree(fixture_iso, tmp_path, capsys):
    """Through the user's command: ``livepxe boot-test TREE --mode uefi`` (OVMF's PXE, shim, GRUB)."""
    try:
        host.ovmf_firmware()
    except LivepxeError as exc:  # only a missing file raises it; the message names the package
        pytest.skip(str(exc))
    result = convert(ConvertOptions(iso=fixture_iso.iso, output=tmp_path / "tree", progress=False))
    tree_note = note.read(result.root)
    if tree_note is None or not tree_note.boot_files.uefi:
        pytest.skip("no UEFI loaders on this host: install shim-signed + grub-efi-amd64-signed or grub-efi-amd64-bin")
    log = tmp_path / "uefi.log"
    status = main(["boot-test", str(result.root), "--mode", "uefi", "--marker", fixture_iso.marker,
                   "--console-log", str(log)])
    out = capsys.readouterr().out
    print(out)
    assert status == 0 and "boot uefi: PASS" in out, out
    assert f"root=live:/{result.iso_name}" in log.read_text(errors="replace")


def test_verify_boot_ipxe_over_http_boots_the_bundled_tree(fixture_iso, tmp_path, capsys):
    """Through the user's command: ``livepxe verify TREE --boot --only ipxe`` (loopback HTTP, serial overlay)."""
    result = convert(ConvertOptions(iso=fixture_iso.iso, output=tmp_path / "tree", progress=False))
    status = main(["verify", str(result.root), "--boot", "--only", "ipxe", "--marker", fixture_iso.marker])
    out = capsys.readouterr().out
    print(out)
    assert status == 0 and "boot ipxe: PASS" in out and "verify: PASS" in out
    assert "boot bios" not in out and "boot uefi" not in out


def test_http_live_root_downloads_the_iso_and_boots_via_pxelinux(fixture_iso, tmp_path):
    """The initrd carries no ISO: dracut's livenet fetches it from a loopback HTTP server."""
    tree = tmp_path / "tree"
    with modes.serve_http(tree) as port:  # the tree is served as soon as it exists
        result = convert(ConvertOptions(iso=fixture_iso.iso, output=tree, progress=False,
                                        http_url=f"http://{modes.GUEST_HOST}:{port}/"))
        assert result.initrd_bytes < fixture_iso.iso.stat().st_size
        accel = host.choose_accel(host.accel_from_env(), tree / "vmlinuz0")
        run = boot(modes.machine("bios", tree, "pxelinux.0", 1024), Watch.marker(fixture_iso.marker), accel=accel,
                   console_log=tmp_path / "http-root.log")
    _assert_boots("bios+http-root", run)
    console = run.console_log.read_text(errors="replace")
    assert f"root=live:http://{modes.GUEST_HOST}:{port}/{result.iso_name}" in console



def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_http_boot_tree_boots_bios_by_lpxelinux_with_kernel_and_initrd_over_http(fixture_iso, tmp_path, capsys):
    """``convert --http-boot http://10.0.2.2:PORT/tftpboot/``: lpxelinux.0 over TFTP, kernel + initrd over HTTP.

    The harness serves the tree at the URL's port and path; the config names only http:// URLs, so
    pxelinux cannot have read them from TFTP.
    """
    base = f"http://{modes.GUEST_HOST}:{_free_port()}/tftpboot/"
    result = convert(ConvertOptions(iso=fixture_iso.iso, output=tmp_path / "tree", progress=False, http_boot=base))
    if result.note.boot_files.bios != "lpxelinux.0":
        pytest.skip("no lpxelinux.0 on this host: apt-get install pxelinux syslinux-common")
    assert f"KERNEL {base}vmlinuz0" in (result.root / "pxelinux.cfg/default").read_text()
    log = tmp_path / "bios.log"
    status = main(["boot-test", str(result.root), "--mode", "bios", "--marker", fixture_iso.marker,
                   "--console-log", str(log)])
    out = capsys.readouterr().out
    print(out)
    assert status == 0 and "boot bios: PASS" in out and f"over HTTP from {base}" in out, out
    console = log.read_text(errors="replace")
    assert "lpxelinux.0" in console and f"{base}initrd0.img" in console


def test_http_boot_tree_on_port_80_boots_uefi_grub_and_ipxe_over_http(fixture_iso, tmp_path, capsys,
                                                                        unsigned_grub_host):
    """``--http-boot http://10.0.2.2/tftpboot/`` (port 80: GRUB's (http,HOST) device); the harness serves the
    tree on the host's loopback port 80 (skipped when that port is taken).

    UEFI boots livepxe's unsigned grub-mkimage GRUB (http built in): Debian 12's signed grubnetx64.efi has
    no http module ("disk `http,10.0.2.100' not found"), so with it the GRUB config stays on TFTP.
    """
    try:
        host.ovmf_firmware()
    except LivepxeError as exc:  # only a missing file raises it; the message names the package
        pytest.skip(str(exc))
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", 80))
        except OSError as exc:
            pytest.skip(f"the host's loopback port 80 is not free for the harness's HTTP server: {exc}")
    base = f"http://{modes.GUEST_HOST}/tftpboot/"
    result = convert(ConvertOptions(iso=fixture_iso.iso, output=tmp_path / "tree", progress=False, http_boot=base))
    assert result.note.boot_files.uefi == "grubnetx64.efi"
    grub_cfg = (result.root / result.note.configs["grub"]).read_text()
    assert "linux '(http,10.0.2.2)/tftpboot/vmlinuz0'" in grub_cfg and "/initrd0.img'" in grub_cfg
    log = tmp_path / "boot.log"
    status = main(["verify", str(result.root), "--boot", "--mode", "uefi", "--mode", "ipxe",
                   "--marker", fixture_iso.marker, "--console-log", str(log)])
    out = capsys.readouterr().out
    print(out)
    assert status == 0 and "boot uefi: PASS" in out and "boot ipxe: PASS" in out and "verify: PASS" in out, out
    assert f"kernel and initrd over HTTP from {base}" in out
