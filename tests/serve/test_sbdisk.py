"""The Secure Boot disk image for UEFI HTTP Boot: its GRUB config, its FAT file system, its DHCP route."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from livepxe.errors import LivepxeError
from livepxe.serve import dnsmasq, plan, sbdisk
from tests.bootconf.tools import dnsmasq_test, grub_script_check

SERVER = "198.18.0.2"


def test_the_disks_config_takes_an_address_then_reads_the_trees_config_from_this_server(tmp_path):
    text = sbdisk.config(SERVER, "grub/grub.cfg")
    checked = grub_script_check(text, tmp_path)
    assert checked.returncode == 0, checked.stderr
    lines = text.splitlines()
    assert lines[0] == "net_dhcp"
    assert lines[-1] == f"configfile (tftp,{SERVER})/grub/grub.cfg"
    assert f"set root=(tftp,{SERVER})" in lines


def _fake_chain(tmp_path: Path) -> tuple[Path, Path]:
    shim, grub = tmp_path / "bootx64.efi", tmp_path / "grubx64.efi"
    shim.write_bytes(b"MZ shim " + os.urandom(300_000))
    grub.write_bytes(b"MZ grub " + os.urandom(900_000))
    return shim, grub


def _read_back(image: Path, tmp_path: Path) -> dict[str, bytes]:
    """The image's files, read by the kernel's vfat driver where it can mount one, else by mtools."""
    names = (sbdisk.SHIM, sbdisk.GRUB, sbdisk.CONFIG)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() == 0 and subprocess.run(["mount", "-o", "loop,ro", "-t", "vfat", str(image), str(mnt)],
                                            capture_output=True).returncode == 0:
        try:
            return {name: (mnt / name).read_bytes() for name in names}
        finally:
            subprocess.run(["umount", str(mnt)], check=True)
    out = {}
    for name in names:
        target = tmp_path / Path(name).name
        subprocess.run(["mcopy", "-n", "-i", str(image), f"::/{name}", str(target)], check=True,
                       env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})
        out[name] = target.read_bytes()
    return out


@pytest.mark.skipif(bool(sbdisk.missing_tools()), reason="needs dosfstools and mtools")
def test_the_image_is_a_clean_fat_file_system_holding_the_chain_at_the_removable_media_path(tmp_path):
    shim, grub = _fake_chain(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    image = sbdisk.build(out, shim, grub, SERVER, "grub/grub.cfg")
    assert image == out / sbdisk.IMAGE and image.stat().st_mode & 0o004
    fsck = shutil.which("fsck.fat") or "/usr/sbin/fsck.fat"
    checked = subprocess.run([fsck, "-n", str(image)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    files = _read_back(image, tmp_path)
    assert files[sbdisk.SHIM] == shim.read_bytes() and files[sbdisk.GRUB] == grub.read_bytes()
    assert files[sbdisk.CONFIG].decode() == sbdisk.config(SERVER, "grub/grub.cfg")
    assert image.stat().st_size < shim.stat().st_size + grub.stat().st_size + (4 << 20)


def test_missing_tools_are_named_with_their_packages(tmp_path, monkeypatch):
    monkeypatch.setattr(sbdisk.run, "which", lambda tool: None)
    shim, grub = _fake_chain(tmp_path)
    with pytest.raises(LivepxeError, match="dosfstools and mtools.*--uefi early"):
        sbdisk.build(tmp_path, shim, grub, SERVER, "grub/grub.cfg")
    assert not (tmp_path / sbdisk.IMAGE).exists()


def test_the_proxy_offers_the_disk_to_http_boot_clients_and_dnsmasq_accepts_it(tmp_path):
    served = plan.Plan(root=tmp_path, interface="eth0", address=ipaddress.IPv4Interface(f"{SERVER}/24"),
                       http_port=80, dhcp_range=None, bios="pxelinux.0", uefi="livepxe-grubx64.efi", ipxe=None,
                       grub_config="grub/grub.cfg", label="live")
    without = dnsmasq.render(served, tmp_path)
    with_disk = dnsmasq.render(dataclasses.replace(served, uefi_http=sbdisk.IMAGE), tmp_path)
    assert "HTTPClient" not in without
    assert f"dhcp-boot=tag:efi-http,http://{SERVER}/{sbdisk.IMAGE}" in with_disk
    assert "dhcp-pxe-vendor=PXEClient,HTTPClient" in with_disk
    checked = dnsmasq_test(with_disk, tmp_path)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.skipif(bool(sbdisk.missing_tools()), reason="needs dosfstools and mtools")
@pytest.mark.parametrize("signed", [True, False])
def test_serve_offers_the_disk_only_for_a_tree_with_a_signed_chain(tiny_iso, tmp_path, unsigned_grub_host, signed):
    from livepxe.host import efi
    from livepxe.serve import loaders
    from livepxe.tree import note
    from tests.boottest.trees import self_contained
    if signed:  # stand-ins for Debian's signed files: what serve copies, not what boots
        for chain_file in (efi.SIGNED_CHAINS[0].shim, efi.SIGNED_CHAINS[0].grub):
            (unsigned_grub_host / chain_file.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            (unsigned_grub_host / chain_file.lstrip("/")).write_bytes(b"MZ signed " + chain_file.encode())
    tree = self_contained(tiny_iso, tmp_path / "tree")
    for folder in (tmp_path, *tmp_path.parents):
        folder.chmod(folder.stat().st_mode | 0o001)
    tree_note = note.read(tree)
    assert tree_note is not None and tree_note.uefi_signed is signed
    served = plan.make(tree, tree_note, "eth0", ipaddress.IPv4Interface(f"{SERVER}/24"), 80)
    served = loaders.choose(served, tree_note, "auto", tftp_only=True)
    tftp_root = loaders.build(served, tmp_path / "work")
    assert served.uefi == "livepxe-grubx64.efi"
    if signed:
        assert served.uefi_http_url == f"http://{SERVER}/{sbdisk.IMAGE}"
        assert (tftp_root / sbdisk.IMAGE).is_file() and not (tree / sbdisk.IMAGE).exists()
        assert served.grub_config is not None
        assert (tftp_root / sbdisk.IMAGE).read_bytes().count(sbdisk.config(SERVER, served.grub_config).encode()) == 1
    else:
        assert served.uefi_http is None and not (tftp_root / sbdisk.IMAGE).exists()
