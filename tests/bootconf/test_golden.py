"""Rendered configs compared byte for byte with checked-in ``golden/*.result`` files (as lorax's tests do).

A change in what a renderer writes must show up here and be reviewed: set
``LIVEPXE_UPDATE_GOLDEN=1`` to rewrite the files, then read the diff.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Callable

import pytest

from livepxe.bootconf import dhcpd, dnsmasq, grub, ipxe, kea, pxelinux
from livepxe.bootconf.menu import MenuItem

from .samples import FILES, HTTP, INTEGRATED, SELF, TRICKY

GOLDEN = Path(__file__).parent / "golden"
COMMENT = "Written by livepxe 0.0 from Fedora-Live.iso (volume Fedora-Live); initramfs carries /Fedora-Live.iso"
HOSTILE_COMMENT = ("Written by livepxe 0.0 from evil\ndhcp-option=6,6.6.6.6.iso (volume L\r\nconfigfile (http,x)/y"
                   "\x1b[2J\x00 ; chain http://x/ && shell); initramfs carries /evil.iso")

#: A snippet folder no include line can name: a quote, Kea's include end, a line break.
HOSTILE_FOLDER = '/srv/t"ft?>p\n/dhcp'

HOSTILE_ENTRY = [replace(SELF[0], title="L\nconfigfile (http,x)/y ; chain http://x/ && shell ${x} #c '} \\")]

MENU = [MenuItem("live-f41", "Fedora-WS-Live-41", 2688, "pxelinux.cfg/live.f41", "grub/live.f41.cfg",
                 "live/f41/boot.ipxe"),
        MenuItem("live-rescue", "L\nconfigfile (http,x)/y ; chain http://x/ && shell ${x} #c '} \\", 448,
                 "pxelinux.cfg/rescue", "grub/rescue.cfg", "live/rescue/boot.ipxe")]
MENU_COMMENT = "livepxe catalogue menu: written by livepxe for 2 image(s)"
MACHINES = [("52:54:00:12:34:56", "live-rescue"), ("52:54:00:ab:cd:ef", "live-f41")]

CASES: dict[str, Callable[[], str]] = {
    "menu.pxelinux": lambda: pxelinux.render_menu(MENU, MENU_COMMENT, "menu.c32", 10),
    "menu.grub": lambda: grub.render_menu(MENU, MENU_COMMENT, 10),
    "menu.ipxe": lambda: ipxe.render_menu(MENU, MENU_COMMENT, 10),
    "machines.grub": lambda: grub.render_menu(MENU, MENU_COMMENT, 5, "live-f41", MACHINES),
    "machines.ipxe": lambda: ipxe.render_menu(MENU, MENU_COMMENT, 5, default="live-f41", machines=MACHINES),
    "self.pxelinux": lambda: pxelinux.render(SELF, COMMENT),
    "self.grub": lambda: grub.render(SELF, COMMENT),
    "self.ipxe": lambda: ipxe.render(SELF, COMMENT),
    "self.dnsmasq": lambda: dnsmasq.render(FILES["self"], COMMENT),
    "self.dhcpd": lambda: dhcpd.render(FILES["self"], COMMENT),
    "self.dhcpd-toplevel": lambda: dhcpd.render_toplevel(COMMENT, "/srv/tftp/live/dhcp"),
    "self.kea": lambda: kea.render(FILES["self"], COMMENT),
    "integrated.pxelinux": lambda: pxelinux.render(INTEGRATED, COMMENT),
    "integrated.grub": lambda: grub.render(INTEGRATED, COMMENT),
    "integrated.ipxe": lambda: ipxe.render(INTEGRATED, COMMENT, "live/devel/minimal"),
    "integrated.dnsmasq": lambda: dnsmasq.render(FILES["bios-only"], COMMENT),
    "integrated.dhcpd": lambda: dhcpd.render(FILES["bios-only"], COMMENT, "/var/lib/tftpboot/live/devel/minimal/dhcp"),
    "integrated.kea": lambda: kea.render(FILES["bios-only"], COMMENT, "/var/lib/tftpboot/live/devel/minimal/dhcp"),
    "uefi-only.kea": lambda: kea.render(FILES["uefi-only"], COMMENT),
    "http.pxelinux": lambda: pxelinux.render(HTTP, COMMENT),
    "http.grub": lambda: grub.render(HTTP, COMMENT),
    "http.ipxe": lambda: ipxe.render(HTTP, COMMENT, "live/devel/minimal"),
    "tricky.grub": lambda: grub.render(TRICKY, COMMENT),
    "tricky.ipxe": lambda: ipxe.render(TRICKY, COMMENT),
    "hostile.pxelinux": lambda: pxelinux.render(HOSTILE_ENTRY, HOSTILE_COMMENT),
    "hostile.grub": lambda: grub.render(HOSTILE_ENTRY, HOSTILE_COMMENT),
    "hostile.ipxe": lambda: ipxe.render(HOSTILE_ENTRY, HOSTILE_COMMENT),
    "hostile.dnsmasq": lambda: dnsmasq.render(FILES["odd-root"], HOSTILE_COMMENT),
    "hostile.dhcpd": lambda: dhcpd.render(FILES["self"], HOSTILE_COMMENT, HOSTILE_FOLDER),
    "hostile.dhcpd-toplevel": lambda: dhcpd.render_toplevel(HOSTILE_COMMENT, HOSTILE_FOLDER),
    "hostile.kea": lambda: kea.render(FILES["self"], HOSTILE_COMMENT, HOSTILE_FOLDER),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendering_matches_its_golden_file(name):
    path = GOLDEN / f"{name}.result"
    text = CASES[name]()
    if os.environ.get("LIVEPXE_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text()


def test_every_golden_file_has_a_case():
    assert sorted(p.name[:-len(".result")] for p in GOLDEN.glob("*.result")) == sorted(CASES)
