"""The HTTP live root: where the client downloads the ISO, and the kernel arguments that make it do so."""

from __future__ import annotations

import pytest

from livepxe.errors import LivepxeError
from livepxe.tree import isourl


def test_http_url_names_the_iso_under_the_base_or_takes_a_full_iso_url():
    assert isourl.iso_url("http://10.0.2.2:8080/live/", "F.iso") == ("http://10.0.2.2:8080/live/F.iso", True)
    assert isourl.iso_url("https://cdn.example/x/Other.iso", "F.iso") == ("https://cdn.example/x/Other.iso", False)
    for bad in ("10.0.2.2/live", "file:///tmp/x", "http://h/a b", "http://h/$x"):
        with pytest.raises(LivepxeError):
            isourl.iso_url(bad, "F.iso")


def test_http_cmdline_points_root_at_the_url_and_brings_the_network_up():
    assert (isourl.http_cmdline("root=live:/F.iso ro rd.live.image", "F.iso", "http://h/F.iso")
            == "root=live:http://h/F.iso ro rd.live.image ip=dhcp rd.neednet=1")
    kept = isourl.http_cmdline("root=live:/F.iso ip=eth0:dhcp rd.neednet=1", "F.iso", "http://h/F.iso")
    assert kept == "root=live:http://h/F.iso ip=eth0:dhcp rd.neednet=1"
