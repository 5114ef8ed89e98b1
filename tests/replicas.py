"""Replicas of the live ISOs users hold, one per builder, written from the builders' public facts.

Each replica has its builder's folder layout, file names, volume-label style
and boot-config shape (see ``../shared/FIELD-NOTES.md``, "The live ISOs users
actually hold": KIWI's ``boot/x86_64/loader/`` and stub ``EFI/BOOT/grub.cfg``,
lorax's ``images/pxeboot`` and ``isolinux`` layouts with the media check as
default entry, ``linuxefi``/``initrdefi``, double spaces and ``${…}``
variables), and the non-live media livepxe must refuse.  The config texts
are written here from those facts; no builder's file is copied.

``parts`` decides what is inside: random bytes (``tiny_parts``: engine and
refusal tests) or the bootable fixture's kernel, dracut initramfs and
squashfs (``tests.fixtures.live_iso``: QEMU boots), so every replica can be
converted *and* booted.
"""

from __future__ import annotations

import os
import shutil
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
    refusal: str = ""              # what the refusal must name, for non-live media
    build: Callable[[Path, Parts, str], None] = lambda tree, parts, label: None


def tiny_parts(folder: Path) -> Parts:
    """Random stand-ins: enough to convert, not to boot."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = Parts(folder / "kernel", folder / "initrd", folder / "squashfs.img")
    write_random(parts.kernel, 6000)
    write_random(parts.initrd, 30_001)
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


# --- Fedora 42+ (KIWI) -------------------------------------------------------

KIWI_MARKER = "0x5a3c9e1f"


def _kiwi(tree: Path, parts: Parts, label: str) -> None:
    _put(parts.kernel, tree / "boot/x86_64/loader/linux")
    _put(parts.initrd, tree / "boot/x86_64/loader/initrd")
    _put(parts.squashfs, tree / "LiveOS/squashfs.img")
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
            f"    linux ($root)/boot/x86_64/loader/linux ${{extra_cmdline}} {args}  {extra}\n"
            "    echo Loading initrd...\n"
            "    initrd ($root)/boot/x86_64/loader/initrd\n"
            "}")
    _write(tree / "boot/grub2/grub.cfg", "\n".join(menu) + "\n")
    _write(tree / "EFI/BOOT/grub.cfg",
           f"search --file --set=root /boot/{KIWI_MARKER}\nset prefix=($root)/boot/grub2\n"
           "configfile ($root)/boot/grub2/grub.cfg\n")


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
    product = "Fedora-Workstation-Live 40"
    _write(tree / "boot/grub2/grub.cfg",
           _lorax_grub(label, product, "linux", "initrd", "/images/pxeboot/vmlinuz", "/images/pxeboot/initrd.img"))
    _write(tree / "EFI/BOOT/grub.cfg",
           _lorax_grub(label, product, "linuxefi", "initrdefi", "/images/pxeboot/vmlinuz",
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
           f"  kernel /images/pxeboot/vmlinuz\n  append initrd=/images/pxeboot/initrd.img,/images/ignition.img {args}\n")
    _write(tree / "EFI/fedora/grub.cfg",
           f"set default=0\nmenuentry 'Fedora CoreOS (Live)' --class fedora {{\n"
           f"\tlinux /images/pxeboot/vmlinuz {args}\n\tinitrd /images/pxeboot/initrd.img /images/ignition.img\n}}\n")


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
    Replica("el7-install-dvd", "CentOS 7 x86_64", False, "isolinux/vmlinuz", "isolinux/initrd.img",
            refusal="installer", build=_el7_dvd),
    Replica("fcos-live", "fedora-coreos-40.20240416.3.1-live.x86_64", False,
            "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img", refusal="CoreOS", build=_fcos_live),
)}


def make_replica(name: str, dest: Path, parts: Parts) -> Path:
    """Write replica ``name`` to ``dest`` (an .iso path) with ``parts`` inside; return ``dest``."""
    replica = REPLICAS[name]
    xorriso = require_xorriso()
    tree = dest.parent / (dest.name + ".tree")
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    replica.build(tree, parts, replica.label)
    subprocess.run([xorriso, "-as", "mkisofs", "-quiet", "-R", "-J", "-joliet-long", "-V", replica.label[:32],
                    "-o", str(dest), str(tree)], check=True, capture_output=True)
    shutil.rmtree(tree)
    return dest
