"""The plan decides every file before the writer writes one; the dry run writes nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from livepxe import convert as engine
from livepxe.cli import main
from livepxe.convert import ConvertOptions, convert, dry_run
from livepxe.errors import LivepxeError

#: Every delivery and every option that changes which files a tree holds or where their bytes come from.
CASES = {
    "self-contained": {},
    "separate": {"initrd_mode": "separate"},
    "liveos": {"payload": "liveos"},
    "gzip": {"compress": "gzip"},
    "liveos-gzip-separate": {"payload": "liveos", "compress": "gzip", "initrd_mode": "separate"},
    "http-url-carried": {"http_url": "http://198.18.0.1/live/"},
    "http-url-liveos": {"http_url": "http://198.18.0.1/live/", "payload": "liveos"},
    "http-boot": {"http_boot": "http://198.18.0.1/tftpboot/"},
    "no-checksums": {"checksums": False},
    "integrated": {"tftproot": "root", "imagedir": "live/a", "bootfile": "live.a"},
    "integrated-separate-http-boot": {"tftproot": "root", "imagedir": "live/b", "bootfile": "live.b",
                                      "initrd_mode": "separate", "http_boot": "http://198.18.0.1/"},
}


def _options(iso: Path, base: Path, case: dict) -> ConvertOptions:
    values = dict(case)
    if "tftproot" in values:
        (base / values["tftproot"]).mkdir(exist_ok=True)
        values["tftproot"] = base / values["tftproot"]
    else:
        values["output"] = base / "tree"
    return ConvertOptions(iso=iso, progress=False, **values)


def _all_files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_the_writer_writes_exactly_the_planned_paths(tiny_iso, tmp_path, case, unsigned_grub_host):
    work = tmp_path / "work"
    work.mkdir()
    options = _options(tiny_iso, work, case)
    planned = json.loads(dry_run(options))
    assert _all_files(work) == set()                                     # the dry run wrote nothing
    result = convert(options)
    written = _all_files(result.root)
    assert {f["path"] for f in planned["files"]} == written
    assert sorted(str(p.relative_to(result.root)) for p in result.files) == sorted(written)
    for f in planned["files"]:                                           # sizes the plan knew are the sizes written
        if f["size"] is not None:
            assert (result.root / f["path"]).stat().st_size == f["size"], f["path"]


def test_the_plan_names_where_every_byte_comes_from(tiny_iso, tmp_path, unsigned_grub_host):
    planned = json.loads(dry_run(ConvertOptions(iso=tiny_iso, output=tmp_path / "tree", progress=False)))
    by_path = {f["path"]: f for f in planned["files"]}
    initrd = by_path["initrd0.img"]["sources"]
    assert "iso" in initrd[0] and {"iso": [0, tiny_iso.stat().st_size]} in initrd   # dracut image, ..., the ISO
    assert by_path["grubnetx64.efi"]["role"] == "loader" and by_path["pxelinux.cfg/default"]["role"] == "config"
    assert planned["uefi_loaders"].startswith("unsigned GRUB") and planned["boot_files"]["uefi"] == "grubnetx64.efi"
    assert f"root=live:/{tiny_iso.name}" in planned["entries"][0]["cmdline"]


def test_made_files_have_no_size_until_written(tiny_iso, tmp_path):
    planned = json.loads(dry_run(ConvertOptions(iso=tiny_iso, output=tmp_path / "tree", compress="gzip",
                                                progress=False)))
    initrd = next(f for f in planned["files"] if f["path"] == "initrd0.img")
    assert initrd["size"] is None and {"made": "archive"} in initrd["sources"]


def test_a_refusal_comes_from_the_plan_before_any_copy(tiny_iso, tmp_path, monkeypatch):
    """A missing compressor is a host failure: refused by the plan, so the writer never starts."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    started = []
    monkeypatch.setattr(engine, "write", lambda plan: started.append(plan))
    with pytest.raises(LivepxeError, match="--compress xz: .*xz"):
        convert(ConvertOptions(iso=tiny_iso, output=tmp_path / "tree", compress="xz", progress=False))
    assert started == [] and _all_files(tmp_path) == {tiny_iso.name}


def test_convert_plan_prints_json_and_writes_nothing(tiny_iso, tmp_path, capsys):
    before = set(os.listdir(tmp_path))
    assert main(["convert", "--plan", str(tiny_iso), "-o", str(tmp_path / "tree")]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert planned["root"] == str(tmp_path / "tree") and set(os.listdir(tmp_path)) == before


def test_the_plan_refuses_an_existing_output_in_one_line(tiny_iso, tmp_path, capsys):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "theirs").write_text("x")   # an empty folder is used (issue 19 item 7)
    assert main(["convert", "--plan", str(tiny_iso), "-o", str(tmp_path / "tree")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0]
