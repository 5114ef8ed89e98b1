"""End-to-end conversions of tiny ISOs, checked with independent tools (xorriso, bsdtar, sha256sum)."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
from pathlib import Path

import pycdlib
import pytest
from isofactory import make_iso

from livepxe.convert import ConvertOptions, convert
from livepxe.errors import LivepxeError

pytestmark = pytest.mark.skipif(shutil.which("bsdtar") is None,
                                reason="needs bsdtar (apt-get install libarchive-tools)")


def iso_member(iso: Path, path: str, dest: Path) -> Path:
    """Extract one file with xorriso, a reader independent of the engine's pycdlib."""
    subprocess.run(["xorriso", "-osirrox", "on", "-indev", str(iso), "-extract", path, str(dest)],
                   check=True, capture_output=True)
    return dest


def unpack_cpio(data_file: Path, offset: int, dest: Path) -> list[str]:
    """Unpack the archive that starts at ``offset`` of ``data_file`` with bsdtar; return member names."""
    dest.mkdir()
    with open(data_file, "rb") as stream:
        stream.seek(offset)
        subprocess.run(["bsdtar", "-xf", "-", "-C", str(dest)], stdin=stream, check=True)
    return sorted(os.listdir(dest))


def test_append_mode_carries_the_iso_byte_for_byte(tiny_iso, tmp_path):
    result = convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "tftpboot", progress=False))
    tree = tmp_path / "tftpboot"
    original = iso_member(tiny_iso, "/images/pxeboot/initrd0.img", tmp_path / "orig-initrd")
    initrd = (tree / "initrd0.img").read_bytes()
    size = original.stat().st_size
    assert size % 4 and initrd.startswith(original.read_bytes())
    assert initrd[size:size + (-size % 4)] == b"\0" * (-size % 4)  # padded to a 4-byte boundary
    assert unpack_cpio(tree / "initrd0.img", size + (-size % 4), tmp_path / "x") == ["Fedora-Tiny-Live.iso"]
    assert filecmp.cmp(tmp_path / "x" / "Fedora-Tiny-Live.iso", tiny_iso, shallow=False)
    kernel = iso_member(tiny_iso, "/images/pxeboot/vmlinuz0", tmp_path / "k")
    assert filecmp.cmp(kernel, tree / "vmlinuz0", shallow=False)
    assert result.entries[0].cmdline == ("root=live:/Fedora-Tiny-Live.iso rootfstype=auto ro rd.live.image "
                                         "quiet rhgb rd.luks=0")
    config = (tree / "pxelinux.cfg" / "default").read_text()
    assert "KERNEL vmlinuz0\n" in config and "APPEND initrd=initrd0.img root=live:/Fedora-Tiny-Live.iso" in config
    subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=tree, check=True)
    assert sorted(p.name for p in tree.iterdir()) == sorted(
        ["vmlinuz0", "initrd0.img", "pxelinux.cfg", "SHA256SUMS", "grub", "boot.ipxe", "dhcp", "livepxe.json"]
        + [n for n in ("pxelinux.0", "ldlinux.c32", "bootx64.efi", "grubx64.efi", "grubnetx64.efi")
           if (tree / n).exists()])
    # a client holds the loaded initrd and the ISO unpacked from it at once: the summary must ask for both
    assert result.ram_mib * 2**20 >= (tree / "initrd0.img").stat().st_size + tiny_iso.stat().st_size


def test_separate_mode_keeps_the_dracut_initrd_untouched(tiny_iso, tmp_path):
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", initrd_mode="separate", progress=False))
    original = iso_member(tiny_iso, "/images/pxeboot/initrd0.img", tmp_path / "orig")
    assert filecmp.cmp(original, tmp_path / "t" / "initrd0.img", shallow=False)
    assert unpack_cpio(tmp_path / "t" / "iso0.img", 0, tmp_path / "x") == ["Fedora-Tiny-Live.iso"]
    assert filecmp.cmp(tmp_path / "x" / "Fedora-Tiny-Live.iso", tiny_iso, shallow=False)
    assert "APPEND initrd=initrd0.img,iso0.img " in (tmp_path / "t" / "pxelinux.cfg" / "default").read_text()


def test_integration_mode_touches_nothing_else(tiny_iso, tmp_path):
    root = tmp_path / "tftpboot" / "ks"
    (root / "pxelinux.cfg").mkdir(parents=True)
    (root / "pxelinux.cfg" / "default").write_text("existing\n")
    (root / "pxelinux.0").write_bytes(b"existing loader")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    convert(ConvertOptions(iso=tiny_iso, tftproot=root, imagedir="live/devel/minimal",
                           bootfile="live.devel-minimal", progress=False))
    assert all(p.read_bytes() == data for p, data in before.items())
    written = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p not in before)
    # the root's own pxelinux.cfg/default is kept; the GRUB and iPXE catalogue menus were free, so they are written
    assert written == ["grub/grub.cfg", "grub/live.devel-minimal.cfg", "live/devel/minimal/SHA256SUMS",
                       "live/devel/minimal/boot.ipxe",
                       "live/devel/minimal/dhcp/dhcpd-toplevel.conf", "live/devel/minimal/dhcp/dhcpd.conf",
                       "live/devel/minimal/dhcp/dnsmasq.conf", "live/devel/minimal/dhcp/kea-dhcp4.conf",
                       "live/devel/minimal/initrd0.img", "live/devel/minimal/livepxe.json",
                       "live/devel/minimal/vmlinuz0", "menu.ipxe", "pxelinux.cfg/live.devel-minimal"]
    config = (root / "pxelinux.cfg" / "live.devel-minimal").read_text()
    assert "KERNEL /live/devel/minimal/vmlinuz0" in config
    assert "initrd=/live/devel/minimal/initrd0.img " in config
    subprocess.run(["sha256sum", "--quiet", "-c", "live/devel/minimal/SHA256SUMS"], cwd=root, check=True)
    assert not [p for p in root.iterdir() if p.name.startswith(".livepxe-")]


def test_integration_refuses_to_overwrite_unless_forced(tiny_iso, tmp_path):
    root = tmp_path / "root"
    options = ConvertOptions(iso=tiny_iso, tftproot=root, imagedir="live", bootfile="live", progress=False)
    root.mkdir()
    convert(options)
    (root / "pxelinux.cfg" / "live").write_text("edited\n")
    with pytest.raises(LivepxeError, match="already exists; pass --force"):
        convert(options)
    assert (root / "pxelinux.cfg" / "live").read_text() == "edited\n"
    options.force = True
    convert(options)
    assert "KERNEL /live/vmlinuz0" in (root / "pxelinux.cfg" / "live").read_text()


def test_force_never_replaces_a_file_livepxe_did_not_write(tiny_iso, tmp_path):
    root = tmp_path / "root"
    (root / "pxelinux.cfg").mkdir(parents=True)
    (root / "pxelinux.cfg" / "live").write_text("mine\n")
    options = ConvertOptions(iso=tiny_iso, tftproot=root, imagedir="live", bootfile="live", progress=False, force=True)
    with pytest.raises(LivepxeError, match="already exists and .* holds no image livepxe wrote; remove it yourself"):
        convert(options)
    assert (root / "pxelinux.cfg" / "live").read_text() == "mine\n" and not (root / "live").exists()


@pytest.mark.parametrize("layout", ["old", "plain"])
def test_older_isolinux_layouts(tmp_path, layout):
    iso = make_iso(tmp_path / "old.iso", layout=layout, configs=("isolinux",))
    result = convert(ConvertOptions(iso=iso, output=tmp_path / "t", progress=False))
    assert (tmp_path / "t" / "vmlinuz0").is_file() and (tmp_path / "t" / "initrd0.img").is_file()
    assert "rd.luks=0" in result.entries[0].cmdline and "rd.live.check" not in result.entries[0].cmdline


def test_grub_only_iso_with_two_kernels(tmp_path):
    iso = make_iso(tmp_path / "two.iso", kernels=2, configs=("grub",))
    result = convert(ConvertOptions(iso=iso, output=tmp_path / "t", progress=False, append="console=ttyS0"))
    assert [e.kernel for e in result.entries] == ["vmlinuz0", "vmlinuz1"]
    assert all(e.cmdline.endswith("quiet rhgb console=ttyS0") for e in result.entries)
    text = (tmp_path / "t" / "pxelinux.cfg" / "default").read_text()
    assert "KERNEL vmlinuz1" in text and "initrd=initrd1.img" in text


def test_liveos_payload_is_a_valid_iso_with_the_same_liveos_bytes(tiny_iso, tmp_path):
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", initrd_mode="separate", payload="liveos",
                           progress=False))
    unpack_cpio(tmp_path / "t" / "iso0.img", 0, tmp_path / "x")
    stripped = tmp_path / "x" / "Fedora-Tiny-Live.iso"
    listing = subprocess.run(["xorriso", "-indev", str(stripped), "-find", "/", "-type", "f"],
                             capture_output=True, text=True, check=True).stdout.split()
    assert listing == ["'/LiveOS/squashfs.img'"]
    assert filecmp.cmp(iso_member(stripped, "/LiveOS/squashfs.img", tmp_path / "a"),
                       iso_member(tiny_iso, "/LiveOS/squashfs.img", tmp_path / "b"), shallow=False)
    assert stripped.stat().st_size < tiny_iso.stat().st_size


@pytest.mark.parametrize("method", ["gzip", "xz", "zstd"])
def test_compressed_payload_decompresses_to_the_iso(tiny_iso, tmp_path, method):
    if shutil.which(method) is None:
        pytest.skip(f"{method} is not installed")
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", initrd_mode="separate", compress=method,
                           progress=False))
    unpack_cpio(tmp_path / "t" / "iso0.img", 0, tmp_path / "x")  # bsdtar detects the compression
    assert filecmp.cmp(tmp_path / "x" / "Fedora-Tiny-Live.iso", tiny_iso, shallow=False)


def test_files_are_world_readable_whatever_the_umask(tiny_iso, tmp_path):
    old = os.umask(0o077)
    try:
        convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", progress=False))
    finally:
        os.umask(old)
    for path in (tmp_path / "t").rglob("*"):
        assert path.stat().st_mode & 0o005 == (0o005 if path.is_dir() else 0o004), path


def test_force_replaces_an_existing_tree(tiny_iso, tmp_path):
    out = tmp_path / "t"
    convert(ConvertOptions(iso=tiny_iso, output=out, progress=False))
    (out / "stale").write_text("x")
    convert(ConvertOptions(iso=tiny_iso, output=out, force=True, progress=False))
    assert not (out / "stale").exists() and (out / "initrd0.img").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_failure_midway_leaves_nothing_behind(tiny_iso, tmp_path, monkeypatch):
    import livepxe.write.execute as engine

    real_write = engine.write_file

    def broken(path, *args, **kwargs):
        if path.name == "initrd0.img":  # the configs and loaders are staged by now
            raise OSError(28, "No space left on device")
        return real_write(path, *args, **kwargs)

    monkeypatch.setattr(engine, "write_file", broken)
    with pytest.raises(OSError):
        convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", progress=False))
    assert sorted(p.name for p in tmp_path.iterdir()) == [tiny_iso.name]


def test_pycdlib_reads_the_iso_the_engine_wrote_nothing_into(tiny_iso, tmp_path):
    """The input ISO is only read: same bytes and still a valid ISO afterwards."""
    before = tiny_iso.read_bytes()
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", progress=False))
    assert tiny_iso.read_bytes() == before
    iso = pycdlib.PyCdlib()
    iso.open(str(tiny_iso))
    iso.close()


def test_no_checksums_writes_no_manifest(tiny_iso, tmp_path):
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", checksums=False, progress=False))
    assert (tmp_path / "t" / "initrd0.img").is_file() and not (tmp_path / "t" / "SHA256SUMS").exists()


@pytest.mark.parametrize("name_trees", [("-J", "--norock"), ("--norock",)], ids=["joliet-only", "plain-iso9660"])
def test_isos_without_rock_ridge_names(tmp_path, name_trees):
    iso = make_iso(tmp_path / "n.iso", name_trees=name_trees)
    result = convert(ConvertOptions(iso=iso, output=tmp_path / "t", progress=False))
    assert "root=live:/n.iso" in result.entries[0].cmdline and "rd.luks=0" in result.entries[0].cmdline
    original = iso_member(iso, "/images/pxeboot/initrd0.img" if "-J" in name_trees else "/IMAGES/PXEBOOT/INITRD0.IMG",
                          tmp_path / "orig")
    assert (tmp_path / "t" / "initrd0.img").read_bytes().startswith(original.read_bytes())
