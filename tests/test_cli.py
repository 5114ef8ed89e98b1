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
