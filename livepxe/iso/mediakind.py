"""What kind of media an ISO is, and the kinds a livepxe tree cannot boot.

A tree boots the ISO's own kernel and initramfs with ``root=live:/NAME.iso``
and carries the ISO inside the initramfs, so three things must hold, and
each has media that look live but fail it (field notes, "Not live, so not
convertible"):

* the ISO starts a live system: installer media (``inst.stage2=``,
  ``inst.repo=``, ``.discinfo``, ``images/install.img``; EL7 DVDs even carry
  ``LiveOS/squashfs.img``) start Anaconda, and Fedora CoreOS live ISOs
  (``coreos.liveiso=``) find their root by the ISO's label;
* its initramfs has dracut's ``dmsquash-live``, the only module that loop-
  mounts an ISO file named by ``root=live:/…`` (KIWI's ``kiwi-live`` does not);
* it is for the PCs the host's loaders start (pxelinux for BIOS, shim and
  GRUB for x64 UEFI): an aarch64 ISO is named as such.

Each refusal is one line saying what the ISO is, what showed it and what to
do; ``--accept-media`` converts anyway, for people who know better.  An ISO
we cannot judge (an initramfs bsdtar cannot list) is converted.
"""

from __future__ import annotations

import logging
import posixpath
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from ..bootconf.text import kernel_words, printable
from ..errors import LivepxeError
from . import initrdprobe
from .isoreader import LiveIso

log = logging.getLogger(__name__)

INSTALLER_WORDS = ("inst.stage2=", "inst.repo=")
INSTALLER_FILES = (".discinfo", "images/install.img")
COREOS_WORD = "coreos.liveiso="
#: Architectures whose machines the host's loaders (pxelinux, x64 shim/GRUB) start.
NATIVE = ("x86_64", "i386")
#: Folder names builders give each architecture (KIWI: ``boot/<arch>/loader``; lorax: ``ppc/``).
ARCH_FOLDERS = {"x86_64": "x86_64", "amd64": "x86_64", "i386": "i386", "i686": "i386", "aarch64": "aarch64",
                "arm64": "aarch64", "armhfp": "arm", "armv7hl": "arm", "ppc": "ppc64", "ppc64": "ppc64",
                "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64", "loongarch64": "loongarch64"}
#: The UEFI removable-media loader of each architecture.
EFI_LOADERS = {"bootx64.efi": "x86_64", "bootia32.efi": "i386", "bootaa64.efi": "aarch64", "bootarm.efi": "arm",
               "bootriscv64.efi": "riscv64", "bootloongarch64.efi": "loongarch64"}
_PE_MACHINES = {0x8664: "x86_64", 0x14C: "i386", 0xAA64: "aarch64", 0x1C2: "arm", 0x1C4: "arm",
                0x5064: "riscv64", 0x6264: "loongarch64"}
_ELF_MACHINES = {62: "x86_64", 3: "i386", 183: "aarch64", 40: "arm", 21: "ppc64", 22: "s390x", 243: "riscv64",
                 258: "loongarch64"}
KERNEL_HEAD = 4096


@dataclass(frozen=True)
class Refusal:
    """Why an ISO cannot boot from a tree: what it is, what showed it, what to do instead."""

    kind: str
    evidence: str
    advice: str

    def message(self, iso: Path, flag: str) -> str:
        return f"{iso} is {self.kind} ({self.evidence}): {self.advice}; {flag} converts it anyway"


def check(iso: LiveIso, accept: bool, flag: str, note: Callable[[str], None]) -> None:
    """Raise LivepxeError if ``iso`` cannot boot from a tree, unless ``accept``: then say so through ``note``."""
    found = refusal(iso)
    if found is None:
        return
    if not accept:
        raise LivepxeError(found.message(iso.path, flag))
    note(f"{flag}: converting {printable(iso.path.name)} although it is {found.kind} ({found.evidence})")


def refusal(iso: LiveIso) -> Refusal | None:
    """The first reason ``iso`` cannot boot from a tree, or None."""
    files = iso.markers
    return _installer(iso, files) or _coreos(iso) or _foreign_arch(iso, files) or _no_dmsquash_live(iso)


def _args(iso: LiveIso) -> list[str]:
    return [w for image in iso.boot_images for w in kernel_words(image.args or "")]


def _installer(iso: LiveIso, files: Mapping[str, str]) -> Refusal | None:
    words = [w for w in _args(iso) if w.startswith(INSTALLER_WORDS)]
    evidence = [printable(w, 60) for w in words[:1]] + [printable(files[f]) for f in INSTALLER_FILES if f in files]
    if not evidence:
        return None
    return Refusal("installer media", ", ".join(evidence),
                   "it starts the Anaconda installer, not a live system; to install over the network serve its "
                   "images/pxeboot kernel and initrd with inst.repo=, or convert a live ISO (Fedora or EL Live, "
                   "or one built by livecd-creator --pxe)")


def _coreos(iso: LiveIso) -> Refusal | None:
    word = next((w for w in _args(iso) if w.startswith(COREOS_WORD)), None)
    if word is None:
        return None
    return Refusal("a Fedora CoreOS live ISO", printable(word, 60),
                   "its initramfs finds its root by the ISO's label, never root=live:; PXE-boot CoreOS with its "
                   "own kernel, initramfs and rootfs images (coreos-installer iso extract pxe ISO)")


def kernel_arch(head: bytes) -> str | None:
    """The architecture a kernel image is built for, from its first bytes; None when they do not say."""
    if head[:2] == b"\x1f\x8b":  # a gzip'ed Image (aarch64 vmlinuz before EFI zboot)
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, KERNEL_HEAD)
        except zlib.error:
            return None
    if head[:2] == b"MZ" and len(head) >= 0x40:  # PE: EFI-stub kernels and zboot images name their machine
        pe = int.from_bytes(head[0x3C:0x40], "little")
        if head[pe:pe + 4] == b"PE\0\0":
            return _PE_MACHINES.get(int.from_bytes(head[pe + 4:pe + 6], "little"))
    if head[0x202:0x206] == b"HdrS":  # x86 boot protocol
        return "x86_64"
    if head[0x38:0x3C] == b"ARM\x64":
        return "aarch64"
    if head[0x38:0x3C] == b"RSC\x05":
        return "riscv64"
    if head[:4] == b"\x7fELF" and len(head) >= 20:
        return _ELF_MACHINES.get(int.from_bytes(head[18:20], "little" if head[5] == 1 else "big"))
    return None


def _foreign_arch(iso: LiveIso, files: Mapping[str, str]) -> Refusal | None:
    """The kernel's own header decides; else its folder names (KIWI's ``boot/aarch64/loader``); else EFI loaders."""
    kernel = iso.boot_images[0].kernel
    with open(iso.path, "rb") as stream:
        stream.seek(kernel.offset)
        arch = kernel_arch(stream.read(min(kernel.length, KERNEL_HEAD)))
    evidence = f"the kernel {printable(kernel.path)} is built for {arch}"
    if arch is None:
        arch = next((ARCH_FOLDERS[p] for p in kernel.path.lower().split("/") if p in ARCH_FOLDERS), None)
        evidence = f"its kernel is {printable(kernel.path)}"
    if arch is None:
        loaders = sorted(f for f in files if posixpath.basename(f) in EFI_LOADERS)
        arches = {EFI_LOADERS[posixpath.basename(f)] for f in loaders}
        arch = None if not arches or arches & set(NATIVE) else sorted(arches)[0]
        evidence = f"its only UEFI loaders are {', '.join(printable(files[f]) for f in loaders)}"
    if arch is None or arch in NATIVE:
        return None
    return Refusal(f"an ISO for {arch}", evidence,
                   "the host's network loaders (pxelinux for BIOS, shim and GRUB for x64 UEFI) start x86 PCs "
                   "only; convert the x86_64 ISO of the same release")


def _no_dmsquash_live(iso: LiveIso) -> Refusal | None:
    for image in iso.boot_images:
        modules = initrdprobe.live_modules(iso.path, image.initrd.offset, image.initrd.length)
        if modules is None:
            log.info("%s: cannot list %s (no bsdtar, or an unknown format): not checked for dmsquash-live",
                     iso.path, image.initrd.path)
        elif "dmsquash-live" not in modules:
            has = ", only KIWI's kiwi-live" if "kiwi-live" in modules else ""
            return Refusal(f"a live ISO whose initramfs cannot boot root=live:/{iso.path.name}",
                           f"{printable(image.initrd.path)} has no dracut dmsquash-live module{has}",
                           "rebuild the image with dmsquash-live in its initramfs (KIWI: flags=\"dmsquash\"; "
                           "livecd-creator --pxe builds one) or convert a Fedora or EL live ISO")
    return None
