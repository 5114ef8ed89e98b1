"""An ISO's own isolinux/GRUB menus, read by the same parsers as our trees: which arguments boot it."""

from __future__ import annotations

from isofactory import GRUB_CFG, ISOLINUX_CFG

from livepxe.bootconf import grub, pxelinux
from livepxe.bootconf.isomenu import kernel_args, start_entry

#: Fedora 41 Workstation's grub.cfg, shortened: default "1" is the media check; troubleshooting in a submenu.
FEDORA_GRUB = """set default="1"

function load_video {
  insmod all_video
}

load_video
set gfxpayload=keep
search --no-floppy --set=root -l 'Fedora-WS-Live-41-1-4'

menuentry 'Start Fedora-Workstation-Live 41' --class fedora --class gnu-linux --class gnu --class os {
	linux ($root)/images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-Live-41-1-4  rd.live.image quiet rhgb
	initrd ${root}/images/pxeboot/initrd.img
}
menuentry 'Test this media & start Fedora-Workstation-Live 41' --class fedora {
	linux /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-Live-41-1-4  rd.live.image rd.live.check quiet
	initrd /images/pxeboot/initrd.img
}
submenu 'Troubleshooting -->' {
	menuentry 'Start Fedora-Workstation-Live 41 in basic graphics mode' --class fedora {
		linux /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-Live-41-1-4  rd.live.image nomodeset quiet rhgb
		initrd /images/pxeboot/initrd.img
	}
	menuentry 'Boot first drive' --class fedora {
		chainloader (hd0)+1
	}
}
"""

#: Fedora's isolinux.cfg, shortened: the media check is the menu default, help text names a "kernel".
FEDORA_ISOLINUX = """default vesamenu.c32
timeout 600
menu title Fedora-Workstation-Live 41
label linux
  menu label ^Start Fedora-Workstation-Live 41
  kernel vmlinuz
  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-Live-41-1-4 rd.live.image quiet rhgb
label check
  menu label Test this ^media & start Fedora-Workstation-Live 41
  menu default
  kernel vmlinuz
  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-Live-41-1-4 rd.live.image rd.live.check quiet
menu begin ^Troubleshooting
label basic
  menu indent count 5
  menu label Start Fedora-Workstation-Live 41 in ^basic graphics mode
  text help
	kernel words here are help, not a kernel line
  endtext
  kernel vmlinuz
  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-Live-41-1-4 rd.live.image nomodeset quiet rhgb
label memtest
  menu label Run a ^memory test.
  kernel memtest
menu end
"""


def test_isolinux_takes_the_default_entry_not_the_media_check():
    entries = pxelinux.parse(ISOLINUX_CFG.format(n=0))
    assert [e.kernel for e in entries] == ["vmlinuz0", "vmlinuz0"]
    args = kernel_args(start_entry(entries))
    assert args == "root=live:CDLABEL=Fedora-Tiny-Live rootfstype=auto ro rd.live.image quiet rhgb rd.luks=0"


def test_grub_skips_the_media_check_even_when_it_is_the_default():
    entries = grub.parse(GRUB_CFG.format(n=0))
    assert [e.default for e in entries] == [False, True] and "rd.live.check" in entries[1].cmdline
    assert kernel_args(start_entry(entries)) == "root=live:CDLABEL=Fedora-Tiny-Live rd.live.image quiet rhgb"


def test_fedora_grub_menu_submenus_device_prefixes_and_titles():
    entries = grub.parse(FEDORA_GRUB, "boot/grub2/grub.cfg")
    assert [(e.label, e.default) for e in entries] == [("0", False), ("1", True), ("2>0", False)]
    assert entries[0].kernel == "($root)/images/pxeboot/vmlinuz"
    assert entries[0].initrds == ("${root}/images/pxeboot/initrd.img",)
    assert entries[2].title == "Start Fedora-Workstation-Live 41 in basic graphics mode"
    assert kernel_args(start_entry(entries)) == "root=live:CDLABEL=Fedora-WS-Live-41-1-4 rd.live.image quiet rhgb"


def test_fedora_isolinux_menu_help_text_and_memtest():
    entries = pxelinux.parse(FEDORA_ISOLINUX)
    assert [(e.label, e.kernel, e.default) for e in entries] == [
        ("linux", "vmlinuz", False), ("check", "vmlinuz", True), ("basic", "vmlinuz", False),
        ("memtest", "memtest", False)]
    assert entries[2].initrds == ("initrd.img",) and "nomodeset" in entries[2].cmdline
    assert kernel_args(start_entry(entries)) == "root=live:CDLABEL=Fedora-WS-Live-41-1-4 rd.live.image quiet rhgb"


def test_basic_graphics_loses_to_a_plain_entry_even_as_the_default():
    text = ("menuentry 'Start in basic graphics mode' {\n linux /v nomodeset\n}\n"
            "menuentry 'Start' {\n linux /v quiet\n}\nset default=0\n")
    assert kernel_args(start_entry(grub.parse(text))) == "quiet"


def test_grub_variables_and_bootloader_words_never_reach_the_kernel():
    text = ("set isolabel=X\nmenuentry 'Start' {\n"
            "  linuxefi /images/pxeboot/vmlinuz root=live:CDLABEL=$isolabel \"x=${y}\" BOOT_IMAGE=/v initrd=/i ro\n"
            "  initrdefi /images/pxeboot/initrd.img\n}\n")
    assert kernel_args(start_entry(grub.parse(text))) == "ro"


def test_default_by_menu_id_or_title():
    text = ("menuentry 'A' --id a {\n linux /v a\n}\nmenuentry 'B' --id=b {\n linux /v b\n}\n"
            "menuentry 'C' {\n linux /v c\n}\n")
    for value, chosen in (("b", "b"), ("'C'", "c"), ("0", "a")):
        entries = grub.parse(f"set default={value}\n" + text)
        assert [e.cmdline for e in entries if e.default] == [chosen]


def test_linuxefi_entries_are_read():
    entries = grub.parse("menuentry x {\n linuxefi /isolinux/vmlinuz1 ro quiet\n initrdefi /isolinux/initrd1.img\n}\n")
    assert [(e.kernel, e.initrds) for e in entries] == [("/isolinux/vmlinuz1", ("/isolinux/initrd1.img",))]
    assert kernel_args(start_entry(entries)) == "ro quiet"
