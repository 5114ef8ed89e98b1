"""Replicas of the live ISOs users hold, one per builder, written from the builders' public facts.

Each replica has its builder's folder layout, file names, volume-label style
and boot-config shape (see ``../shared/FIELD-NOTES.md``, "The live ISOs users
actually hold": KIWI's ``boot/x86_64/loader/`` and stub ``EFI/BOOT/grub.cfg``,
lorax's ``images/pxeboot`` and ``isolinux`` layouts with the media check as
default entry, ``linuxefi``/``initrdefi``, double spaces and ``${…}``
variables), and the media livepxe must refuse: installer media, Fedora
CoreOS live, a KIWI ISO whose initramfs has KIWI's own kiwi-live module
instead of dracut's dmsquash-live, and aarch64 ISOs.  The config texts are
written here from those facts; no builder's file is copied.

``parts`` decides what is inside: stand-ins (``tiny_parts``: random kernel
and root, an initrd that is a small real cpio with dmsquash-live's files:
engine and refusal tests) or the bootable fixture's kernel, dracut initramfs
and squashfs (``tests.fixtures.live_iso``: QEMU boots), so every replica can
be converted *and* booted.
"""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from isofactory import require_xorriso, write_random


@dataclass(frozen=True)
class Parts:
    """The three payload files a live ISO carries."""

    kernel: Path
    initrd: Path
    squashfs: Path


@dataclass(frozen=True)
class Replica:
    name: str
    label: str
    live: bool                     # False: media livepxe must refuse
    kernel: str                    # where the plain start entry's kernel sits in the ISO
    initrd: str
    refusal: str = ""              # what the refusal must name, for media livepxe refuses
    build: Callable[[Path, Parts, str], None] = lambda tree, parts, label: None
    kernels: int = 1               # distinct kernels the menus boot (copies count once)


#: What dracut's dmsquash-live module puts in an initramfs (90dmsquash-live/module-setup.sh), and KIWI's
#: kiwi-live (OSInside/kiwi dracut/modules.d/90kiwi-live), which borrows only dmsquash-live's iso-scan.
DMSQUASH_LIVE_FILES = ("usr/sbin/dmsquash-live-root", "usr/sbin/iso-scan",
                       "usr/lib/dracut/hooks/cmdline/30-parse-dmsquash-live.sh",
                       "usr/lib/dracut/hooks/cmdline/31-parse-iso-scan.sh",
                       "usr/lib/dracut/hooks/pre-udev/30-dmsquash-liveiso-genrules.sh")
KIWI_LIVE_FILES = ("usr/sbin/kiwi-live-root", "usr/sbin/iso-scan", "usr/lib/kiwi-live-lib.sh",
                   "usr/lib/dracut/hooks/cmdline/30-parse-kiwi-live.sh",
                   "usr/lib/dracut/hooks/cmdline/31-parse-iso-scan.sh",
                   "usr/lib/dracut/hooks/pre-udev/30-kiwi-live-genrules.sh",
                   "usr/lib/systemd/system-generators/dracut-kiwi-generator")
DRACUT_BASE_FILES = ("init", "usr/bin/dracut-cmdline", "usr/lib/dracut-lib.sh", "etc/initrd-release")


def newc_archive(files: dict[str, bytes]) -> bytes:
    """A newc archive of ``files`` (and their folders), as dracut's cpio writes one."""
    members: dict[str, bytes | None] = {}
    for name in sorted(files):
        parts = name.split("/")
        for depth in range(1, len(parts)):
            members.setdefault("/".join(parts[:depth]), None)
        members[name] = files[name]
    out = bytearray()
    for ino, (name, data) in enumerate([*members.items(), ("TRAILER!!!", None)], start=1):
        mode = 0 if name == "TRAILER!!!" else stat.S_IFDIR | 0o755 if data is None else stat.S_IFREG | 0o755
        size = len(data or b"")
        encoded = name.encode() + b"\0"
        fields = (ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(encoded), 0)
        out += ("070701" + "".join(f"{v:08X}" for v in fields)).encode() + encoded
        out += b"\0" * (-len(out) % 4) + (data or b"")
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def write_initrd(dest: Path, module_files: tuple[str, ...]) -> Path:
    """A small gzip'ed dracut-shaped initramfs holding ``module_files`` (scripts of a few bytes each)."""
    files = {name: f"#!/bin/sh\n# {name}\n".encode() for name in (*DRACUT_BASE_FILES, *module_files)}
    dest.write_bytes(gzip.compress(newc_archive(files), mtime=0))
    return dest


def tiny_parts(folder: Path) -> Parts:
    """Stand-ins enough to convert, not to boot: random kernel and root, a dmsquash-live initramfs of a few KiB."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = Parts(folder / "kernel", folder / "initrd", folder / "squashfs.img")
    write_random(parts.kernel, 6000)
    write_initrd(parts.initrd, DMSQUASH_LIVE_FILES)
    write_random(parts.squashfs, 200_000)
    return parts


def _put(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def _write(dest: Path, text: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text)


def _loader(dest: Path) -> None:
    """A stand-in for a bootloader binary (the ISO's own loaders are never carried into a tree)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    write_random(dest, 4096)


# --- Fedora 42+ (KIWI) -------------------------------------------------------

KIWI_MARKER = "0x5a3c9e1f"


def _kiwi_for(arch: str, efi_loader: str) -> Callable[[Path, Parts, str], None]:
    """KIWI's layout for ``arch``: ``boot/<arch>/loader/``, the full menu in boot/grub2, a stub in EFI/BOOT."""
    def build(tree: Path, parts: Parts, label: str) -> None:
        loader = f"boot/{arch}/loader"
        _put(parts.kernel, tree / loader / "linux")
        _put(parts.initrd, tree / loader / "initrd")
        _put(parts.squashfs, tree / "LiveOS/squashfs.img")
        _loader(tree / "EFI/BOOT" / efi_loader)
        _write(tree / "boot" / KIWI_MARKER, KIWI_MARKER + "\n")
        args = f"root=live:CDLABEL={label} rd.live.image rd.live.dir=/LiveOS rd.live.squashimg=squashfs.img"
        menu = [
            f"set btrfs_relative_path=\"y\"\nexport btrfs_relative_path\nsearch --file --set=root /boot/{KIWI_MARKER}",
            "set default=0\nset timeout=10\nset timeout_style=menu",
            "if [ -n \"$extra_cmdline\" ]; then\n  submenu \"Bootable snapshot $snapshot_num\" {\n"
            "    menuentry \"If OK, run 'snapper rollback' and reboot.\" { true; }\n  }\nfi",
        ]
        for title, extra in (("Start Fedora-Workstation-Live 42", "quiet rhgb"),
                             ("Start Fedora-Workstation-Live 42 (Basic Graphics)", "nomodeset quiet rhgb"),
                             ("Test this media & start Fedora-Workstation-Live 42", "rd.live.check quiet")):
            menu.append(
                f"menuentry \"{title}\" --class fedora --class gnu-linux --class gnu --class os {{\n"
                "    set gfxpayload=keep\n"
                "    echo Loading kernel...\n"
                f"    linux ($root)/{loader}/linux ${{extra_cmdline}} {args}  {extra}\n"
                "    echo Loading initrd...\n"
                f"    initrd ($root)/{loader}/initrd\n"
                "}")
        _write(tree / "boot/grub2/grub.cfg", "\n".join(menu) + "\n")
        _write(tree / "EFI/BOOT/grub.cfg",
               f"search --file --set=root /boot/{KIWI_MARKER}\nset prefix=($root)/boot/grub2\n"
               "configfile ($root)/boot/grub2/grub.cfg\n")
    return build


_kiwi = _kiwi_for("x86_64", "bootx64.efi")


def _kiwi_live_module(tree: Path, parts: Parts, label: str) -> None:
    """KIWI's layout, but its initramfs has KIWI's kiwi-live module, not dracut's dmsquash-live (openSUSE style)."""
    _kiwi(tree, parts, label)
    initrd = tree / "boot/x86_64/loader/initrd"
    initrd.unlink()  # a hard link to the parts: never write through it
    write_initrd(initrd, KIWI_LIVE_FILES)


# --- lorax: Fedora 37-41 -----------------------------------------------------

def _lorax_grub(label: str, product: str, linux: str, initrd: str, kernel: str, initrd_path: str) -> str:
    root = f"root=live:CDLABEL={label}"
    entries = [("Start " + product, f"{root}  rd.live.image quiet rhgb"),
               ("Test this media & start " + product, f"{root}  rd.live.image rd.live.check quiet")]
    text = ["set default=\"1\"", "", "function load_video {\n  insmod all_video\n}", "", "load_video",
            "set gfxpayload=keep", "insmod gzio", "insmod part_gpt", "insmod ext2", "", "set timeout=60",
            f"search --no-floppy --set=root -l '{label}'", ""]
    for title, args in entries:
        text.append(f"menuentry '{title}' --class fedora --class gnu-linux --class gnu --class os {{\n"
                    f"\t{linux} {kernel} {args}\n\t{initrd} {initrd_path}\n}}")
    text.append("submenu 'Troubleshooting -->' {\n"
                f"\tmenuentry 'Start {product} in basic graphics mode' --class fedora --class gnu-linux {{\n"
                f"\t\t{linux} {kernel} {root}  rd.live.image nomodeset quiet rhgb\n\t\t{initrd} {initrd_path}\n\t}}\n"
                "\tmenuentry 'Boot first drive' --class fedora {\n\t\tchainloader (hd0)+1\n\t}\n}")
    return "\n".join(text) + "\n"


def _lorax_f37(tree: Path, parts: Parts, label: str) -> None:
    _put(parts.kernel, tree / "images/pxeboot/vmlinuz")
    _put(parts.initrd, tree / "images/pxeboot/initrd.img")
    _put(parts.squashfs, tree / "LiveOS/squashfs.img")
    _loader(tree / "EFI/BOOT/BOOTX64.EFI")
    product = "Fedora-Workstation-Live 40"
    _write(tree / "boot/grub2/grub.cfg",
           _lorax_grub(label, product, "linux", "initrd", "/images/pxeboot/vmlinuz", "/images/pxeboot/initrd.img"))
    _write(tree / "EFI/BOOT/grub.cfg",
           _lorax_grub(label, product, "linuxefi", "initrdefi", "/images/pxeboot/vmlinuz",
                       "/images/pxeboot/initrd.img"))


def _lorax_aarch64(tree: Path, parts: Parts, label: str) -> None:
    """Fedora 40 for aarch64 by lorax: the x86 layout without isolinux, and only aarch64 UEFI loaders."""
    _put(parts.kernel, tree / "images/pxeboot/vmlinuz")
    _put(parts.initrd, tree / "images/pxeboot/initrd.img")
    _put(parts.squashfs, tree / "LiveOS/squashfs.img")
    _loader(tree / "EFI/BOOT/BOOTAA64.EFI")
    _loader(tree / "EFI/BOOT/grubaa64.efi")
    _write(tree / "EFI/BOOT/grub.cfg",
           _lorax_grub(label, "Fedora-Workstation-Live 40", "linux", "initrd", "/images/pxeboot/vmlinuz",
                       "/images/pxeboot/initrd.img"))


# --- lorax: Fedora 24-36, EL8/EL9 live (isolinux) ----------------------------

def _isolinux_cfg(label: str, product: str, extra_entries: str = "") -> str:
    root = f"root=live:CDLABEL={label}"
    return f"""default vesamenu.c32
timeout 600

display boot.msg

menu clear
menu background splash.png
menu title {product}
menu vshift 8
menu rows 18

label linux
  menu label ^Start {product}
  kernel vmlinuz
  append initrd=initrd.img {root}  rd.live.image quiet rhgb

label check
  menu label Test this ^media & start {product}
  menu default
  kernel vmlinuz
  append initrd=initrd.img {root}  rd.live.image rd.live.check quiet
{extra_entries}
menu separator
menu begin ^Troubleshooting
  menu title Troubleshooting {product}

label basic
  menu indent count 5
  menu label Start {product} in ^basic graphics mode
  kernel vmlinuz
  append initrd=initrd.img {root}  rd.live.image nomodeset quiet rhgb

label local
  menu label Boot from ^local drive
  localboot 0xffff

menu separator
label returntomain
  menu label Return to ^main menu
  menu exit
menu end
"""


def _lorax_isolinux(product: str) -> Callable[[Path, Parts, str], None]:
    def build(tree: Path, parts: Parts, label: str) -> None:
        for folder in ("isolinux", "images/pxeboot"):
            _put(parts.kernel, tree / folder / "vmlinuz")
            _put(parts.initrd, tree / folder / "initrd.img")
        _put(parts.squashfs, tree / "LiveOS/squashfs.img")
        _write(tree / "isolinux/isolinux.cfg", _isolinux_cfg(label, product))
        _write(tree / "EFI/BOOT/grub.cfg",
               _lorax_grub(label, product, "linuxefi", "initrdefi", "/images/pxeboot/vmlinuz",
                           "/images/pxeboot/initrd.img"))
    return build


# --- livecd-creator today (GRUB default) and <= 2022 (isolinux) ----------------

def _livecd_creator_grub(tree: Path, parts: Parts, label: str) -> None:
    _put(parts.kernel, tree / "images/pxeboot/vmlinuz0")
    _put(parts.initrd, tree / "images/pxeboot/initrd0.img")
    _put(parts.squashfs, tree / "LiveOS/squashfs.img")
    args = f"root=live:LABEL={label} rootfstype=auto ro rd.live.image  quiet  rhgb rd.luks=0 rd.md=0 rd.dm=0"
    _write(tree / "boot/grub2/grub.cfg",
           f"set default=\"0\"\nset timeout=10\nsearch --no-floppy --set=root -l '{label}'\n"
           f"menuentry 'Start {label}' --class fedora --class gnu-linux --class gnu --class os {{\n"
           f"\tlinux /images/pxeboot/vmlinuz0 {args}\n\tinitrd /images/pxeboot/initrd0.img\n}}\n"
           f"menuentry 'Test this media & start {label}' --class fedora {{\n"
           f"\tlinux /images/pxeboot/vmlinuz0 {args} rd.live.check\n\tinitrd /images/pxeboot/initrd0.img\n}}\n")


def _livecd_creator_two_kernels(tree: Path, parts: Parts, label: str) -> None:
    """A kickstart with two kernel packages: vmlinuz0/initrd0.img and vmlinuz1/initrd1.img, an entry for each."""
    _livecd_creator_grub(tree, parts, label)
    second = tree / "images/pxeboot/vmlinuz1"
    second.write_bytes(parts.kernel.read_bytes() + b"\0" * 512)  # another build: other bytes
    _put(parts.initrd, tree / "images/pxeboot/initrd1.img")
    with open(tree / "boot/grub2/grub.cfg", "a") as menu:
        menu.write(f"menuentry 'Start {label} (kernel-debug)' --class fedora {{\n"
                   f"\tlinux /images/pxeboot/vmlinuz1 root=live:LABEL={label} rd.live.image debug\n"
                   "\tinitrd /images/pxeboot/initrd1.img\n}\n")


def _livecd_creator_old(tree: Path, parts: Parts, label: str) -> None:
    _put(parts.kernel, tree / "isolinux/vmlinuz0")
    _put(parts.initrd, tree / "isolinux/initrd0.img")
    _put(parts.squashfs, tree / "LiveOS/squashfs.img")
    args = f"root=live:CDLABEL={label} rootfstype=auto ro rd.live.image quiet  rhgb rd.luks=0 rd.md=0 rd.dm=0"
    _write(tree / "isolinux/isolinux.cfg",
           f"default vesamenu.c32\ntimeout 100\nmenu title {label}\n"
           f"label linux0\n  menu label Boot\n  kernel vmlinuz0\n  append initrd=initrd0.img {args}\n  menu default\n"
           f"label check0\n  menu label Verify and Boot\n  kernel vmlinuz0\n"
           f"  append initrd=initrd0.img {args} rd.live.check\n"
           "label memtest\n  menu label Memory Test\n  kernel memtest\n"
           "label local\n  menu label Boot from local drive\n  localboot 0xffff\n")


# --- media that must be refused -----------------------------------------------

def _el7_dvd(tree: Path, parts: Parts, label: str) -> None:
    _put(parts.kernel, tree / "isolinux/vmlinuz")
    _put(parts.initrd, tree / "isolinux/initrd.img")
    _put(parts.kernel, tree / "images/pxeboot/vmlinuz")
    _put(parts.initrd, tree / "images/pxeboot/initrd.img")
    _put(parts.squashfs, tree / "LiveOS/squashfs.img")
    _write(tree / ".discinfo", "1587156742.153413\nCentOS 7\nx86_64\n")
    stage2 = "inst.stage2=hd:LABEL=" + label.replace(" ", "\\x20")
    _write(tree / "isolinux/isolinux.cfg",
           f"default vesamenu.c32\ntimeout 600\nlabel linux\n  menu label ^Install CentOS 7\n  kernel vmlinuz\n"
           f"  append initrd=initrd.img {stage2} quiet\nlabel check\n  menu label Test this ^media & install\n"
           f"  menu default\n  kernel vmlinuz\n  append initrd=initrd.img {stage2} rd.live.check quiet\n")


def _fcos_live(tree: Path, parts: Parts, label: str) -> None:
    _put(parts.kernel, tree / "images/pxeboot/vmlinuz")
    _put(parts.initrd, tree / "images/pxeboot/initrd.img")
    _put(parts.squashfs, tree / "images/pxeboot/rootfs.img")
    _put(parts.squashfs, tree / "LiveOS/squashfs.img")  # so only the kernel arguments tell it apart
    args = f"coreos.liveiso={label} ignition.firstboot ignition.platform.id=metal"
    _write(tree / "isolinux/isolinux.cfg",
           f"default vesamenu.c32\nlabel linux\n  menu label Fedora CoreOS (Live)\n  menu default\n"
           "  kernel /images/pxeboot/vmlinuz\n"
           f"  append initrd=/images/pxeboot/initrd.img,/images/ignition.img {args}\n")
    _write(tree / "EFI/fedora/grub.cfg",
           f"set default=0\nmenuentry 'Fedora CoreOS (Live)' --class fedora {{\n"
           f"\tlinux /images/pxeboot/vmlinuz {args}\n\tinitrd /images/pxeboot/initrd.img /images/ignition.img\n}}\n")


def _fedora_netinst(tree: Path, parts: Parts, label: str) -> None:
    """Fedora Everything netinst (lorax): Anaconda's stage2 in images/install.img, no LiveOS/."""
    _put(parts.kernel, tree / "images/pxeboot/vmlinuz")
    _put(parts.initrd, tree / "images/pxeboot/initrd.img")
    _put(parts.squashfs, tree / "images/install.img")
    _write(tree / ".discinfo", "1713744384.383214\nFedora 40\nx86_64\n")
    _write(tree / "boot/grub2/grub.cfg",
           f"set default=\"1\"\nmenuentry 'Install Fedora 40' --class fedora {{\n"
           f"\tlinux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL={label} quiet\n"
           "\tinitrd /images/pxeboot/initrd.img\n}\n")


REPLICAS: dict[str, Replica] = {r.name: r for r in (
    Replica("fedora42-kiwi", "Fedora-WS-Live-42-1-1", True,
            "boot/x86_64/loader/linux", "boot/x86_64/loader/initrd", build=_kiwi),
    Replica("fedora40-lorax", "Fedora-WS-Live-40-1-14", True,
            "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img", build=_lorax_f37),
    Replica("fedora36-lorax", "Fedora-WS-Live-36-1-5", True,
            "isolinux/vmlinuz", "isolinux/initrd.img", build=_lorax_isolinux("Fedora-Workstation-Live 36")),
    Replica("almalinux9-live", "AlmaLinux-9-4-x86_64-Live-GNOME", True,
            "isolinux/vmlinuz", "isolinux/initrd.img", build=_lorax_isolinux("AlmaLinux 9 Live")),
    Replica("livecd-creator-grub", "Fedora-LiveCD-Test", True,
            "images/pxeboot/vmlinuz0", "images/pxeboot/initrd0.img", build=_livecd_creator_grub),
    Replica("livecd-creator-old", "Fedora-LiveCD-Old", True,
            "isolinux/vmlinuz0", "isolinux/initrd0.img", build=_livecd_creator_old),
    Replica("livecd-creator-two-kernels", "Fedora-LiveCD-Debug", True,
            "images/pxeboot/vmlinuz0", "images/pxeboot/initrd0.img", build=_livecd_creator_two_kernels, kernels=2),
    Replica("el7-install-dvd", "CentOS 7 x86_64", False, "isolinux/vmlinuz", "isolinux/initrd.img",
            refusal="is installer media (inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64, .discinfo)",
            build=_el7_dvd),
    Replica("fedora40-netinst", "Fedora-E-dvd-x86_64-40", False, "images/pxeboot/vmlinuz",
            "images/pxeboot/initrd.img", refusal="is not a live image", build=_fedora_netinst),
    Replica("fcos-live", "fedora-coreos-40.20240416.3.1-live.x86_64", False,
            "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img", refusal="is a Fedora CoreOS live ISO",
            build=_fcos_live),
    Replica("kiwi-live-module", "openSUSE-Leap-15.6-KDE-Live", False,
            "boot/x86_64/loader/linux", "boot/x86_64/loader/initrd",
            refusal="has no dracut dmsquash-live module, only KIWI's kiwi-live", build=_kiwi_live_module),
    Replica("fedora42-kiwi-aarch64", "Fedora-WS-Live-aarch64-42-1-1", False,
            "boot/aarch64/loader/linux", "boot/aarch64/loader/initrd",
            refusal="is an ISO for aarch64 (its kernel is boot/aarch64/loader/linux)",
            build=_kiwi_for("aarch64", "BOOTAA64.EFI")),
    Replica("fedora40-lorax-aarch64", "Fedora-WS-Live-aarch64-40-1-14", False,
            "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img",
            refusal="is an ISO for aarch64 (its only UEFI loaders are EFI/BOOT/BOOTAA64.EFI)", build=_lorax_aarch64),
)}


def make_replica(name: str, dest: Path, parts: Parts) -> Path:
    """Write replica ``name`` to ``dest`` (an .iso path) with ``parts`` inside; return ``dest``."""
    replica = REPLICAS[name]
    tree = dest.parent / (dest.name + ".tree")
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    replica.build(tree, parts, replica.label)
    return write_iso(tree, dest, replica.label)


def write_iso(tree: Path, dest: Path, label: str) -> Path:
    """Master folder ``tree`` into ISO ``dest`` (Rock Ridge and Joliet names, as the builders do), then remove it."""
    xorriso = require_xorriso()
    subprocess.run([xorriso, "-as", "mkisofs", "-quiet", "-R", "-J", "-joliet-long", "-V", label[:32],
                    "-o", str(dest), str(tree)], check=True, capture_output=True)
    shutil.rmtree(tree)
    return dest
