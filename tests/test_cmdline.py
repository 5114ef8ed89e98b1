import pytest

from livepxe.tree.cmdline import is_safe_iso_name, pxe_cmdline, safe_iso_name

ISO = "Fedora-Live.iso"


@pytest.mark.parametrize("root", [
    "root=live:CDLABEL=Fedora-Live-39",
    "root=CDLABEL=Fedora-Live-39",
    "root=live:LABEL=Fedora-Live-39",
    "root=live:UUID=2023-10-31-12-00-00-00",
    r"root=live:CDLABEL=Fedora\x20Live",
])
def test_every_iso_root_form_becomes_the_bundled_path(root):
    assert pxe_cmdline(f"{root} rd.live.image", ISO) == "root=live:/Fedora-Live.iso rd.live.image"


def test_keeps_everything_else_in_order_and_drops_bootloader_words():
    original = ("initrd=initrd0.img BOOT_IMAGE=/images/pxeboot/vmlinuz0 root=live:CDLABEL=X rootfstype=auto ro "
                "rd.live.image rd.luks=0 rd.md=0 quiet rhgb selinux=0 $kernelopts")
    assert pxe_cmdline(original, ISO) == ("root=live:/Fedora-Live.iso rootfstype=auto ro rd.live.image "
                                          "rd.luks=0 rd.md=0 quiet rhgb selinux=0")


def test_extra_args_are_appended_and_may_override_root():
    assert pxe_cmdline("root=CDLABEL=X ro", ISO, "console=ttyS0") == "root=live:/Fedora-Live.iso ro console=ttyS0"
    assert pxe_cmdline("root=CDLABEL=X ro", ISO, "root=live:http://h/x.iso") == "ro root=live:http://h/x.iso"


def test_replacement_args_get_the_bundled_root():
    assert pxe_cmdline("root=CDLABEL=X quiet", ISO, replace="rd.live.image rw") == \
        "root=live:/Fedora-Live.iso rd.live.image rw"


def test_missing_arguments_fall_back_to_a_live_default():
    assert pxe_cmdline(None, ISO) == "root=live:/Fedora-Live.iso rootfstype=auto ro rd.live.image"


def test_quoted_values_stay_whole():
    assert pxe_cmdline('root=CDLABEL=X rd.live.overlay="LABEL=a b"', ISO).endswith('rd.live.overlay="LABEL=a b"')


@pytest.mark.parametrize("given, safe", [
    ("Fedora-Live-39.iso", "Fedora-Live-39.iso"),
    ("My Live Image (v2).iso", "My-Live-Image-v2.iso"),
    ("/some/dir/x;rm -rf.ISO", "x-rm--rf.iso"),
    ("živé.iso", "iv.iso"),
    ("   .iso", "live.iso"),
    ("noext", "noext.iso"),
])
def test_safe_iso_names(given, safe):
    assert safe_iso_name(given) == safe
    assert is_safe_iso_name(safe)


def test_refuses_an_unsafe_name():
    with pytest.raises(ValueError):
        pxe_cmdline("ro", "a b.iso")
