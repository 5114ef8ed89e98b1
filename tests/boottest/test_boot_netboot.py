"""Real boots beyond BIOS+TFTP: UEFI (OVMF + shim/GRUB), iPXE over HTTP, and the HTTP live root.

Each boots the fixture ISO's tree in QEMU (KVM only when a probe kernel
really starts under it; $LIVEPXE_ACCEL=tcg|kvm chooses) and passes only
when the live root's marker reaches the serial console.  The fixture's
/sbin/init writes the marker to ttyS0 itself.
"""

from __future__ import annotations

import shutil

import pytest

from livepxe import note
from livepxe.boottest import host, modes
from livepxe.boottest.machine import BootResult, Watch, boot
from livepxe.cli import main
from livepxe.convert import ConvertOptions, convert

pytestmark = pytest.mark.boot


def _require(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool}: install the packages in .ci/apt-packages.txt")


@pytest.fixture(scope="module")
def fixture_iso():
    _require("qemu-system-x86_64", "dracut", "xorriso", "mksquashfs")
    from tests.fixtures.kernel import FixtureError
    from tests.fixtures.live_iso import live_iso
    try:
        return live_iso("current")
    except FixtureError as exc:
        pytest.skip(f"fixture ISO could not be built: {exc}")


def _assert_boots(mode: str, run: BootResult) -> None:
    print(f"{mode}: {run.summary()}")
    assert run.passed, f"{run.summary()}; last lines:\n" + "\n".join(run.last_lines())


def test_uefi_ovmf_boots_the_bundled_tree(fixture_iso, tmp_path, capsys):
    """Through the user's command: ``livepxe boot-test TREE --mode uefi`` (OVMF's PXE, shim, GRUB)."""
    try:
        host.ovmf_firmware()
    except Exception as exc:  # noqa: BLE001 - the message says what to install
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

