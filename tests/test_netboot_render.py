"""GRUB, iPXE and DHCP renderings, the HTTP-root rewriting and the size guidance."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from livepxe import httproot, sizing
from livepxe.bootconf import dhcp
from livepxe.bootconf import grub as grubnet
from livepxe.bootconf import ipxe
from livepxe.bootconf.entry import BootEntry
from livepxe.errors import LivepxeError

SELF = [BootEntry("livepxe0", "Fedora-Live (vmlinuz0)", "vmlinuz0", ("initrd0.img", "iso0.img"),
                  'root=live:/Fedora-Live.iso rd.live.image ks="a b" it\'s')]
INTEGRATED = [BootEntry(f"livepxe{i}", f"Live ({i})", f"/live/devel/minimal/vmlinuz{i}",
                        (f"/live/devel/minimal/initrd{i}.img",), "root=live:/x.iso ro") for i in (0, 1)]


def test_grub_names_files_from_the_tftp_root_and_quotes_what_grub_would_mangle():
    text = grubnet.render(SELF, "comment")
    assert "  linux /vmlinuz0 root=live:/Fedora-Live.iso rd.live.image 'ks=\"a b\"' 'it'\\''s'\n" in text
    assert "  initrd /initrd0.img /iso0.img\n" in text
    assert "set default=livepxe0\nset timeout=0\n" in text
    several = grubnet.render(INTEGRATED, "c")
    assert "linux /live/devel/minimal/vmlinuz1 root=live:/x.iso ro" in several
    assert "set timeout=5" in several and several.count("menuentry ") == 2


@pytest.mark.skipif(shutil.which("grub-script-check") is None, reason="needs grub-script-check (grub-common)")
@pytest.mark.parametrize("entries", [SELF, INTEGRATED])
def test_grub_config_passes_grubs_own_parser(entries, tmp_path):
    cfg = tmp_path / "grub.cfg"
    cfg.write_text(grubnet.render(entries, "comment"))
    subprocess.run(["grub-script-check", str(cfg)], check=True)
    cfg.write_text("menuentry 'x' {\n  linux /a\n")  # the checker itself rejects a broken config
    assert subprocess.run(["grub-script-check", str(cfg)], capture_output=True).returncode != 0


def test_grub_quote_round_trips_through_a_posix_shell():
    for word in ('plain', 'a b', "it's", 'x="1 2"', 'semi;colon', '$dollar'):
        out = subprocess.run(["sh", "-c", f"printf %s {grubnet.quote(word)}"], capture_output=True, text=True)
        assert out.stdout == word


def test_ipxe_script_uses_uris_relative_to_itself():
    text = ipxe.render(SELF, "comment")
    assert text.startswith("#!ipxe\n")
    assert ("kernel vmlinuz0 initrd=initrd0.img initrd=iso0.img root=live:/Fedora-Live.iso rd.live.image "
            "ks=\"a b\" it's\ninitrd initrd0.img\ninitrd iso0.img\nboot\n") in text
    integrated = ipxe.render(INTEGRATED, "c", "live/devel/minimal")
    assert "kernel vmlinuz1 initrd=initrd1.img root=live:/x.iso ro\ninitrd initrd1.img\n" in integrated
    assert "choose --default livepxe0" in integrated and ":livepxe1\n" in integrated
    assert ipxe.relative_uri("/live/a/vmlinuz0", "live/b") == "../a/vmlinuz0"


def test_ipxe_refuses_a_path_it_cannot_write_as_a_uri():
    with pytest.raises(ValueError):
        ipxe.relative_uri("/dir with space/vmlinuz0", "")


FILES = dhcp.BootFiles(bios="pxelinux.0", uefi="bootx64.efi", ipxe="boot.ipxe", tftp_root="/srv/tftp/live")


def test_dnsmasq_routes_by_client_architecture_and_ipxe_user_class():
    text = dhcp.dnsmasq(FILES, "c")
    assert "dhcp-match=set:efi-x86_64,option:client-arch,7" in text
    assert "dhcp-match=set:efi-x86_64,option:client-arch,9" in text
    assert "dhcp-boot=tag:efi-x86_64,tag:!ipxe,bootx64.efi" in text
    assert "dhcp-boot=tag:!efi-x86_64,tag:!ipxe,pxelinux.0" in text
    assert "dhcp-boot=tag:ipxe,boot.ipxe" in text and "tftp-root=/srv/tftp/live" in text


@pytest.mark.skipif(shutil.which("dnsmasq") is None, reason="needs dnsmasq (apt-get install dnsmasq-base)")
@pytest.mark.parametrize("files", [FILES, dhcp.BootFiles(bios="pxelinux.0", uefi=None, ipxe="live/boot.ipxe")])
def test_dnsmasq_snippet_passes_dnsmasqs_syntax_check(files, tmp_path):
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(dhcp.dnsmasq(files, "c"))
    subprocess.run(["dnsmasq", "--test", f"--conf-file={conf}"], check=True, capture_output=True)
    conf.write_text(dhcp.dnsmasq(files, "c") + "dhcp-boot-typo=x\n")  # the check can fail
    assert subprocess.run(["dnsmasq", "--test", f"--conf-file={conf}"], capture_output=True).returncode != 0


def test_isc_dhcpd_branches_on_option_93():
    text = dhcp.isc_dhcpd(FILES, "c")
    assert "option arch code 93 = unsigned integer 16;" in text
    assert ('if exists user-class and option user-class = "iPXE" {\n  filename "boot.ipxe";\n'
            '} elsif option arch = 00:07 or option arch = 00:09 {\n  filename "bootx64.efi";\n'
            '} else {\n  filename "pxelinux.0";\n}\n') in text
    bios_only = dhcp.isc_dhcpd(dhcp.BootFiles(bios="pxelinux.0", uefi=None, ipxe=None), "c")
    assert 'filename "pxelinux.0";' in bios_only and "{" not in bios_only
    for snippet in (text, bios_only, dhcp.isc_dhcpd(dhcp.BootFiles(None, "bootx64.efi", "boot.ipxe"), "c")):
        assert snippet.count("{") == snippet.count("}")


def test_http_url_names_the_iso_under_the_base_or_takes_a_full_iso_url():
    assert httproot.iso_url("http://10.0.2.2:8080/live/", "F.iso") == ("http://10.0.2.2:8080/live/F.iso", True)
    assert httproot.iso_url("https://cdn.example/x/Other.iso", "F.iso") == ("https://cdn.example/x/Other.iso", False)
    for bad in ("10.0.2.2/live", "file:///tmp/x", "http://h/a b", "http://h/$x"):
        with pytest.raises(LivepxeError):
            httproot.iso_url(bad, "F.iso")


def test_http_cmdline_points_root_at_the_url_and_brings_the_network_up():
    assert (httproot.http_cmdline("root=live:/F.iso ro rd.live.image", "F.iso", "http://h/F.iso")
            == "root=live:http://h/F.iso ro rd.live.image ip=dhcp rd.neednet=1")
    kept = httproot.http_cmdline("root=live:/F.iso ip=eth0:dhcp rd.neednet=1", "F.iso", "http://h/F.iso")
    assert kept == "root=live:http://h/F.iso ip=eth0:dhcp rd.neednet=1"


def test_size_guidance():
    mib = 1024 * 1024
    assert sizing.initrd_warnings(31 * mib) == []
    assert "RFC 2348" in sizing.initrd_warnings(33 * mib)[0]
    assert any("GRUB on some UEFI" in w for w in sizing.initrd_warnings(600 * mib))
    assert any("EFI stub" in w for w in sizing.initrd_warnings(1100 * mib))
    assert any("legacy BIOS" in w for w in sizing.initrd_warnings(2100 * mib))
