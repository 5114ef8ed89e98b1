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


#: Issue 18 item 13: each was accepted (a quote dropped root= from all three configs; port abc, 5 KB URLs...).
BAD_URLS = ["http://192.0.2.1/it's/", 'http://192.0.2.1/a"b/', "http://192.0.2.1/a b/", "http://192.0.2.1/a\x1b[2J/",
            "http://192.0.2.1/live/#x", "http://192.0.2.1/live/?x=1", "http://me:pw@192.0.2.1/live/",
            "http://192.0.2.1:abc/live/", "http://192.0.2.1:0/live/", "http://192.0.2.1:65536/live/",
            "http://192.0.2.1:/live/", "http://192.0.2.1/a/../live/", "http://192.0.2.1/" + "a" * 5000 + "/",
            "ftp://192.0.2.1/live/", "file:///srv/live/", "http:///live/", "192.0.2.1/live/"]


@pytest.mark.parametrize("flag", ["--http-url", "--http-boot"])
@pytest.mark.parametrize("url", BAD_URLS, ids=range(len(BAD_URLS)))
def test_a_url_option_refuses_each_bad_form_in_one_line(tiny_iso, tmp_path, capsys, flag, url):
    assert cli.main(["convert", str(tiny_iso), "-o", str(tmp_path / "t"), flag, url]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"livepxe: error: {flag} ") and len(err.splitlines()) == 1 and "\x1b" not in err, err
    assert len(err) < 400 and not (tmp_path / "t").exists()


def test_a_good_url_still_converts(tiny_iso, tmp_path, capsys):
    assert cli.main(["convert", str(tiny_iso), "-o", str(tmp_path / "t"), "-q",
                     "--http-url", "http://boot.example.org:8080/live/f41/"]) == 0
    assert "root=live:http://boot.example.org:8080/live/f41/" in (tmp_path / "t/pxelinux.cfg/default").read_text()


@pytest.mark.parametrize("port", ["0", "65536", "-1", "abc", "80x", ""])
def test_serve_http_port_must_be_1_to_65535_in_one_line(tmp_path, capsys, port):
    with pytest.raises(SystemExit) as stop:
        cli.main(["serve", str(tmp_path), "--interface", "lo", "--http-port", port])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and len(err.splitlines()) == 1, err
    assert "--http-port" in err and "1-65535" in err


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
