"""``livepxe compose``: a compose's live ISOs into one catalogue root; the second run places nothing new."""

from __future__ import annotations

import json
from pathlib import Path

from livepxe.catalogue import scan
from livepxe.cli import main
from tests.isofactory import make_iso


def _compose_folder(base: Path) -> Path:
    """A pungi-like compose: each variant's ISOs under VARIANT/x86_64/iso/."""
    for variant, name, label in (("Spins", "Fedora-KDE-Live-x86_64-41.iso", "Fedora-KDE-Live-41"),
                                 ("Workstation", "Fedora-Workstation-Live-x86_64-41.iso", "Fedora-WS-Live-41")):
        folder = base / "compose" / variant / "x86_64" / "iso"
        folder.mkdir(parents=True)
        make_iso(folder / name, label=label)
    (base / "compose/Spins/x86_64/iso/CHECKSUM").write_text("not an ISO\n")
    return base / "compose"


def test_a_compose_is_placed_once_and_the_second_run_places_nothing(tmp_path, capsys):
    compose, root = _compose_folder(tmp_path), tmp_path / "root"
    root.mkdir()
    summary = tmp_path / "placed.json"
    assert main(["compose", str(compose), "--tftproot", str(root), "--summary", str(summary), "-q"]) == 0
    first = json.loads(summary.read_text())["images"]
    assert [(i["image"], i["action"]) for i in first] == [
        ("live/Fedora-KDE-Live-x86_64-41", "placed"), ("live/Fedora-Workstation-Live-x86_64-41", "placed")]
    assert all(len(i["sha256"]) == 64 and i["ram_mib"] > 0 for i in first)
    assert [i.image_dir for i in scan.images(root)] == [i["image"] for i in first]
    assert "CONFIG pxelinux.cfg/live.Fedora-KDE-Live-x86_64-41" in (root / "pxelinux.cfg/default").read_text()
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}
    assert main(["compose", str(compose), "--tftproot", str(root), "--summary", str(summary), "-q"]) == 0
    assert {i["action"] for i in json.loads(summary.read_text())["images"]} == {"skipped"}
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()} == before


def test_a_rebuilt_iso_of_the_same_name_replaces_its_image(tmp_path, capsys):
    compose, root = _compose_folder(tmp_path), tmp_path / "root"
    root.mkdir()
    assert main(["compose", str(compose), "--tftproot", str(root), "-q"]) == 0
    make_iso(compose / "Spins/x86_64/iso/Fedora-KDE-Live-x86_64-41.iso", label="Fedora-KDE-Live-41-1")
    assert main(["compose", str(compose), "--tftproot", str(root)]) == 0
    out = capsys.readouterr().out
    assert "replaced  live/Fedora-KDE-Live-x86_64-41" in out and "skipped   live/Fedora-Workstation" in out
    volumes = {i.image_dir: i.note.volume for i in scan.images(root)}
    assert volumes["live/Fedora-KDE-Live-x86_64-41"] == "Fedora-KDE-Live-41-1"


def test_a_bad_iso_fails_alone_and_the_run_says_so(tmp_path, capsys):
    compose, root = _compose_folder(tmp_path), tmp_path / "root"
    root.mkdir()
    (compose / "Spins/x86_64/iso/Broken-Live.iso").write_bytes(b"\0" * 70000)
    summary = tmp_path / "placed.json"
    assert main(["compose", str(compose), "--tftproot", str(root), "--summary", str(summary), "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("livepxe: error: ") and "Broken-Live.iso" in err[0]
    actions = {Path(i["source"]).name: i["action"] for i in json.loads(summary.read_text())["images"]}
    assert actions["Broken-Live.iso"] == "failed" and list(actions.values()).count("placed") == 2
    assert not (root / "live/Broken-Live").exists()


def test_a_list_file_names_the_isos(tmp_path, capsys):
    compose, root = _compose_folder(tmp_path), tmp_path / "root"
    root.mkdir()
    listed = tmp_path / "isos.txt"
    listed.write_text(f"# the compose's\n{next(compose.rglob('*KDE*.iso'))}\n")
    assert main(["compose", f"@{listed}", "--tftproot", str(root), "-q"]) == 0
    assert [i.image_dir for i in scan.images(root)] == ["live/Fedora-KDE-Live-x86_64-41"]


def test_nothing_to_compose_is_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "root").mkdir()
    assert main(["compose", str(tmp_path / "empty"), "--tftproot", str(tmp_path / "root")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no *.iso found" in err[0]
