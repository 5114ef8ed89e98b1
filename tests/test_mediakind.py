"""What kind of media an ISO is: kernel headers, initramfs modules, marker files; refusals and the override."""

from __future__ import annotations

import gzip
import os
import shutil
import struct
from pathlib import Path

import pytest
from replicas import (
    DMSQUASH_LIVE_FILES,
    KIWI_LIVE_FILES,
    REPLICAS,
    Parts,
    newc_archive,
    tiny_parts,
    write_initrd,
    write_iso,
)

from livepxe.errors import LivepxeError
from livepxe.iso import initrdprobe, mediakind
from livepxe.iso.isoreader import read_live_iso

needs_bsdtar = pytest.mark.skipif(shutil.which("bsdtar") is None, reason="needs bsdtar (libarchive-tools)")


def x86_bzimage() -> bytes:
    head = bytearray(os.urandom(4096))
    head[0:2] = b"\xeb\x3c"  # not "MZ": an x86 kernel without EFI stub
    head[0x202:0x206] = b"HdrS"
    return bytes(head)


def arm64_image() -> bytes:
    head = bytearray(os.urandom(4096))
    head[0:4] = b"\x00\x00\x00\x14"
    head[0x38:0x3C] = b"ARM\x64"
    return bytes(head)


def pe_image(machine: int) -> bytes:
    head = bytearray(os.urandom(4096))
    head[0:2] = b"MZ"
    head[0x3C:0x40] = struct.pack("<I", 0x80)
    head[0x80:0x86] = b"PE\0\0" + struct.pack("<H", machine)
    return bytes(head)


def elf_image(machine: int, big_endian: bool) -> bytes:
    head = bytearray(os.urandom(4096))
    head[0:6] = b"\x7fELF\x02" + (b"\x02" if big_endian else b"\x01")
    head[18:20] = machine.to_bytes(2, "big" if big_endian else "little")
    return bytes(head)


@pytest.mark.parametrize("head, arch", [
    (x86_bzimage(), "x86_64"),
    (pe_image(0x8664), "x86_64"),
    (arm64_image(), "aarch64"),
    (pe_image(0xAA64), "aarch64"),  # EFI zboot and EFI-stub arm64 kernels
    (gzip.compress(arm64_image()), "aarch64"),  # Fedora's aarch64 vmlinuz before zboot
    (elf_image(21, big_endian=True), "ppc64"),
    (elf_image(22, big_endian=True), "s390x"),
    (b"\0" * 4096, None),
    (b"\x1f\x8b" + os.urandom(100), None),
], ids=["bzImage", "pe-x64", "arm64-Image", "pe-aa64", "gzip-arm64", "elf-ppc64", "elf-s390x", "zeros", "bad-gzip"])
def test_kernel_headers_name_their_architecture(head, arch):
    assert mediakind.kernel_arch(head) == arch


@needs_bsdtar
@pytest.mark.parametrize("files, modules", [(DMSQUASH_LIVE_FILES, {"dmsquash-live"}),
                                            (KIWI_LIVE_FILES, {"kiwi-live"}), (("usr/sbin/ifup",), set())],
                         ids=["dmsquash-live", "kiwi-live", "neither"])
def test_live_modules_of_a_compressed_initramfs(tmp_path, files, modules):
    assert initrdprobe.live_modules(write_initrd(tmp_path / "i.img", files)) == modules


def test_an_uncompressed_initramfs_is_read_without_bsdtar(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    plain = tmp_path / "plain.img"
    plain.write_bytes(newc_archive({name: b"x" for name in DMSQUASH_LIVE_FILES}))
    assert initrdprobe.live_modules(plain) == {"dmsquash-live"}
    plain.write_bytes(newc_archive({"init": b"x"}))
    assert initrdprobe.live_modules(plain) == set()
    assert initrdprobe.live_modules(write_initrd(tmp_path / "z.img", DMSQUASH_LIVE_FILES)) is None  # cannot tell


@needs_bsdtar
def test_an_early_microcode_archive_is_followed_into_the_main_one(tmp_path):
    early = newc_archive({"kernel/x86/microcode/GenuineIntel.bin": b"\1" * 1001})
    main = gzip.compress(newc_archive({name: b"x" for name in DMSQUASH_LIVE_FILES}))
    path = tmp_path / "i.img"
    path.write_bytes(early + main)
    assert initrdprobe.live_modules(path) == {"dmsquash-live"}
    path.write_bytes(early + os.urandom(5000))
    assert initrdprobe.live_modules(path) is None


def _iso(tmp_path: Path, replica: str, kernel: bytes | None = None, extra: tuple[str, ...] = ()) -> Path:
    """Replica ``replica`` with tiny parts, its kernel's first bytes replaced by ``kernel``, ``extra`` files added."""
    parts = tiny_parts(tmp_path / "parts")
    if kernel is not None:
        parts.kernel.write_bytes(kernel + parts.kernel.read_bytes()[len(kernel):])
    tree = tmp_path / "tree"
    REPLICAS[replica].build(tree, parts, "LABEL")
    for name in extra:
        (tree / name).write_bytes(b"loader")
    return write_iso(tree, tmp_path / f"{replica}.iso", "LABEL")


def test_an_aarch64_kernel_is_named_by_its_header_wherever_it_sits(tmp_path):
    iso = read_live_iso(_iso(tmp_path, "fedora40-lorax", kernel=pe_image(0xAA64)))
    found = mediakind.refusal(iso)
    assert found is not None and found.kind == "an ISO for aarch64"
    assert found.evidence == "the kernel images/pxeboot/vmlinuz is built for aarch64"


def test_the_kernels_header_outranks_its_folder_name(tmp_path):
    iso = read_live_iso(_iso(tmp_path, "fedora42-kiwi-aarch64", kernel=x86_bzimage()))
    assert mediakind.refusal(iso) is None


def test_an_iso_with_x64_and_aa64_uefi_loaders_is_for_this_host(tmp_path):
    iso = read_live_iso(_iso(tmp_path, "fedora40-lorax-aarch64", extra=("EFI/BOOT/BOOTX64.EFI",)))
    assert mediakind.refusal(iso) is None


def test_a_live_iso_is_not_refused(tmp_path):
    assert mediakind.refusal(read_live_iso(_iso(tmp_path, "fedora42-kiwi"))) is None


def test_check_raises_with_the_front_ends_flag_or_notes_the_override(tmp_path):
    iso = read_live_iso(_iso(tmp_path, "el7-install-dvd"))
    with pytest.raises(LivepxeError) as refused:
        mediakind.check(iso, False, "--pxe-accept-media", print)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(f"{iso.path} is installer media (inst.stage2=hd:LABEL=")
    assert message.endswith("; --pxe-accept-media converts it anyway")
    notes: list[str] = []
    mediakind.check(iso, True, "--accept-media", notes.append)
    assert notes == ["--accept-media: converting el7-install-dvd.iso although it is installer media "
                     "(inst.stage2=hd:LABEL=LABEL, .discinfo)"]


def test_parts_of_a_replica_are_not_changed_by_a_kiwi_live_build(tmp_path):
    """The kiwi-live replica replaces its initrd in the ISO folder, never through the hard link to the parts."""
    parts: Parts = tiny_parts(tmp_path / "parts")
    before = parts.initrd.read_bytes()
    REPLICAS["kiwi-live-module"].build(tmp_path / "tree", parts, "LABEL")
    assert parts.initrd.read_bytes() == before
