"""Every builder's live ISO (replicas from the field notes) converts through the command line and passes verify and
independent readers (GNU cpio on the initrd, xorriso on the ISO it carries); every medium that cannot boot from a
tree is refused in one line with nothing written, unless --accept-media."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from isofactory import require_xorriso
from replicas import REPLICAS, Parts, make_replica, tiny_parts

from livepxe.cli import main
from livepxe.tree.verify import verify

LIVE = [name for name, replica in REPLICAS.items() if replica.live]
REFUSED = [name for name, replica in REPLICAS.items() if not replica.live]
#: Refused media the override can convert (the netinst has no LiveOS/ at all: nothing to carry).
OVERRIDABLE = [name for name in REFUSED if "not a live image" not in REPLICAS[name].refusal]


@pytest.fixture(scope="module")
def parts(tmp_path_factory) -> Parts:
    return tiny_parts(tmp_path_factory.mktemp("parts"))


def _cpio(archive: bytes, *args: str) -> bytes:
    return subprocess.run(["cpio", "--quiet", *args], input=archive, capture_output=True, check=True).stdout


def _iso_files(iso: Path) -> set[str]:
    """The ISO's files as xorriso (libisofs, not pycdlib) lists them."""
    out = subprocess.run([require_xorriso(), "-indev", str(iso), "-find", "/", "-type", "f"],
                         capture_output=True, text=True, check=True).stdout
    return {line.strip().strip("'") for line in out.splitlines() if line.startswith("'")}


@pytest.mark.parametrize("name", LIVE)
def test_live_replica_converts_verifies_and_reads_back(name, parts, tmp_path, capsys):
    replica = REPLICAS[name]
    iso = make_replica(name, tmp_path / f"{name}.iso", parts)
    tree = tmp_path / "tftpboot"
    assert main(["convert", str(iso), "-o", str(tree), "-q"]) == 0
    err = capsys.readouterr().err  # no word on the media or its initrds (the host's loaders may be named)
    assert "--accept-media" not in err and "initrd" not in err, err
    report = verify(tree)
    assert report.ok, report.problems
    # one image per distinct kernel, each byte for byte from where the menus said
    note = json.loads((tree / "livepxe.json").read_text())
    assert sorted(p.name for p in tree.glob("vmlinuz*")) == [f"vmlinuz{i}" for i in range(replica.kernels)]
    assert (tree / "vmlinuz0").read_bytes() == parts.kernel.read_bytes()
    # the initrd: the ISO's dracut image, padding, then a newc archive that GNU cpio lists and unpacks
    dracut, initrd = parts.initrd.read_bytes(), (tree / "initrd0.img").read_bytes()
    assert initrd.startswith(dracut)
    archive = initrd[len(dracut) + (-len(dracut) % 4):]
    assert _cpio(archive, "-it").decode().split() == [f"{name}.iso"] == [note["iso_name"]]
    carried = tmp_path / "carried.iso"
    carried.write_bytes(_cpio(archive, "-i", "--to-stdout", f"{name}.iso"))
    assert carried.read_bytes() == iso.read_bytes()
    assert {"/" + replica.kernel, "/" + replica.initrd, "/LiveOS/squashfs.img"} <= _iso_files(carried)
    # the plain start entry's words, root= pointing into the initramfs, nothing only a bootloader reads
    append = [line.split(None, 1)[1] for line in (tree / "pxelinux.cfg/default").read_text().splitlines()
              if line.strip().startswith("APPEND")]
    assert append[0].split()[:2] == ["initrd=initrd0.img", f"root=live:/{name}.iso"]
    for line in append:
        assert "rd.live.image" in line
        assert not {"rd.live.check", "nomodeset"} & set(line.split()) and "LABEL=" not in line and "$" not in line


@pytest.mark.parametrize("name", REFUSED)
def test_media_that_cannot_boot_is_refused_in_one_line_with_nothing_written(name, parts, tmp_path):
    replica = REPLICAS[name]
    iso = make_replica(name, tmp_path / f"{name}.iso", parts)
    before = sorted(p.name for p in tmp_path.iterdir())
    run = subprocess.run([sys.executable, "-m", "livepxe", "convert", str(iso), "-o", str(tmp_path / "tftpboot")],
                         capture_output=True, text=True)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"livepxe: error: {iso} "), run.stderr
    assert replica.refusal in run.stderr
    if name in OVERRIDABLE:
        assert run.stderr.rstrip().endswith("; --accept-media converts it anyway")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("name", OVERRIDABLE)
def test_accept_media_converts_anyway_and_says_what_it_is(name, parts, tmp_path, capsys):
    iso = make_replica(name, tmp_path / f"{name}.iso", parts)
    tree = tmp_path / "tftpboot"
    assert main(["convert", str(iso), "-o", str(tree), "-q", "--accept-media"]) == 0
    (warning,) = [line for line in capsys.readouterr().err.splitlines() if "--accept-media" in line]
    assert warning.startswith(f"livepxe: warning: --accept-media: converting {name}.iso although it ")
    assert verify(tree).ok
    assert any("--accept-media" in w for w in json.loads((tree / "livepxe.json").read_text())["warnings"])


def test_the_override_is_documented(capsys):
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    assert "--accept-media" in capsys.readouterr().out
