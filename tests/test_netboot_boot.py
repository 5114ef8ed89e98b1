"""Real boots beyond BIOS+TFTP: UEFI (OVMF + shim/GRUB), iPXE over HTTP, and the HTTP live root.

Each boots the fixture ISO's tree in QEMU (TCG unless $LIVEPXE_QEMU_ACCEL)
and passes only when the live root's marker reaches the serial console.
The fixture's /sbin/init writes the marker to ttyS0 itself, so the trees
are booted exactly as converted.
"""

from __future__ import annotations

import json
import shutil

import pytest

from livepxe.boottest import modes as boot_modes
from livepxe.boottest.machine import BootResult
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


def test_uefi_ovmf_boots_the_bundled_tree(fixture_iso, tmp_path):
    try:
        boot_modes.ovmf_firmware()
    except Exception as exc:  # noqa: BLE001 - the message says what to install
        pytest.skip(str(exc))
    result = convert(ConvertOptions(iso=fixture_iso.iso, output=tmp_path / "tree", progress=False))
    note = json.loads((result.root / "livepxe.json").read_text())
    if not note["boot_files"]["uefi"]:
        pytest.skip("no UEFI loaders on this host: install shim-signed + grub-efi-amd64-signed or grub-efi-amd64-bin")
    run = boot_modes.boot_mode(result.root, "uefi", tmp_path / "uefi.log", fixture_iso.marker,
                               boot_files=note["boot_files"])
    _assert_boots("uefi", run)
    assert f"root=live:/{result.iso_name}" in run.console_log.read_text(errors="replace")


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
    with boot_modes.serve_http(tree) as port:  # the tree is served as soon as it exists
        result = convert(ConvertOptions(iso=fixture_iso.iso, output=tree, progress=False,
                                        http_url=f"http://{boot_modes.GUEST_HOST}:{port}/"))
        assert result.initrd_bytes < fixture_iso.iso.stat().st_size
        run = boot_modes.boot_once(tree, "pxelinux.0", "bios", tmp_path / "http-root.log", fixture_iso.marker)
    _assert_boots("bios+http-root", run)
    console = run.console_log.read_text(errors="replace")
    assert f"root=live:http://{boot_modes.GUEST_HOST}:{port}/{result.iso_name}" in console

