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
