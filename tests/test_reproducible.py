"""The same ISO bytes give the same tree: whatever the ISO's folder and mtime, the output folder, the clock."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from livepxe.convert import convert
from livepxe.options import ConvertOptions
from livepxe.tree.layout import DHCP_SNIPPETS

#: Files that must name the tree's host folder (dnsmasq serves TFTP from it; each DHCP snippet names the line
#: that includes it from there), and the manifest listing them.
NAMES_HOST_PATH = {*DHCP_SNIPPETS, "SHA256SUMS"}


def _files(tree: Path) -> dict[str, bytes]:
    return {p.relative_to(tree).as_posix(): p.read_bytes() for p in sorted(tree.rglob("*")) if p.is_file()}


def _two_trees(tiny_iso: Path, tmp_path: Path, monkeypatch, **variant) -> tuple[dict, dict, Path, Path]:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first_dir, second_dir = tmp_path / "a", tmp_path / "b" / "deeper"
    first_dir.mkdir()
    second_dir.mkdir(parents=True)
    first, second = first_dir / tiny_iso.name, second_dir / tiny_iso.name
    shutil.copyfile(tiny_iso, first)
    shutil.copyfile(tiny_iso, second)
    os.utime(first, (1_000_000_000, 1_000_000_000))
    os.utime(second, (1_700_000_000, 1_700_000_000))
    convert(ConvertOptions(iso=first, output=tmp_path / "out1", progress=False, **variant))
    time.sleep(1.1)  # a second later on the clock
    (tmp_path / "x").mkdir()
    convert(ConvertOptions(iso=second, output=tmp_path / "x" / "out2", progress=False, **variant))
    return _files(tmp_path / "out1"), _files(tmp_path / "x" / "out2"), tmp_path / "out1", tmp_path / "x" / "out2"


@pytest.mark.parametrize("variant", [dict(), dict(initrd_mode="separate"), dict(compress="gzip")],
                         ids=["append", "separate", "gzip"])
def test_two_conversions_are_byte_identical(tiny_iso, tmp_path, monkeypatch, variant):
    one, two, out1, out2 = _two_trees(tiny_iso, tmp_path, monkeypatch, **variant)
    assert one.keys() == two.keys()
    differ = {name for name in one if one[name] != two[name]}
    assert differ <= NAMES_HOST_PATH, differ
    for name in differ:  # ... and only by the lines naming the tree's own folder
        lines = set(one[name].decode().splitlines()) ^ set(two[name].decode().splitlines())
        assert all(str(out1) in line or str(out2) in line or any(n in line for n in DHCP_SNIPPETS)
                   for line in lines), lines


def test_source_date_epoch_sets_the_carried_iso_date(tiny_iso, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", initrd_mode="separate", progress=False))
    header = (tmp_path / "t" / "iso0.img").read_bytes()[:110]
    assert int(header[46:54], 16) == 1234567890  # newc c_mtime


def test_without_source_date_epoch_the_date_comes_from_the_iso(tiny_iso, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    os.utime(tiny_iso, (1_000_000_000, 1_000_000_000))
    convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "t", initrd_mode="separate", progress=False))
    mtime = int((tmp_path / "t" / "iso0.img").read_bytes()[46:54], 16)
    assert mtime != 1_000_000_000 and abs(mtime - time.time()) < 24 * 3600  # xorriso stamped it today
