"""serve's port probes bind as dnsmasq and the HTTP server will (issue 18 item 9), in a namespace of their own."""

from __future__ import annotations

import ipaddress
import shutil
import socket
from pathlib import Path
from typing import Iterator

import pytest

from livepxe.errors import LivepxeError
from livepxe.serve import plan
from livepxe.serve.ports import check_ports
from tests.fixtures.netns import Lan, NetnsError, _thread_in_namespace

SERVER = "198.18.0.2/24"


@pytest.fixture
def lan_host(tmp_path: Path) -> Iterator[plan.Plan]:
    """This thread in a fresh namespace whose eth0 (SERVER) is served; its lo is "another interface"."""
    if shutil.which("ip") is None:
        pytest.skip("needs ip (iproute2)")
    try:
        with Lan() as lan:
            host = lan.add_host("srv", SERVER)
            with _thread_in_namespace(host.namespace):
                yield plan.Plan(root=tmp_path, interface="eth0", address=ipaddress.IPv4Interface(SERVER),
                                http_port=8080, dhcp_range=None, bios="pxelinux.0", uefi=None, ipxe=None,
                                grub_config=None, label="t")
    except NetnsError as exc:
        pytest.skip(str(exc))


def _udp(port: int, device: str | None = None, reuse: bool = False) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if reuse:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if device:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
    sock.bind(("0.0.0.0", port))
    return sock


def test_a_restart_while_the_last_connection_is_in_time_wait_is_accepted(lan_host):
    ip, port = lan_host.ip, lan_host.http_port
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the HTTP server binds
        listener.bind((ip, port))
        listener.listen()
        with socket.create_connection((ip, port)) as client:
            served, _ = listener.accept()
            served.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
            served.close()                     # the server closes first: its side waits in TIME_WAIT
            assert client.recv(100).startswith(b"HTTP/1.0 200")
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind((ip, port))                 # the state a probe without SO_REUSEADDR refused
    check_ports(lan_host)


def test_a_dhcp_server_bound_to_another_interface_does_not_block(lan_host):
    with _udp(67, "lo"), _udp(4011, "lo"):
        check_ports(lan_host)
    with _udp(67, "lo", reuse=True), _udp(4011, "lo", reuse=True):   # a dnsmasq with bind-interfaces on lo
        check_ports(lan_host)


@pytest.mark.parametrize("port, what", [(67, "DHCP"), (4011, "PXE proxy")])
def test_a_dhcp_server_on_every_interface_blocks_and_the_hint_names_the_interface(lan_host, port, what):
    with _udp(port), pytest.raises(LivepxeError) as refused:
        check_ports(lan_host)
    message = str(refused.value)
    assert message.startswith(f"port {port}/udp ({what}) on 0.0.0.0 (eth0) is taken")
    assert "server on eth0, or serve on another --interface" in message and "--http-port" not in message
    assert "\n" not in message


@pytest.mark.parametrize("reuse", [False, True])
def test_a_dhcp_server_on_the_same_interface_blocks(lan_host, reuse):
    """A second serve's dnsmasq shares port 67 (SO_REUSEADDR/SO_REUSEPORT); two proxies on one LAN are refused."""
    with _udp(67, "eth0", reuse), pytest.raises(LivepxeError, match=r"port 67/udp \(DHCP\) .* is taken"):
        check_ports(lan_host)


def test_a_taken_http_port_names_http_port(lan_host):
    with socket.socket() as busy:
        busy.bind((lan_host.ip, lan_host.http_port))
        busy.listen()
        with pytest.raises(LivepxeError, match="port 8080/tcp .* choose another --http-port"):
            check_ports(lan_host)
