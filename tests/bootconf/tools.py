"""Each format's own checker, where it has one: GRUB's parser and dnsmasq's option reader."""

from __future__ import annotations

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
