from isofactory import GRUB_CFG, ISOLINUX_CFG

from livepxe.bootargs import args_for_kernel, parse_first, parse_grub, parse_isolinux


def test_isolinux_takes_the_default_entry_not_the_media_check():
    entries = parse_isolinux(ISOLINUX_CFG.format(n=0))
    assert [e.kernel for e in entries] == ["vmlinuz0", "vmlinuz0"]
    args = args_for_kernel(entries, "vmlinuz0")
    assert "rd.live.check" not in args and "rd.luks=0" in args


def test_grub_skips_the_media_check_even_when_it_is_the_default():
    entries = parse_grub(GRUB_CFG.format(n=0))
    assert entries[1].default and "rd.live.check" in entries[1].args
    assert args_for_kernel(entries, "vmlinuz0") == "root=live:CDLABEL=Fedora-Tiny-Live rd.live.image quiet rhgb"


def test_linuxefi_and_unknown_kernels():
    entries = parse_grub("menuentry x {\n linuxefi /isolinux/vmlinuz1 ro quiet\n}\n")
    assert args_for_kernel(entries, "VMLINUZ1") == "ro quiet"
    assert args_for_kernel(entries, "vmlinuz0") is None


def test_first_config_with_entries_wins():
    configs = {"isolinux/isolinux.cfg": "default x\n", "boot/grub2/grub.cfg": GRUB_CFG.format(n=0)}
    entries, source = parse_first(configs)
    assert source == "boot/grub2/grub.cfg" and entries
