import pytest

from livepxe import cli


def test_livecd_iso_to_pxeboot_and_livepxe_convert_share_options(capsys):
    for call in (lambda: cli.iso_to_pxeboot_main(["--help"]), lambda: cli.main(["convert", "--help"])):
        with pytest.raises(SystemExit) as stop:
            call()
        assert stop.value.code == 0
        text = capsys.readouterr().out
        for option in ("--output", "--tftproot", "--imagedir", "--bootfile", "--initrd-mode", "--append",
                       "--cmdline", "--compress", "--payload", "--force"):
            assert option in text


def test_convert_writes_a_summary(tiny_iso, tmp_path, capsys):
    assert cli.iso_to_pxeboot_main([str(tiny_iso), "-o", str(tmp_path / "t")]) == 0
    out = capsys.readouterr().out
    assert "initrd0.img" in out and "client RAM needed:" in out and "root=live:/Fedora-Tiny-Live.iso" in out


def test_an_integrated_image_says_how_clients_reach_it(tiny_iso, tmp_path, capsys):
    # Issue 19 item 6: after --tftproot/--imagedir/--bootfile nothing said what to point DHCP or a menu at.
    from livepxe.cli import iso_to_pxeboot_main
    root = tmp_path / "tftp"
    root.mkdir()
    assert iso_to_pxeboot_main([str(tiny_iso), "--tftproot", str(root), "--imagedir", "live/a",
                                "--bootfile", "live.a"]) == 0
    out = capsys.readouterr().out
    assert "next: clients reach this image" in out
    assert "CONFIG pxelinux.cfg/live.a" in out and "configfile /grub/live.a.cfg" in out
    assert f"livepxe serve {root / 'live/a'}" in out
    assert (root / "pxelinux.cfg/live.a").is_file() and (root / "grub/live.a.cfg").is_file()


@pytest.mark.parametrize("bootfile, said", [
    ("default", "--bootfile default would replace the TFTP root's own pxelinux.cfg/default"),
    ("../x", "--bootfile '../x' is not a plain file name for pxelinux.cfg/: letters and digits"),
])
def test_a_bootfile_that_cannot_be_is_one_clear_line(tiny_iso, tmp_path, capsys, bootfile, said):
    # Issue 19 item 7: "--bootfile 'default' is not a plain file name ... (and not 'default')" read garbled.
    (tmp_path / "tftp").mkdir()
    assert cli.main(["convert", str(tiny_iso), "--tftproot", str(tmp_path / "tftp"), "--imagedir", "live/a",
                     "--bootfile", bootfile]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"livepxe: error: {said}") and err.count("\n") == 1 and "e.g. --bootfile" in err


def _demo_copy(tmp_path, boots: bool):
    """scripts/demo in a copy of the checkout whose every step is a stub that only prints its name."""
    import shutil
    from pathlib import Path
    repo = Path(__file__).resolve().parents[1]
    (tmp_path / "scripts").mkdir()
    (tmp_path / ".venv/bin").mkdir(parents=True)
    shutil.copy(repo / "scripts/demo", tmp_path / "scripts/demo")
    stubs = {"scripts/setup-host": "", ".venv/bin/python": "", ".venv/bin/livecd-iso-to-pxeboot": "",
             ".venv/bin/livepxe": "" if boots else "exit 1"}
    for name, tail in stubs.items():
        (tmp_path / name).write_text(f"#!/bin/sh\necho stub {Path(name).name}\n{tail}\n")
        (tmp_path / name).chmod(0o755)
    return tmp_path / "scripts/demo"


@pytest.mark.parametrize("boots", [True, False], ids=["pass", "fail"])
def test_the_demo_says_each_step_and_where_its_output_is(tmp_path, boots):
    # Issue 19 item 7: the demo was silent through apt, the ISO build and the boot, and never said where
    # its output was.
    import subprocess
    run = subprocess.run(["bash", str(_demo_copy(tmp_path, boots))], capture_output=True, text=True)
    steps = [line for line in run.stdout.splitlines() if line.startswith("demo: ")]
    assert [line.split()[1] for line in steps[:4]] == ["1/4", "2/4", "3/4", "4/4"]
    assert "apt-get" in steps[0] and "32 MiB" in steps[2] and "not affected" in steps[2]
    if boots:
        assert run.returncode == 0 and steps[-1].startswith("demo: PASS: output in ")
        assert f"{tmp_path}/demo-out" in steps[-1] and "livepxe serve demo-out/tftpboot" in steps[-1]
    else:
        assert run.returncode == 1 and "demo: FAIL" in run.stderr and "demo-out/" in run.stderr
