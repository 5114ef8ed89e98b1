"""Issue 18, Low 14: ``serve --dhcp`` on a LAN that already has a DHCP server is refused in one line.

A real site DHCP server (dnsmasq, addresses only, pinging before it offers)
on the LAN; serve's DHCPDISCOVER finds it.  Without it serve starts.
"""

from __future__ import annotations

import signal

import pytest

from livepxe.convert import ConvertOptions, convert
from livepxe.serve import otherdhcp
from tests.serve.lan import SERVER, SITE, livepxe_serve, serve_lan, site_dhcp

LAB_RANGE = "198.18.0.200,198.18.0.210"


@pytest.fixture
def lan():
    yield from serve_lan("lpsd", ("dnsmasq",))


@pytest.fixture
def tree(tiny_iso, tmp_path):
    folder = tmp_path / "public"
    folder.mkdir()
    for path in (tmp_path, *tmp_path.parents):
        path.chmod(path.stat().st_mode | 0o005)
    return convert(ConvertOptions(iso=tiny_iso, output=folder / "tree", progress=False)).root


def test_dhcp_beside_a_sites_dhcp_server_is_refused_naming_it(lan, tree, tmp_path):
    site = lan.add_host("site", SITE)
    site_dhcp(lan, site, tmp_path)
    server = lan.add_host("serve", SERVER)
    with pytest.raises(AssertionError, match=r"(?s)error: another DHCP server \(198\.18\.0\.1\) already hands out "
                                             r"addresses on eth0.*serve without --dhcp"):
        livepxe_serve(lan, server, tree, tmp_path, "--dhcp", LAB_RANGE)
    out = (tmp_path / "serve.out").read_text()
    assert "Traceback" not in out and len([line for line in out.splitlines() if "error" in line]) == 1, out


def test_dhcp_on_a_lan_without_one_starts(lan, tree, tmp_path):
    server = lan.add_host("serve", SERVER)
    proc, out = livepxe_serve(lan, server, tree, tmp_path, "--dhcp", LAB_RANGE)
    assert "DHCP server for 198.18.0.200-198.18.0.210" in out.read_text()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def test_offers_are_told_from_other_replies():
    xid, mac = 0x1234ABCD, b"\x02\x00\x00\x00\x00\x01"
    request = otherdhcp.discover(xid, mac)
    assert len(request) == 300 and request[:1] == b"\x01" and otherdhcp.offer_from(request, xid) is None
    offer = bytearray(request)
    offer[0] = 2
    offer[240:] = bytes([53, 1, 2, 54, 4, 198, 18, 0, 1, 255]).ljust(60, b"\0")
    assert otherdhcp.offer_from(bytes(offer), xid) == "198.18.0.1"
    assert otherdhcp.offer_from(bytes(offer), xid + 1) is None          # someone else's exchange
    offer[242] = 5                                                      # an ACK, not an offer
    assert otherdhcp.offer_from(bytes(offer), xid) is None
