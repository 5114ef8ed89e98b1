"""What each renderer writes: pxelinux, GRUB and iPXE entries, the dnsmasq and ISC dhcpd snippets."""

from __future__ import annotations

import subprocess

import pytest

from livepxe.bootconf import BootEntry, dhcpd, dnsmasq, grub, ipxe, kea, pxelinux
from livepxe.bootconf.dhcp import SiteBootFiles

from .samples import FILES, INTEGRATED

SELF = [BootEntry("livepxe0", "Fedora-Live (vmlinuz0)", "vmlinuz0", ("initrd0.img", "iso0.img"),
                  'root=live:/Fedora-Live.iso rd.live.image ks="a b"')]


def test_pxelinux_one_entry_boots_without_a_prompt():
    entry = BootEntry("livepxe0", "Live (vmlinuz0)", "/live/a/vmlinuz0", ("/live/a/initrd0.img", "/live/a/iso0.img"),
                      "root=live:/x.iso ro")
    assert pxelinux.render([entry], "c") == (
        "# c\nDEFAULT livepxe0\nPROMPT 0\nTIMEOUT 1\n\nLABEL livepxe0\n  MENU LABEL Live (vmlinuz0)\n"
        "  KERNEL /live/a/vmlinuz0\n  APPEND initrd=/live/a/initrd0.img,/live/a/iso0.img root=live:/x.iso ro\n"
        "\nONERROR LOCALBOOT 0\n")


def test_pxelinux_several_entries_prompt_and_default_to_the_marked_one():
    entries = [BootEntry(f"l{i}", "t", f"vmlinuz{i}", (f"initrd{i}.img",), "ro", default=i == 1) for i in range(2)]
    text = pxelinux.render(entries, "c")
    assert "DEFAULT l1\nPROMPT 1" in text and text.count("LABEL l") == 2


def test_pxelinux_refuses_what_it_cannot_name_or_carry():
    base = SELF[0]
    for bad in (BootEntry("a b", "t", "k", (), ""), BootEntry("l", "t", "k x", (), ""),
                BootEntry("l", "t", "k", ("a,b",), ""), BootEntry("l", "t", "k", (), "initrd=/etc/x"),
                BootEntry("l", "t", "k", (), "a\x1bb")):
        with pytest.raises(ValueError):
            pxelinux.render([bad], "c")
    assert pxelinux.render([base], "c")


def test_grub_names_files_from_the_tftp_root_and_quotes_what_grub_would_mangle():
    text = grub.render(SELF, "comment")
    assert "  linux /vmlinuz0 root=live:/Fedora-Live.iso rd.live.image 'ks=a b'\n" in text
    assert "  initrd /initrd0.img /iso0.img\n" in text
    assert "set default=livepxe0\nset timeout=0\n" in text
    several = grub.render(INTEGRATED, "c")
    assert "linux /live/devel/minimal/vmlinuz1 root=live:/x.iso ro" in several
    assert "set timeout=5" in several and several.count("menuentry ") == 2


def test_grub_cannot_carry_what_it_would_escape():
    """GRUB puts a backslash before every quote and backslash it hands the kernel."""
    assert [w for w in ("it's", 'a"b', "a\\x20b", '""', 'k="a"b"') if grub.carries(w)] == []
    assert all(grub.carries(w) for w in ('k="a b"', '"a b"', "$x", "a;b", "{}"))
    with pytest.raises(ValueError):
        grub.render([BootEntry("l", "t", "k", (), "it's")], "c")


def test_grub_quote_round_trips_through_a_posix_shell():
    for word in ("plain", "a b", "it's", 'x="1 2"', "semi;colon", "$dollar", "}"):
        out = subprocess.run(["sh", "-c", f"printf %s {grub.quote(word)}"], capture_output=True, text=True)
        assert out.stdout == word


def test_ipxe_script_uses_uris_relative_to_itself():
    text = ipxe.render(SELF, "comment")
    assert text.startswith("#!ipxe\n")
    assert ("kernel vmlinuz0 initrd=initrd0.img initrd=iso0.img root=live:/Fedora-Live.iso rd.live.image "
            "ks=\"a b\"\ninitrd initrd0.img\ninitrd iso0.img\nboot\n") in text
    integrated = ipxe.render(INTEGRATED, "c", "live/devel/minimal")
    assert "kernel vmlinuz1 initrd=initrd1.img initrd=iso0.img root=live:/x.iso ro" in integrated
    assert "choose --default livepxe0" in integrated and ":livepxe1\n" in integrated
    assert ipxe.relative_uri("/live/a/vmlinuz0", "live/b") == "../a/vmlinuz0"


def test_ipxe_refuses_a_path_it_cannot_write_as_a_uri():
    with pytest.raises(ValueError):
        ipxe.relative_uri("/dir with space/vmlinuz0", "")


def test_dnsmasq_routes_by_client_architecture_and_ipxe_user_class():
    text = dnsmasq.render(FILES["self"], "c")
    assert "dhcp-match=set:efi-x86_64,option:client-arch,7" in text
    assert "dhcp-match=set:efi-x86_64,option:client-arch,9" in text
    assert "dhcp-boot=tag:efi-x86_64,tag:!ipxe,bootx64.efi" in text
    assert "dhcp-boot=tag:!efi-x86_64,tag:!ipxe,pxelinux.0" in text
    assert "dhcp-boot=tag:ipxe,boot.ipxe" in text and "tftp-root=/srv/tftp/live" in text
    assert "# No UEFI loader in this tree" in dnsmasq.render(FILES["bios-only"], "c")


def test_isc_dhcpd_branches_on_option_93():
    text = dhcpd.render(FILES["self"], "c")
    assert not [s for s in dhcpd.statements(text) if "code" in s.tokens]   # dhcpd refuses a definition in a scope
    assert "\noption arch code 93 = unsigned integer 16;\n" in dhcpd.render_toplevel("c", "/srv/tftp/dhcp")
    assert ('if exists user-class and option user-class = "iPXE" {\n  filename "boot.ipxe";\n'
            '} elsif option arch = 00:07 or option arch = 00:09 {\n  filename "bootx64.efi";\n'
            '} else {\n  filename "pxelinux.0";\n}\n') in text
    bios_only = dhcpd.render(SiteBootFiles(bios="pxelinux.0", uefi=None, ipxe=None), "c")
    assert 'filename "pxelinux.0";' in bios_only and all(s.end == ";" for s in dhcpd.statements(bios_only))


def test_kea_classes_route_by_user_class_then_option_93():
    text = kea.render(FILES["self"], "c")
    got = {c["name"]: (c["test"], c["boot-file-name"]) for c in kea.classes(text)}
    assert got == {"livepxe-ipxe": ("option[77].hex == 'iPXE'", "boot.ipxe"),
                   "livepxe-uefi-x64": ("not member('livepxe-ipxe') and (option[93].hex == 0x0007 or "
                                        "option[93].hex == 0x0009)", "bootx64.efi"),
                   "livepxe-bios": ("not member('livepxe-ipxe') and not member('livepxe-uefi-x64')", "pxelinux.0")}
    assert '"client-classes": [ <?include "/srv/tftp/live/dhcp/kea-dhcp4.conf"?> ],' in text
    assert "member('livepxe-uefi-x64')" not in kea.render(FILES["bios-only"], "c")   # no class, no reference


def test_each_snippet_names_where_it_goes():
    folder = "/var/lib/tftpboot/live/x/dhcp"
    assert '#   include "/var/lib/tftpboot/live/x/dhcp/dhcpd.conf";' in dhcpd.render(FILES["self"], "c", folder)
    assert '#   include "/var/lib/tftpboot/live/x/dhcp/dhcpd-toplevel.conf";' in dhcpd.render_toplevel("c", folder)
    assert "#   conf-file=/var/lib/tftpboot/live/x/dhcp/dnsmasq.conf" in dnsmasq.render(FILES["self"], "c", folder)
    assert "#   next-server 192.0.2.1;" in dhcpd.render(FILES["self"], "c", folder)
    assert '#   "next-server": "192.0.2.1",' in kea.render(FILES["self"], "c", folder)
    odd = '/srv/a "b"/dhcp'
    assert '#   include "/PATH/TO/THIS/FILE";' in dhcpd.render(FILES["self"], "c", odd + "\n")
    assert '<?include "/PATH/TO/THIS/FILE"?>' in kea.render(FILES["self"], "c", odd)
    assert "#   conf-file=/PATH/TO/THIS/FILE" in dnsmasq.render(FILES["self"], "c", odd)
