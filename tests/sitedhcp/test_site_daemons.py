"""The tree's DHCP snippets in the site's own daemons, placed exactly as their comments say.

Syntax: ``dhcpd -t``, ``kea-dhcp4 -t`` and ``dnsmasq --test`` accept the site
config each snippet's comments describe (dhcpd's snippet inside a subnet),
and refuse it when the snippet is placed where its comments say not to.
Answers: in a network namespace LAN each daemon, run from that config,
offers a BIOS, a UEFI and an iPXE client (busybox udhcpc, sending option 93
and the user class as those clients do) the right boot file and the TFTP
server holding it as next-server, and that server hands out those bytes.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from livepxe.tree.layout import DHCPD, DHCPD_TOPLEVEL, KEA
from tests.bootconf.tools import REFUSED
from tests.boottest.trees import self_contained
from tests.fixtures import netns
from tests.sitedhcp import sites


@pytest.fixture
def readable():
    """A world-readable folder: dnsmasq's TFTP and tftp-hpa drop privileges (pytest's tmp folders are 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="livepxe-sitedhcp-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def tree(tiny_iso: Path, readable: Path) -> Path:
    return self_contained(tiny_iso, readable / "tree")


def _need(*extra: str) -> None:
    missing = sites.missing_tools(*extra)
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: install isc-dhcp-server, kea-dhcp4-server, dnsmasq-base, "
                    "busybox-static (.ci/apt-packages.txt)")


@pytest.mark.parametrize("daemon", sites.DAEMONS)
def test_each_daemon_accepts_the_site_config_its_snippet_describes(daemon, tree, tmp_path):
    _need()
    conf = sites.config(daemon, tree, tmp_path, "198.18.32.2")
    proc = sites.check(daemon, conf, tmp_path)
    assert proc.returncode == 0, conf.read_text() + proc.stdout + proc.stderr
    if daemon == "dhcpd":
        assert f'include "{tree}/{DHCPD}";' in conf.read_text().split("subnet ")[1]   # inside the subnet


def test_the_daemons_refuse_what_their_snippets_warn_against(tree, tmp_path):
    """The checks can fail: option 93 defined inside a subnet (the old snippet), a Kea class list with a typo."""
    _need()
    conf = sites.config("dhcpd", tree, tmp_path, "198.18.32.2")
    top = sites.told((tree / DHCPD_TOPLEVEL).read_text(), "include ")
    inside = conf.read_text().replace(top + "\n", "").replace("  include", f"  {top}\n  include")
    conf.write_text(inside)
    proc = sites.check("dhcpd", conf, tmp_path)
    assert proc.returncode != 0 and REFUSED.search(proc.stdout + proc.stderr)
    conf = sites.config("kea", tree, tmp_path, "198.18.32.2")
    (tree / KEA).write_text((tree / KEA).read_text().replace("member(", "membre("))
    assert sites.check("kea", conf, tmp_path).returncode != 0


@pytest.mark.parametrize("daemon", sites.DAEMONS)
def test_each_daemon_offers_every_client_kind_its_boot_file_and_server(daemon, tree, tmp_path):
    why = netns.usable()
    if why:
        pytest.skip(why)
    _need("in.tftpd")
    with sites.lan() as lan:
        site, client = lan.add_host("site", sites.SITE), lan.add_host("client", "")
        if daemon == "dnsmasq":
            server = site          # dnsmasq serves TFTP itself (enable-tftp)
        else:
            server = lan.add_host("tftp", sites.TFTP)
            sites.tftp_hpa(lan, server, tree, tmp_path)
        sites.start(daemon, lan, site, sites.config(daemon, tree, tmp_path, server.ip), tmp_path)
        got = sites.answers(lan, client, tmp_path)
    wanted = {"bios": "pxelinux.0", "uefi": "bootx64.efi", "ipxe": "boot.ipxe", "ipxe-uefi": "boot.ipxe"}
    log = (tmp_path / f"{'dnsmasq' if daemon == 'dnsmasq' else daemon}.log").read_text(errors="replace")[-3000:]
    for kind, answer in got.items():
        assert (answer.boot_file, answer.siaddr) == (wanted[kind], server.ip), f"{kind}: {answer}\n{log}"
        assert answer.fetched == (tree / wanted[kind]).read_bytes(), f"{kind}: {answer.log}"


def test_the_other_places_the_comments_name_also_work(tree, tmp_path):
    """dhcpd's scope snippet at top level instead of in the subnet; Kea's classes after a site's own class."""
    _need()
    conf = sites.config("dhcpd", tree, tmp_path, "198.18.32.2")
    scope = sites.told((tree / DHCPD).read_text(), "include ")
    text = conf.read_text().replace(f"  {scope}\n", "")
    conf.write_text(text.replace("subnet ", f"{scope}\nsubnet ", 1))
    assert text.count(scope) == 0 and conf.read_text().index(scope) < conf.read_text().index("subnet ")
    proc = sites.check("dhcpd", conf, tmp_path)
    assert proc.returncode == 0, conf.read_text() + proc.stderr
    conf = sites.config("kea", tree, tmp_path, "198.18.32.2")
    own = '{ "name": "site-printers", "test": "substring(option[60].hex,0,7) == \'Printer\'" }, '
    conf.write_text(conf.read_text().replace('"client-classes": [ ', '"client-classes": [ ' + own))
    proc = sites.check("kea", conf, tmp_path)
    assert proc.returncode == 0 and "site-printers" in conf.read_text(), conf.read_text() + proc.stdout
