"""The one runner of external programs: a missing one names its Debian and Fedora/EL packages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import livepxe
from livepxe.errors import LivepxeError
from livepxe.host import run
from livepxe.write import payload

#: Modules still calling programs themselves: others were editing them while the runner landed.
NOT_YET: set[str] = set()


def test_a_missing_program_names_its_debian_and_fedora_el_packages(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LivepxeError) as caught:
        run.run("bsdtar", ["-tf", "-"], why="listing the initrd")
    assert str(caught.value) == ("bsdtar not found (needed listing the initrd): install libarchive-tools (Debian) "
                                 "or bsdtar (Fedora/EL)")
    with pytest.raises(LivepxeError, match="--compress xz: xz not found: install xz-utils \\(Debian\\) or xz "
                                           "\\(Fedora/EL\\), or use --compress none"):
        payload.check_compressor("xz")


def test_fedora_s_grub2_names_are_found(tmp_path, monkeypatch):
    tool = tmp_path / "grub2-script-check"
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert run.which("grub-script-check") == str(tool)
    assert run.run("grub-script-check", ["x.cfg"]).returncode == 0


def test_a_failing_program_is_one_line_with_the_end_of_its_stderr(tmp_path, monkeypatch):
    tool = tmp_path / "grub-mkimage"
    tool.write_text("#!/bin/sh\necho 'first line' >&2\necho 'grub-mkimage: error: cannot open mod' >&2\nexit 3\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LivepxeError) as caught:
        run.run("grub-mkimage", ["-O", "x86_64-efi"], why="making the UEFI netboot image")
    message = str(caught.value)
    assert message.startswith("grub-mkimage failed making the UEFI netboot image: first line")
    assert message.endswith("cannot open mod") and "\n" not in message  # one line
    assert run.run("grub-mkimage", [], check=False).returncode == 3


def test_only_the_runner_starts_programs():
    package = Path(livepxe.__file__).parent
    callers = {str(p.relative_to(package)) for p in package.rglob("*.py")
               if re.search(r"^import subprocess|^from subprocess|shutil\.which\(", p.read_text(), re.M)}
    assert callers - NOT_YET == {"host/run.py"}
