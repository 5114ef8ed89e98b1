"""Real conversions on fake host roots: the tree carries that host's signed chain byte for byte, GRUB's config
where that GRUB reads it; an unreadable chain (Fedora/EL's root-only /boot/efi) is one warning, not a failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pycdlib
import pytest
from isofactory import make_iso

import livepxe
from livepxe.convert import ConvertOptions, convert
from livepxe.tree.layout import GRUB_BESIDE_CONFIG, GRUB_PREFIX_CONFIG
from livepxe.tree.verify import verify
from tests.host.fakehost import SIGNED, fake_host

GRUB_MODULES = Path("/usr/lib/grub/x86_64-efi")


@pytest.mark.parametrize("distro,config", [("redhat", GRUB_BESIDE_CONFIG), ("centos", GRUB_BESIDE_CONFIG),
                                           ("almalinux", GRUB_BESIDE_CONFIG), ("rocky", GRUB_BESIDE_CONFIG),
                                           ("fedora", GRUB_BESIDE_CONFIG), ("debian", GRUB_PREFIX_CONFIG)])
def test_the_tree_carries_the_host_s_shim_and_signed_grub(distro, config, tiny_iso, tmp_path, monkeypatch):
    host = tmp_path / "host"
    shim, grub = fake_host(host, distro)
    monkeypatch.setenv("LIVEPXE_EFI_ROOT", str(host))
    monkeypatch.delenv("LIVEPXE_EFI_DIR", raising=False)
    result = convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "tree", progress=False))
    tree = result.root
    assert (tree / "bootx64.efi").read_bytes() == shim
    assert (tree / "grubx64.efi").read_bytes() == grub
    assert not (tree / "grubnetx64.efi").exists()
    note = json.loads((tree / "livepxe.json").read_text())
    assert note["uefi_signed"] is True and note["boot_files"]["uefi"] == "bootx64.efi"
    assert note["configs"]["grub"] == config
    assert "linux /vmlinuz0 " in (tree / config).read_text()
    other = ({GRUB_BESIDE_CONFIG, GRUB_PREFIX_CONFIG} - {config}).pop()
    assert not (tree / other).exists()
    assert "tag:efi-x86_64,tag:!ipxe,bootx64.efi" in (tree / "dhcp" / "dnsmasq.conf").read_text()
    assert verify(tree).ok, verify(tree).problems


def test_a_copied_chain_in_livepxe_efi_dir_is_taken(tiny_iso, tmp_path, monkeypatch):
    folder = tmp_path / "copied"
    folder.mkdir()
    (folder / "shimx64.efi").write_bytes(b"MZ copied shim")
    (folder / "grubx64.efi").write_bytes(b"MZ copied grub")
    monkeypatch.setenv("LIVEPXE_EFI_ROOT", str(tmp_path / "empty"))
    monkeypatch.setenv("LIVEPXE_EFI_DIR", str(folder))
    tree = convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "tree", progress=False)).root
    assert (tree / "bootx64.efi").read_bytes() == b"MZ copied shim"
    assert (tree / "grubx64.efi").read_bytes() == b"MZ copied grub" and (tree / GRUB_BESIDE_CONFIG).is_file()


def test_an_empty_livepxe_efi_dir_is_refused_in_one_line(tiny_iso, tmp_path, monkeypatch):
    from livepxe.errors import LivepxeError
    monkeypatch.setenv("LIVEPXE_EFI_DIR", str(tmp_path))
    with pytest.raises(LivepxeError, match="LIVEPXE_EFI_DIR=.*shimx64.efi.*missing or unreadable"):
        convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "tree", progress=False))
    assert not (tmp_path / "tree").exists()


# --- as user nobody, with Fedora's /boot/efi readable by root only ---------------------------------------

@pytest.fixture
def sandbox():
    """A world-readable folder with livepxe + pycdlib importable by user nobody (65534) and a work folder."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root (to switch to user nobody (65534)) and setpriv")
    if not (GRUB_MODULES / "linux.mod").is_file() or shutil.which("grub-mkimage") is None:
        pytest.skip("needs grub-mkimage and GRUB's x86_64-efi modules (grub-efi-amd64-bin)")
    base = Path(tempfile.mkdtemp(prefix="livepxe-host-"))
    os.chmod(base, 0o755)
    lib = base / "lib"
    for package in (livepxe, pycdlib):
        shutil.copytree(Path(package.__file__).parent, lib / package.__name__,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for path in [lib, *lib.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    work = base / "work"
    work.mkdir()
    os.chown(work, 65534, 65534)
    yield base
    shutil.rmtree(base)


def _as_nobody(base: Path, *args: str) -> subprocess.CompletedProcess:
    env = [f"PYTHONPATH={base / 'lib'}", f"LIVEPXE_EFI_ROOT={base / 'host'}", "PATH=/usr/bin:/bin"]
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env", "-i",
                           *env, "/usr/bin/python3", "-m", "livepxe", "convert", *args],
                          cwd=base / "work", capture_output=True, text=True)


@pytest.mark.parametrize("locked", ["files", "esp"])
def test_an_unreadable_signed_chain_is_one_warning_and_the_tree_gets_unsigned_grub(sandbox, locked):
    host = sandbox / "host"
    fake_host(host, "fedora")
    (host / "usr/lib/grub").mkdir(parents=True)
    (host / "usr/lib/grub/x86_64-efi").symlink_to(GRUB_MODULES)
    for folder in [host, *host.rglob("*")]:
        if folder.is_dir() and not folder.is_symlink():
            folder.chmod(0o755)
    if locked == "files":  # 0600 root files in readable folders
        for relpath in SIGNED["fedora"]:
            (host / relpath).chmod(0o600)
    else:  # /boot/efi as Fedora/EL mount it: vfat with umask 0077
        (host / "boot/efi").chmod(0o700)
    iso = make_iso(sandbox / "Live.iso")
    os.chmod(iso, 0o644)
    proc = _as_nobody(sandbox, str(iso), "-o", "tree")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "permission denied" in line]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("livepxe: warning: ") and "EFI/fedora" in lines[0]
    assert "no Secure Boot chain" in lines[0] and "run as root" in lines[0] and "LIVEPXE_EFI_DIR" in lines[0]
    tree = sandbox / "work" / "tree"
    note = json.loads((tree / "livepxe.json").read_text())
    assert note["boot_files"]["uefi"] == "grubnetx64.efi" and note["uefi_signed"] is False
    assert (tree / "grubnetx64.efi").read_bytes()[:2] == b"MZ" and not (tree / "bootx64.efi").exists()
