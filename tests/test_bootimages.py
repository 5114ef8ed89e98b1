"""Which kernels and initrds an ISO boots, from its own menus: paths as each loader resolves them, hand-offs,
the plain start entry, one image per distinct kernel, and the well-known folders only when no menu names one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from livepxe.errors import LivepxeError
from livepxe.iso import bootimages
from livepxe.iso.bootimages import IsoFiles, grub_path, syslinux_path
from livepxe.iso.isoreader import CONFIGS, KERNEL_DIRS, IsoFile

KIWI_MENU = """search --file --set=root /boot/0x5a3c9e1f
set default=0
menuentry "Start Fedora" {
    linux ($root)/boot/x86_64/loader/linux ${extra_cmdline} root=live:CDLABEL=F42 rd.live.image quiet
    initrd ($root)/boot/x86_64/loader/initrd
}
menuentry "Test this media & start Fedora" {
    linux ($root)/boot/x86_64/loader/linux root=live:CDLABEL=F42 rd.live.image rd.live.check
    initrd ($root)/boot/x86_64/loader/initrd
}
"""
KIWI_STUB = ("search --file --set=root /boot/0x5a3c9e1f\nset prefix=($root)/boot/grub2\n"
             "configfile ($root)/boot/grub2/grub.cfg\n")
KIWI_FILES = {"boot/x86_64/loader/linux": b"K" * 100, "boot/x86_64/loader/initrd": b"I" * 300}


class FakeIso:
    """Files laid end to end in one blob, found by path in any case, as `isoreader` finds them in an ISO."""

    def __init__(self, where: Path, files: dict[str, bytes | str]):
        self.items: dict[str, IsoFile] = {}
        blob = bytearray()
        for path, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            self.items[path.lower()] = IsoFile(path, len(blob), len(data))
            blob += data
        where.write_bytes(bytes(blob))
        self.fd = os.open(where, os.O_RDONLY)

    def find(self, path: str) -> IsoFile | None:
        return self.items.get(path.lower())

    def names(self, directory: str) -> list[str]:
        return [p.rpartition("/")[2] for p in self.items if p.rpartition("/")[0] == directory.lower()]

    def boot(self, configs=CONFIGS, kernel_dirs=KERNEL_DIRS) -> list[tuple[str, str, str | None, str | None]]:
        found = bootimages.find(Path("x.iso"), IsoFiles(self.find, self.names, self.fd), configs, kernel_dirs)
        return [(b.kernel.path, b.initrd.path, b.args, b.config) for b in found]


@pytest.fixture
def iso(tmp_path):
    made = []

    def make(files: dict[str, bytes | str]) -> FakeIso:
        made.append(FakeIso(tmp_path / f"blob{len(made)}", files))
        return made[-1]
    yield make
    for fake in made:
        os.close(fake.fd)


@pytest.mark.parametrize("raw, variables, folder, expected", [
    ("($root)/boot/x86_64/loader/linux", {}, "boot/grub2", "boot/x86_64/loader/linux"),
    ("${root}/images/pxeboot/initrd.img", {}, "EFI/BOOT", "images/pxeboot/initrd.img"),
    ("$root/images/pxeboot/vmlinuz", {}, "EFI/BOOT", "images/pxeboot/vmlinuz"),
    ("(cd0,msdos2)/isolinux/vmlinuz", {}, "", "isolinux/vmlinuz"),
    ("$prefix/grub.cfg", {"prefix": "($root)/boot/grub2"}, "EFI/BOOT", "boot/grub2/grub.cfg"),
    ("${isodir}/LiveOS/vmlinuz", {}, "", "LiveOS/vmlinuz"),
    ("grub.cfg", {}, "EFI/BOOT", "EFI/BOOT/grub.cfg"),
    ("/images/../../../etc/passwd", {}, "boot/grub2", "etc/passwd"),
    ("/boot/vmlinuz-$kver", {}, "", None),
    ("($root)", {}, "", None),
])
def test_grub_paths_resolve_to_paths_in_the_iso(raw, variables, folder, expected):
    assert grub_path(raw, variables, folder) == expected


def test_isolinux_paths_are_relative_to_the_configs_folder():
    assert syslinux_path("vmlinuz", "isolinux") == "isolinux/vmlinuz"
    assert syslinux_path("/images/pxeboot/vmlinuz0", "isolinux") == "images/pxeboot/vmlinuz0"
    assert syslinux_path("::/images/pxeboot/vmlinuz0", "isolinux") == "images/pxeboot/vmlinuz0"
    assert syslinux_path("../x", "isolinux") == "x"


def test_kiwi_menu_gives_its_loader_files_and_the_plain_entrys_words(iso):
    fake = iso({**KIWI_FILES, "boot/grub2/grub.cfg": KIWI_MENU, "EFI/BOOT/grub.cfg": KIWI_STUB})
    assert fake.boot() == [("boot/x86_64/loader/linux", "boot/x86_64/loader/initrd",
                            "root=live:CDLABEL=F42 rd.live.image quiet", "boot/grub2/grub.cfg")]


@pytest.mark.parametrize("stub", [KIWI_STUB, "set prefix=($root)/boot/grub2\nconfigfile $prefix/grub.cfg\n",
                                  "source ${root}/boot/grub2/grub.cfg\n"])
def test_a_stub_hands_over_to_the_full_menu(iso, stub):
    fake = iso({**KIWI_FILES, "boot/grub2/grub.cfg": KIWI_MENU, "EFI/BOOT/grub.cfg": stub})
    assert fake.boot(configs=("EFI/BOOT/grub.cfg",))[0][:3] == (
        "boot/x86_64/loader/linux", "boot/x86_64/loader/initrd", "root=live:CDLABEL=F42 rd.live.image quiet")


def test_hand_offs_that_loop_end(iso):
    fake = iso({**KIWI_FILES, "a/grub.cfg": "configfile /b/grub.cfg\n",
                "b/grub.cfg": "configfile /a/grub.cfg\n" + KIWI_MENU})
    assert len(fake.boot(configs=("a/grub.cfg",))) == 1


def test_isolinux_include_is_read(iso):
    menu = "label linux\n  kernel vmlinuz\n  append initrd=initrd.img root=live:LABEL=x ro\n"
    fake = iso({"isolinux/vmlinuz": b"k", "isolinux/initrd.img": b"i", "isolinux/isolinux.cfg": "include menu.cfg\n",
                "isolinux/menu.cfg": menu})
    assert fake.boot() == [("isolinux/vmlinuz", "isolinux/initrd.img", "root=live:LABEL=x ro", "isolinux/menu.cfg")]


def test_the_plain_entry_wins_over_a_default_media_check_or_basic_graphics(iso):
    menu = ('set default="1"\n'
            "menuentry 'Start basic graphics mode' {\n linux /v nomodeset a\n initrd /i\n}\n"
            "menuentry 'Test this media & start' {\n linux /v rd.live.check a\n initrd /i\n}\n"
            "menuentry 'Start' {\n linux /v a BOOT_IMAGE=/v initrd=/i\n initrd /i\n}\n")
    fake = iso({"v": b"k", "i": b"i", "boot/grub2/grub.cfg": menu})
    assert fake.boot() == [("v", "i", "a", "boot/grub2/grub.cfg")]


def test_kiwis_failsafe_and_mediacheck_entries_lose_even_as_the_default(iso):
    menu = ('set default="1"\n'
            'menuentry "Failsafe -- Fedora" {\n linux ($root)/k a ide=nodma 3\n initrd ($root)/i\n}\n'
            'menuentry "Mediacheck" {\n linux ($root)/k a mediacheck=1\n initrd ($root)/i\n}\n'
            'menuentry "Fedora" {\n linux ($root)/k a ${isoboot}\n initrd ($root)/i\n}\n')
    assert iso({"k": b"k", "i": b"i", "boot/grub2/grub.cfg": menu}).boot()[0][2] == "a"


def test_each_distinct_kernel_is_one_image_in_menu_order(iso):
    menu = ("menuentry 'Start' {\n linux /images/pxeboot/vmlinuz0 a\n initrd /images/pxeboot/initrd0.img\n}\n"
            "menuentry 'Start (debug)' {\n linux /images/pxeboot/vmlinuz1 b\n initrd /images/pxeboot/initrd1.img\n}\n"
            "menuentry 'Memory test' {\n linux16 /images/memtest\n}\n")
    fake = iso({"images/pxeboot/vmlinuz0": b"k0", "images/pxeboot/initrd0.img": b"i0", "images/memtest": b"m",
                "images/pxeboot/vmlinuz1": b"k1", "images/pxeboot/initrd1.img": b"i1", "boot/grub2/grub.cfg": menu})
    assert [(k, a) for k, _, a, _ in fake.boot()] == [("images/pxeboot/vmlinuz0", "a"),
                                                      ("images/pxeboot/vmlinuz1", "b")]


def test_copies_of_one_kernel_in_two_folders_are_one_image(iso):
    """lorax: isolinux.cfg boots isolinux/vmlinuz, the EFI grub.cfg the same bytes in images/pxeboot/."""
    kernel, initrd = os.urandom(200_000), os.urandom(300_000)
    files = {"isolinux/vmlinuz": kernel, "isolinux/initrd.img": initrd, "images/pxeboot/vmlinuz": kernel,
             "images/pxeboot/initrd.img": initrd,
             "isolinux/isolinux.cfg": "label linux\n kernel vmlinuz\n append initrd=initrd.img x\n",
             "EFI/BOOT/grub.cfg": "menuentry S {\n linuxefi /images/pxeboot/vmlinuz x\n"
                                  " initrdefi /images/pxeboot/initrd.img\n}\n"}
    assert [k for k, *_ in iso(files).boot()] == ["isolinux/vmlinuz"]
    files["images/pxeboot/initrd.img"] = initrd[:150_000] + b"!" + initrd[150_001:]  # another build, same length
    assert [k for k, *_ in iso(files).boot()] == ["isolinux/vmlinuz", "images/pxeboot/vmlinuz"]


def test_well_known_folders_only_when_no_menu_names_a_kernel(iso):
    files = {"images/pxeboot/vmlinuz0": b"k", "images/pxeboot/initrd0.img": b"i", "isolinux/vmlinuz9": b"x"}
    assert iso(files).boot() == [("images/pxeboot/vmlinuz0", "images/pxeboot/initrd0.img", None, None)]
    menu = "label l\n kernel vmlinuz9\n append initrd=initrd9.img quiet\n"
    files.update({"isolinux/isolinux.cfg": menu, "isolinux/initrd9.img": b"j"})
    assert iso(files).boot() == [("isolinux/vmlinuz9", "isolinux/initrd9.img", "quiet", "isolinux/isolinux.cfg")]


def test_what_a_menu_names_but_the_iso_lacks_is_named(iso):
    fake = iso({"boot/grub2/grub.cfg": KIWI_MENU, "boot/x86_64/loader/linux": b"k"})
    with pytest.raises(LivepxeError, match=r"menus name boot/x86_64/loader/initrd, which the ISO does not hold"):
        fake.boot()


def test_no_kernel_anywhere_says_where_it_looked(iso):
    with pytest.raises(LivepxeError, match=r"holds no kernel: no boot menu \(isolinux/isolinux.cfg.*no vmlinuz\* in "
                                           r"images/pxeboot, isolinux, syslinux"):
        iso({"LiveOS/squashfs.img": b"s"}).boot()
    with pytest.raises(LivepxeError, match=r"images/pxeboot/vmlinuz0 has no initrd0.img beside it"):
        iso({"images/pxeboot/vmlinuz0": b"k"}).boot()
