"""A host without a prerequisite gets one line naming the Debian package, not dracut's log.

The fixtures check their tools before running any (tests/fixtures/prereqs.py).
These tests hide one tool behind a PATH (or dracut's DRACUT_PATH) made of stand-in
executables, so they say the same on every machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import initramfs, prereqs
from tests.fixtures.kernel import FixtureError, Kernel

REPO = Path(__file__).resolve().parents[1]
NOISY_DRACUT = "#!/bin/sh\ni=0\nwhile [ $i -lt 20 ]; do echo \"dracut: line $i\" >&2; i=$((i + 1)); done\nexit 1\n"


def bin_dir(path: Path, names: tuple[str, ...] | list[str], body: str = "#!/bin/sh\nexit 0\n") -> Path:
    """A folder of stand-in executables."""
    path.mkdir(parents=True, exist_ok=True)
    for name in names:
        exe = path / name
        exe.write_text(body)
        exe.chmod(0o755)
    return path


def modules_dir(path: Path, names: tuple[str, ...]) -> Path:
    """A dracut modules.d with the given modules (numbered as dracut numbers them)."""
    for name in names:
        (path / f"90{name}").mkdir(parents=True)
    return path


@pytest.fixture
def all_dracut_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = modules_dir(tmp_path / "modules.d", prereqs.INITRAMFS_MODULES)
    monkeypatch.setattr(prereqs, "DRACUT_MODULES_DIR", d)
    return d


def dracut_tools(path: Path, without: str = "") -> Path:
    names = sorted({c for m in prereqs.INITRAMFS_MODULES for c in prereqs.DRACUT_MODULE_COMMANDS[m]} - {without})
    return bin_dir(path, names)


def test_a_command_missing_from_path_is_named_with_its_package(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(bin_dir(tmp_path / "bin", ["mksquashfs"])))
    with pytest.raises(FixtureError) as exc:
        prereqs.require(["mksquashfs", "xorriso"])
    assert str(exc.value) == "missing xorriso (Debian package xorriso): run scripts/setup-host as root"


def test_everything_present_passes(tmp_path: Path, monkeypatch, all_dracut_modules: Path) -> None:
    monkeypatch.setenv("PATH", str(bin_dir(tmp_path / "bin", list(prereqs.INITRAMFS_COMMANDS))))
    monkeypatch.setenv("DRACUT_PATH", str(dracut_tools(tmp_path / "dracut-bin")))
    prereqs.require(prereqs.INITRAMFS_COMMANDS, prereqs.INITRAMFS_MODULES)


def test_several_gaps_still_make_one_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(prereqs, "DRACUT_MODULES_DIR", modules_dir(tmp_path / "modules.d", ("dmsquash-live",)))
    monkeypatch.setenv("PATH", str(bin_dir(tmp_path / "bin", [])))
    with pytest.raises(FixtureError) as exc:
        prereqs.require(["curl", "pgrep"], ["dmsquash-live", "livenet"], ["/nonexistent/busybox"])
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg == ("missing curl (Debian package curl), pgrep (Debian package procps), "
                   "/nonexistent/busybox (Debian package /nonexistent/busybox), "
                   "dracut module livenet (Debian package dracut-live): run scripts/setup-host as root")


def test_initramfs_without_curl_stops_before_dracut_in_one_line(tmp_path: Path, monkeypatch,
                                                                 all_dracut_modules: Path) -> None:
    """dracut looks for livenet's curl in DRACUT_PATH, not PATH: the check looks there too."""
    monkeypatch.setenv("PATH", str(bin_dir(tmp_path / "bin", ["dracut"], NOISY_DRACUT)) + ":"
                       + str(bin_dir(tmp_path / "bin2", ["cpio"])))
    monkeypatch.setenv("DRACUT_PATH", str(dracut_tools(tmp_path / "dracut-bin", without="curl")))
    kernel = Kernel(version="0.0-test", vmlinuz=tmp_path / "vmlinuz", moddir=tmp_path, package="test")
    out = tmp_path / "initrd.img"
    with pytest.raises(FixtureError) as exc:
        initramfs.build_initramfs(kernel, out)
    assert str(exc.value) == "missing curl (Debian package curl): run scripts/setup-host as root"
    assert not out.exists()


def test_initramfs_without_the_livenet_module_names_dracut_live(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(prereqs, "DRACUT_MODULES_DIR",
                        modules_dir(tmp_path / "modules.d", ("dmsquash-live", "network-legacy")))
    monkeypatch.setenv("PATH", str(bin_dir(tmp_path / "bin", ["dracut", "cpio"], NOISY_DRACUT)))
    monkeypatch.setenv("DRACUT_PATH", str(dracut_tools(tmp_path / "dracut-bin")))
    kernel = Kernel(version="0.0-test", vmlinuz=tmp_path / "vmlinuz", moddir=tmp_path, package="test")
    with pytest.raises(FixtureError) as exc:
        initramfs.build_initramfs(kernel, tmp_path / "initrd.img")
    assert str(exc.value) == ("missing dracut module livenet (Debian package dracut-live): "
                              "run scripts/setup-host as root")


def test_live_iso_script_without_xorriso_says_one_line_before_any_download(tmp_path: Path) -> None:
    """The demo's `python -m tests.fixtures.live_iso`: every other tool stands in, xorriso is absent."""
    others = [c for c in prereqs.COMMAND_PACKAGES if c != "xorriso"]
    env = dict(os.environ, PATH=str(bin_dir(tmp_path / "bin", others)),
               DRACUT_PATH=str(dracut_tools(tmp_path / "dracut-bin")), LIVEPXE_CACHE=str(tmp_path / "cache"))
    env.pop("LIVEPXE_KERNEL_DEB", None)
    proc = subprocess.run([sys.executable, "-m", "tests.fixtures.live_iso", str(tmp_path / "out.iso")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("live_iso: error: missing ")
    assert "xorriso (Debian package xorriso)" in lines[0]
    assert lines[0].endswith(": run scripts/setup-host as root")
    assert not (tmp_path / "cache" / "kernel").exists()
