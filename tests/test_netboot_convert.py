"""What convert writes for UEFI, iPXE, DHCP and HTTP-root clients, and the size/RAM note."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from isofactory import make_iso

from livepxe.convert import ConvertOptions, convert
from livepxe.tree.verify import verify


def _convert(iso: Path, out: Path, **kw):
    return convert(ConvertOptions(iso=iso, output=out, progress=False, **kw))


def test_tree_carries_grub_ipxe_dhcp_and_a_json_note(tiny_iso, tmp_path):
    result = _convert(tiny_iso, tmp_path / "t")
    tree = result.root
    note = json.loads((tree / "livepxe.json").read_text())
    assert note["mode"] == "bundled-append" and note["iso"] == tiny_iso.name
    # bundled: the initrd and the ISO unpacked from it at once; HTTP: one copy of the ISO fewer
    ram = note["client_ram_mib"]
    assert ram["bundled"] * 2**20 >= note["initrd_bytes"] + tiny_iso.stat().st_size
    assert ram["http"] <= ram["bundled"]
    assert note["boot_files"]["ipxe"] == "boot.ipxe"
    assert note["configs"]["grub"] in ("grub/grub.cfg", "grub.cfg")
    grub = (tree / note["configs"]["grub"]).read_text()
    assert "linux /vmlinuz0 root=live:/Fedora-Tiny-Live.iso " in grub and "initrd /initrd0.img\n" in grub
    assert "kernel vmlinuz0 initrd=initrd0.img root=live:/Fedora-Tiny-Live.iso" in (tree / "boot.ipxe").read_text()
    assert f"tftp-root={tree}" in (tree / "dhcp" / "dnsmasq.conf").read_text()
    assert {str(p.relative_to(tree)) for p in result.configs} >= {"pxelinux.cfg/default", "boot.ipxe",
                                                                  note["configs"]["grub"]}
    sums = (tree / "SHA256SUMS").read_text()
    assert "livepxe.json" in sums and "boot.ipxe" in sums  # the note is checksummed, but not mixed into the sums
    subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=tree, check=True)
    if note["boot_files"]["uefi"]:
        assert (tree / note["boot_files"]["uefi"]).read_bytes()[:2] == b"MZ"


def test_no_efi_loaders_is_a_warning_not_a_failure(tiny_iso, tmp_path, monkeypatch):
    monkeypatch.setenv("LIVEPXE_EFI_ROOT", str(tmp_path / "empty"))
    result = _convert(tiny_iso, tmp_path / "t")
    assert [w for w in result.warnings if "no UEFI network loaders" in w]
    note = json.loads((result.root / "livepxe.json").read_text())
    assert note["boot_files"]["uefi"] is None and note["warnings"] == result.warnings
    assert (result.root / "grub" / "grub.cfg").is_file()
    assert "bootx64.efi" not in (result.root / "dhcp" / "dnsmasq.conf").read_text()


def test_a_fedora_signed_chain_is_copied_with_the_config_beside_grub(tiny_iso, tmp_path, monkeypatch):
    fake = tmp_path / "host"
    (fake / "boot/efi/EFI/fedora").mkdir(parents=True)
    (fake / "boot/efi/EFI/fedora/shimx64.efi").write_bytes(b"MZ shim")
    (fake / "boot/efi/EFI/fedora/grubx64.efi").write_bytes(b"MZ grub")
    monkeypatch.setenv("LIVEPXE_EFI_ROOT", str(fake))
    tree = _convert(tiny_iso, tmp_path / "t").root
    assert (tree / "bootx64.efi").read_bytes() == b"MZ shim" and (tree / "grubx64.efi").read_bytes() == b"MZ grub"
    assert "linux /vmlinuz0 " in (tree / "grub.cfg").read_text()
    assert json.loads((tree / "livepxe.json").read_text())["uefi_signed"] is True


def test_without_signed_files_an_unsigned_grub_is_built(tiny_iso, tmp_path, unsigned_grub_host):
    tree = _convert(tiny_iso, tmp_path / "t").root
    image = (tree / "grubnetx64.efi").read_bytes()
    assert image[:2] == b"MZ" and b"efinet" in image
    assert json.loads((tree / "livepxe.json").read_text())["boot_files"]["uefi"] == "grubnetx64.efi"
    assert "dhcp-boot=tag:efi-x86_64,tag:!ipxe,grubnetx64.efi" in (tree / "dhcp" / "dnsmasq.conf").read_text()


def test_http_mode_keeps_the_initrd_small_and_carries_the_iso_to_serve(tiny_iso, tmp_path):
    result = _convert(tiny_iso, tmp_path / "t", http_url="http://192.0.2.1/live")
    tree = result.root
    original = subprocess.run(["xorriso", "-osirrox", "on", "-indev", str(tiny_iso), "-extract",
                               "/images/pxeboot/initrd0.img", str(tmp_path / "orig")], capture_output=True)
    assert original.returncode == 0
    assert (tree / "initrd0.img").read_bytes() == (tmp_path / "orig").read_bytes()  # the dracut image, untouched
    assert filecmp.cmp(tree / tiny_iso.name, tiny_iso, shallow=False)
    url = f"root=live:http://192.0.2.1/live/{tiny_iso.name}"
    for config in ("pxelinux.cfg/default", "grub/grub.cfg", "boot.ipxe"):
        text = (tree / config).read_text()
        assert url in text and "ip=dhcp rd.neednet=1" in text and "root=live:/" not in text
    assert json.loads((tree / "livepxe.json").read_text())["mode"] == "http"
    assert result.initrd_bytes < 100_000
    report = verify(tree)
    assert report.ok and any("the client downloads http://192.0.2.1/live/" in c for c in report.checked)


def test_http_mode_with_a_full_iso_url_carries_no_iso(tiny_iso, tmp_path):
    tree = _convert(tiny_iso, tmp_path / "t", http_url="http://192.0.2.1/images/F.iso").root
    assert not list(tree.glob("*.iso"))
    assert "root=live:http://192.0.2.1/images/F.iso " in (tree / "pxelinux.cfg" / "default").read_text()


def test_a_bundled_initrd_over_32_mib_warns_and_suggests_http(tmp_path):
    iso = make_iso(tmp_path / "Big.iso", squashfs_size=33 * 1024 * 1024)
    result = _convert(iso, tmp_path / "t")
    warning = [w for w in result.warnings if "RFC 2348" in w]
    assert warning and "--http-url" in warning[0]
    small = _convert(iso, tmp_path / "h", http_url="http://192.0.2.1/")
    assert not [w for w in small.warnings if "RFC 2348" in w]


@pytest.mark.skipif(shutil.which("dnsmasq") is None, reason="needs dnsmasq (apt-get install dnsmasq-base)")
def test_written_dnsmasq_snippet_passes_dnsmasqs_check(tiny_iso, tmp_path):
    tree = _convert(tiny_iso, tmp_path / "t").root
    subprocess.run(["dnsmasq", "--test", f"--conf-file={tree / 'dhcp' / 'dnsmasq.conf'}"], check=True,
                   capture_output=True)
