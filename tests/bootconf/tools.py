"""Each format's own checker, where it has one: GRUB's parser, dnsmasq's option reader, dhcpd -t, kea-dhcp4 -t."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest


def grub_script_check(text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    tool = shutil.which("grub-script-check") or shutil.which("grub2-script-check")
    if tool is None:
        pytest.skip("needs grub-script-check (Debian grub-common, Fedora grub2-tools-minimal)")
    path = tmp_path / "grub.cfg"
    path.write_text(text)
    return subprocess.run([tool, str(path)], capture_output=True, text=True)


def dnsmasq_test(text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    tool = shutil.which("dnsmasq")
    if tool is None:
        pytest.skip("needs dnsmasq (Debian dnsmasq-base, Fedora dnsmasq) for its --test syntax check")
    path = tmp_path / "dnsmasq.conf"
    path.write_text(text)
    return subprocess.run([tool, "--test", f"--conf-file={path}"], capture_output=True, text=True)

#: How dhcpd refuses option 93's definition inside a scope (the message depends on what surrounds it).
REFUSED = re.compile(r"option definitions may not be scoped|expecting a parameter or declaration")


def dhcpd_test(scope: str, toplevel: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """``dhcpd -t`` on a config with ``toplevel`` at top level and ``scope`` inside a subnet, as their comments say."""
    tool = shutil.which("dhcpd")
    if tool is None:
        pytest.skip("needs dhcpd (Debian isc-dhcp-server, Fedora dhcp-server) for its -t syntax check")
    (tmp_path / "top.conf").write_text(toplevel)
    (tmp_path / "scope.conf").write_text(scope)
    conf = tmp_path / "dhcpd.conf"
    conf.write_text(f'include "{tmp_path}/top.conf";\nsubnet 198.18.32.0 netmask 255.255.255.0 {{\n'
                    f'  next-server 198.18.32.2;\n  include "{tmp_path}/scope.conf";\n}}\n')
    return subprocess.run([tool, "-4", "-t", "-cf", str(conf)], capture_output=True, text=True)


def kea_test(classes: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """``kea-dhcp4 -t`` on a Dhcp4 config whose client-classes list includes ``classes``, as its comments say."""
    tool = shutil.which("kea-dhcp4")
    if tool is None:
        pytest.skip("needs kea-dhcp4 (Debian kea-dhcp4-server, Fedora kea) for its -t syntax check")
    (tmp_path / "classes.conf").write_text(classes)
    conf = tmp_path / "kea-dhcp4.conf"
    conf.write_text('{ "Dhcp4": { "client-classes": [ <?include "' + str(tmp_path / "classes.conf") + '"?> ],\n'
                    '  "subnet4": [ { "id": 1, "subnet": "198.18.32.0/24", "next-server": "198.18.32.2" } ] } }\n')
    env = {**os.environ, "KEA_LOCKFILE_DIR": str(tmp_path), "KEA_PIDFILE_DIR": str(tmp_path)}
    return subprocess.run([tool, "-t", str(conf)], capture_output=True, text=True, env=env)
