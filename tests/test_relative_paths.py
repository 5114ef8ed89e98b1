"""Every path option may be relative to the working folder (issue 9: `--tftproot tftp` used to fail)."""

from __future__ import annotations

import shutil

from livepxe import cli
from livepxe.tree.verify import verify


def test_relative_iso_and_output(tiny_iso, tmp_path, monkeypatch):
    shutil.copyfile(tiny_iso, tmp_path / "live.iso")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["convert", "live.iso", "-o", "trees/one", "-q"]) != 0  # trees/ does not exist yet
    (tmp_path / "trees").mkdir()
    assert cli.main(["convert", "live.iso", "-o", "trees/one", "-q"]) == 0
    report = verify(tmp_path / "trees" / "one")
    assert report.ok, report.problems
    assert f"tftp-root={tmp_path / 'trees' / 'one'}\n" in (tmp_path / "trees/one/dhcp/dnsmasq.conf").read_text()


def test_relative_tftproot(tiny_iso, tmp_path, monkeypatch):
    shutil.copyfile(tiny_iso, tmp_path / "live.iso")
    (tmp_path / "tftp").mkdir()
    monkeypatch.chdir(tmp_path)
    assert cli.iso_to_pxeboot_main(["live.iso", "--tftproot", "tftp", "--imagedir", "live/x",
                                    "--bootfile", "live.x", "-q"]) == 0
    assert (tmp_path / "tftp/live/x/initrd0.img").is_file()
    assert not [p for p in (tmp_path / "tftp").iterdir() if p.name.startswith(".")]  # no staging left
    report = verify(tmp_path / "tftp" / "live" / "x")
    assert report.ok and report.root == tmp_path / "tftp"
