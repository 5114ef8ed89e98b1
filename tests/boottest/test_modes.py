"""The QEMU machine each boot mode gets, and the loopback HTTP server, without starting a guest."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from livepxe.boottest import host, modes
from livepxe.boottest.machine import qemu_command


@pytest.fixture
def fake_host(tmp_path: Path, monkeypatch) -> Path:
    """A host with QEMU, the iPXE ROM and OVMF where the test says, so no package is needed."""
    monkeypatch.setattr(host, "qemu_binary", lambda: "qemu-system-x86_64")
    roms = tmp_path / "roms"
    roms.mkdir()
    (roms / "efi-e1000.rom").write_bytes(b"rom")
    monkeypatch.setattr(host, "ROM_DIRS", (roms,))
    (tmp_path / "OVMF.fd").write_bytes(b"fw")
    monkeypatch.setattr(host, "OVMF_CANDIDATES", (str(tmp_path / "OVMF.fd"),))
    (tmp_path / "tftp").mkdir()
    return tmp_path


def command(mode: str, where: Path, bootfile: str, **kwargs) -> list[str]:
    return qemu_command(modes.machine(mode, where / "tftp", bootfile, 1536, **kwargs), "tcg", where / "log")


def test_bios_boots_seabios_with_the_nics_ipxe_rom(fake_host):
    cmd = command("bios", fake_host, "pxelinux.0", mac="52:54:00:aa:bb:cc")
    assert "-bios" not in cmd and cmd[cmd.index("-m") + 1] == "1536"
    assert f"user,id=n0,tftp={fake_host / 'tftp'},bootfile=pxelinux.0" in cmd
    assert f"e1000,netdev=n0,mac=52:54:00:aa:bb:cc,romfile={fake_host / 'roms/efi-e1000.rom'}" in cmd


def test_uefi_boots_ovmfs_own_pxe_on_a_virtio_nic_without_a_rom(fake_host):
    cmd = command("uefi", fake_host, "bootx64.efi")
    assert cmd[cmd.index("-bios") + 1] == str(fake_host / "OVMF.fd")
    assert "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,romfile=" in cmd
    assert f"user,id=n0,tftp={fake_host / 'tftp'},bootfile=bootx64.efi" in cmd


def test_ipxe_fetches_the_script_by_url_through_the_rom(fake_host):
    cmd = command("ipxe", fake_host, "http://10.0.2.2:8080/live/f41/boot.ipxe")
    assert "-bios" not in cmd and any(a.startswith("e1000,") and a.endswith(".rom") for a in cmd)
    assert f"user,id=n0,tftp={fake_host / 'tftp'},bootfile=http://10.0.2.2:8080/live/f41/boot.ipxe" in cmd


def test_firmware_option_replaces_the_default_of_either_kind(fake_host):
    other = fake_host / "my-fw.bin"
    other.write_bytes(b"fw")
    uefi = command("uefi", fake_host, "bootx64.efi", firmware=other)
    assert uefi[uefi.index("-bios") + 1] == str(other)
    bios = command("bios", fake_host, "pxelinux.0", firmware=other)
    assert bios[bios.index("-bios") + 1] == str(other)


def test_unknown_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="bios, uefi or ipxe"):
        modes.machine("arm", tmp_path, "x", 1024)


def test_serve_http_serves_a_folder_made_after_it_started(tmp_path):
    folder = tmp_path / "later"
    with modes.serve_http(folder) as port:
        folder.mkdir()
        (folder / "boot.ipxe").write_text("#!ipxe\n")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/boot.ipxe", timeout=10) as response:
            assert response.read() == b"#!ipxe\n"


def test_serve_http_follows_the_overlays_links(tmp_path):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree/vmlinuz0").write_bytes(b"kernel")
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay/vmlinuz0").symlink_to(tmp_path / "tree/vmlinuz0")
    with modes.serve_http(tmp_path / "overlay") as port:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/vmlinuz0", timeout=10) as response:
            assert response.read() == b"kernel"



@pytest.mark.parametrize("base, can", [
    ("http://10.0.2.2:8080/", True), ("http://10.0.2.2/tftpboot/", True), ("http://10.0.2.100/", False),
    ("http://192.0.2.5/", False), ("http://boot.example.org/", False),
])
def test_the_harness_stands_in_only_for_the_guests_host_address(base, can):
    assert (modes.unreachable(base) == "") is can

def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


def test_the_tree_is_served_at_the_base_urls_path_and_nothing_outside_it(tmp_path):
    (tmp_path / "live").mkdir()
    (tmp_path / "live/vmlinuz0").write_bytes(b"kernel")
    with modes.serve_http(tmp_path, 0, "/tftpboot/") as port:
        assert _get(f"http://127.0.0.1:{port}/tftpboot/live/vmlinuz0") == (200, b"kernel")
        assert _get(f"http://127.0.0.1:{port}/live/vmlinuz0")[0] == 404
        assert _get(f"http://127.0.0.1:{port}/tftpbootx/live/vmlinuz0")[0] == 404
    with pytest.raises(ValueError):
        with modes.serve_base("http://192.0.2.5/", tmp_path):
            pass
