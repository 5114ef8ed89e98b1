"""The host table: each distribution's signed chain is found where its packages put it, with the right config."""

from __future__ import annotations

import pytest

from livepxe.host import efi, loaders, table
from livepxe.tree.layout import GRUB_BESIDE_CONFIG, GRUB_PREFIX_CONFIG
from tests.host.fakehost import SIGNED, fake_host

EXPECTED = {  # distro: (kind starts with, config, proxy-aware, tree name of GRUB)
    "debian": ("Debian", GRUB_PREFIX_CONFIG, False, "grubx64.efi"),
    "ubuntu": ("Ubuntu", GRUB_PREFIX_CONFIG, False, "grubx64.efi"),
    "fedora": ("Fedora", GRUB_BESIDE_CONFIG, True, "grubx64.efi"),
    "redhat": ("RHEL/Oracle Linux", GRUB_BESIDE_CONFIG, True, "grubx64.efi"),
    "centos": ("CentOS Stream", GRUB_BESIDE_CONFIG, True, "grubx64.efi"),
    "almalinux": ("AlmaLinux", GRUB_BESIDE_CONFIG, True, "grubx64.efi"),
    "rocky": ("Rocky Linux", GRUB_BESIDE_CONFIG, True, "grubx64.efi"),
    "opensuse": ("openSUSE", GRUB_BESIDE_CONFIG, False, "grub.efi"),
}


@pytest.mark.parametrize("distro", sorted(SIGNED))
def test_each_distribution_s_signed_chain_is_found(distro, tmp_path, monkeypatch):
    shim, grub = fake_host(tmp_path, distro)
    monkeypatch.setenv("LIVEPXE_EFI_ROOT", str(tmp_path))
    monkeypatch.delenv("LIVEPXE_EFI_DIR", raising=False)
    found = efi.find_signed()
    kind, config, proxy, grub_name = EXPECTED[distro]
    assert found is not None and found.kind.startswith(kind) and found.signed
    assert found.boot_file == "bootx64.efi" and found.config == config
    assert found.files["bootx64.efi"].read_bytes() == shim and found.files[grub_name].read_bytes() == grub
    assert (found.kind in table.PROXY_AWARE) is proxy


def test_every_family_names_every_kind_of_host_file():
    names = {f.name for f in table.FAMILIES}
    assert {"Debian", "Ubuntu", "Fedora", "RHEL and Oracle Linux", "CentOS Stream", "AlmaLinux", "Rocky Linux",
            "openSUSE"} <= names
    for family in table.FAMILIES:
        assert family.chains and family.syslinux_dirs and family.ipxe_rom_dirs and family.ovmf
        assert family.ovmf_secboot and family.grub_module_dirs, family.name


def test_the_lookups_read_the_table():
    from livepxe.boottest import host
    assert tuple(str(p) for p in host.ROM_DIRS) == table.IPXE_ROM_DIRS
    assert host.OVMF_CANDIDATES == table.OVMF_FIRMWARE
    assert loaders.SYSLINUX_DIRS == table.SYSLINUX_DIRS and "/tftpboot" in loaders.SYSLINUX_DIRS
    assert efi.SIGNED_CHAINS == table.SIGNED_CHAINS and efi.GRUB_EFI_MODULE_DIRS == table.GRUB_EFI_MODULE_DIRS


def test_serve_treats_exactly_the_fedora_el_builds_as_proxy_aware():
    from livepxe.serve import loaders as cli
    el = {c.name for c in table.SIGNED_CHAINS if "grub2-efi-x64" in c.name}
    assert len(el) == 5 and el <= set(cli.PROXY_AWARE)
    assert not {c.name for c in table.SIGNED_CHAINS if "Debian" in c.name or "Ubuntu" in c.name} & set(cli.PROXY_AWARE)


def test_syslinux_files_are_found_in_a_fedora_layout(tmp_path, monkeypatch):
    for name in ("pxelinux.0", "lpxelinux.0", "ldlinux.c32", "menu.c32", "vesamenu.c32"):  # syslinux-nonlinux
        (tmp_path / name).write_bytes(name.encode())
    monkeypatch.setattr(loaders, "SYSLINUX_DIRS", (str(tmp_path),))
    found, missing = loaders.find_files(("pxelinux.0", "ldlinux.c32", "vesamenu.c32"))
    assert not missing and found["vesamenu.c32"].read_bytes() == b"vesamenu.c32"


def test_secure_boot_firmware_pairs_code_with_enrolled_vars(tmp_path, monkeypatch):
    from livepxe.boottest import host
    from livepxe.errors import LivepxeError
    code, variables = tmp_path / "OVMF_CODE.secboot.fd", tmp_path / "OVMF_VARS.secboot.fd"
    monkeypatch.setattr(host, "OVMF_SECBOOT_CANDIDATES", ((str(code), str(variables)),))
    code.write_bytes(b"code")
    with pytest.raises(LivepxeError, match="edk2-ovmf"):
        host.ovmf_secure_boot()  # code without its vars is no Secure Boot firmware
    variables.write_bytes(b"vars")
    assert host.ovmf_secure_boot() == (code, variables)
