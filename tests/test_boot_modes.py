"""The boot-mode plumbing that needs no guest: QEMU machines per firmware, the serial overlay, HTTP serving."""

from __future__ import annotations

import urllib.request

import pytest

from livepxe.boottest import modes as boot_modes
from livepxe.boottest.machine import qemu_command
from livepxe.convert import ConvertOptions, convert


def test_uefi_boots_by_ovmfs_own_pxe_and_bios_by_ipxe(tmp_path, monkeypatch):
    try:
        boot_modes.ovmf_firmware()
    except Exception:  # noqa: BLE001
        pytest.skip("needs OVMF (apt-get install ovmf)")
    monkeypatch.setattr("livepxe.boottest.host.qemu_binary", lambda: "qemu-system-x86_64")
    uefi = qemu_command(boot_modes.machine(tmp_path, "bootx64.efi", "uefi", 1024), "tcg", tmp_path / "log")
    assert "-bios" in uefi and "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,romfile=" in uefi
    try:
        bios = qemu_command(boot_modes.machine(tmp_path, "pxelinux.0", "bios", 1024), "tcg", tmp_path / "log")
    except Exception:  # noqa: BLE001
        pytest.skip("needs the iPXE ROMs (apt-get install ipxe-qemu)")
    assert "-bios" not in bios and any(a.endswith(".rom") and "romfile=" in a for a in bios)


def test_serial_overlay_adds_a_console_to_every_config_and_links_the_rest(tiny_iso, tmp_path):
    tree = convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", progress=False)).root
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    overlay = boot_modes.serial_overlay(tree, tmp_path / "o")
    for config, line in (("pxelinux.cfg/default", "APPEND "), ("grub/grub.cfg", "linux "), ("boot.ipxe", "kernel ")):
        kernel_lines = [x for x in (overlay / config).read_text().splitlines() if x.strip().startswith(line)]
        assert kernel_lines and all(x.endswith("console=ttyS0,115200 systemd.show_status=1") for x in kernel_lines)
        assert not (overlay / config).is_symlink()
    assert (overlay / "initrd0.img").is_symlink() and (overlay / "initrd0.img").resolve() == tree / "initrd0.img"
    assert all(p.read_bytes() == data for p, data in before.items())  # the tree is untouched


def test_serve_http_serves_a_folder_made_after_it_started(tmp_path):
    folder = tmp_path / "later"
    with boot_modes.serve_http(folder) as port:
        folder.mkdir()
        (folder / "boot.ipxe").write_text("#!ipxe\n")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/boot.ipxe", timeout=10) as response:
            assert response.read() == b"#!ipxe\n"


def test_boot_mode_names_a_missing_boot_file(tmp_path):
    with pytest.raises(Exception, match="has no uefi boot file"):
        boot_modes.boot_mode(tmp_path, "uefi", tmp_path / "log", None, boot_files={"uefi": None})
