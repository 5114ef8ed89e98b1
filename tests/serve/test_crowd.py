"""A hundred PXE clients at once through one ``livepxe serve --dhcp``: none refused or lost, every byte checked.

Issue 16, 6b.  Each client is a network namespace of its own on the test
LAN (tests/serve/crowd.py): a real DHCP client sending PXE options, its
first loader over TFTP, kernel and initrd over HTTP, all started at once.
Half the crowd says BIOS (option 93 = 0), half x86-64 UEFI (7).  Needs root,
dnsmasq, busybox (udhcpc, tftp) and curl, no QEMU: about 15 s.
"""

from __future__ import annotations

import ipaddress
import shutil
import tempfile
from pathlib import Path

import pytest

from livepxe.convert import ConvertOptions, convert
from tests.fixtures import netns
from tests.serve import crowd
from tests.serve.lan import SERVER, livepxe_serve

CLIENTS = 100
RANGE = ("198.18.0.10", "198.18.0.250")
IP = SERVER.split("/")[0]


@pytest.fixture
def lan():
    why = netns.usable() or next((f"needs {tool}" for tool in ("dnsmasq", "busybox", "curl")
                                  if shutil.which(tool) is None), None)
    if why:
        pytest.skip(why)
    with netns.Lan() as made:
        yield made


@pytest.fixture
def tree(tiny_iso):
    folder = Path(tempfile.mkdtemp(prefix="livepxe-crowd-"))
    folder.chmod(0o755)
    yield convert(ConvertOptions(iso=tiny_iso, output=folder / "tree", progress=False)).root
    shutil.rmtree(folder, ignore_errors=True)


def test_a_hundred_clients_at_once_all_get_a_lease_their_loader_kernel_and_initrd(lan, tree, tmp_path):
    server = lan.add_host("serve", SERVER)
    clients = crowd.add_clients(lan, CLIENTS)
    proc, out = livepxe_serve(lan, server, tree, tmp_path, "--dhcp", ",".join(RANGE))
    banner = out.read_text()
    loaders = crowd.loaders(banner)
    files = crowd.boot_files(tree)
    digests = crowd.expected(tree, banner, [*loaders.values(), *files])

    outcomes = crowd.run(lan, clients, tmp_path / "crowd", [f"http://{IP}/{name}" for name in files],
                         [crowd.BIOS, crowd.UEFI])

    problems = [p for o in outcomes for p in crowd.problems(o, loaders[o.arch], files, digests, IP)]
    assert not problems, f"{len(problems)} problems, first: " + "\n".join(problems[:5])
    addresses = {o.lease["ip"] for o in outcomes}
    assert len(addresses) == CLIENTS
    assert all(ipaddress.IPv4Address(RANGE[0]) <= ipaddress.IPv4Address(a) <= ipaddress.IPv4Address(RANGE[1])
               for a in addresses)
    assert proc.poll() is None, out.read_text()[-2000:]
    start = min(o.times["start"] for o in outcomes)
    print(f"{CLIENTS} clients: all leased {max(o.times['dhcp'] for o in outcomes) - start:.1f} s, "
          f"all hold their files {max(o.times['http'] for o in outcomes) - start:.1f} s after the first started")
