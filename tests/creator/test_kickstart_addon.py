"""PXE settings carried by the kickstart's ``%addon org_livepxe_pxe`` section.

Read with the real pykickstart (imgcreate's parser); the wrapper-level tests
run upstream's stand-in script as test_wrapper.py does.
"""

from __future__ import annotations

import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pykickstart")

from pykickstart.parser import KickstartParser  # noqa: E402
from pykickstart.version import makeVersion  # noqa: E402

from livepxe.creator import wrapper  # noqa: E402
from livepxe.creator.kickstart import read_settings  # noqa: E402
from livepxe.creator.options import PxeOptions, from_values  # noqa: E402
from livepxe.errors import LivepxeError  # noqa: E402
from livepxe.options import InitrdMode, Payload  # noqa: E402

from .standin import standin_imgcreate, upstream_like_parser  # noqa: E402
from .test_wrapper import STANDIN_UPSTREAM, _standin_upstream  # noqa: E402

REPO = Path(__file__).resolve().parents[2]

BASE = """\
lang en_US.UTF-8
keyboard us
part / --size 1024
repo --name=local --baseurl=file:///srv/repo
%packages
kernel
dracut-live
%end
%post
echo built
%end
"""

SECTION = """\
%addon org_livepxe_pxe --tftproot=/var/lib/tftpboot --imagedir=live/f41
# the config name under pxelinux.cfg/

  --bootfile live.f41 --initrd-mode=separate
--append="console=ttyS0,115200n8 quiet"
%end
"""


def _ks(folder: Path, text: str, name: str = "a.ks") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


# --- reading the section ------------------------------------------------------------------

def test_header_and_body_lines_are_settings_named_by_their_line(tmp_path: Path) -> None:
    ks = _ks(tmp_path, BASE + SECTION)
    s = read_settings(str(ks))
    assert s.values == {"pxe_tftproot": "/var/lib/tftpboot", "pxe_imagedir": "live/f41",
                        "pxe_bootfile": "live.f41", "pxe_initrd_mode": InitrdMode.SEPARATE,
                        "pxe_append": "console=ttyS0,115200n8 quiet"}
    assert s.names["pxe_tftproot"] == f"--tftproot ({ks}:12)"
    assert s.names["pxe_bootfile"] == f"--bootfile ({ks}:15)"
    assert s.names["pxe_append"] == f"--append ({ks}:16)"
    assert not s.enables()


def test_enable_and_a_later_line_wins(tmp_path: Path) -> None:
    s = read_settings(str(_ks(tmp_path, BASE + "%addon org_livepxe_pxe --enable --payload liveos\n"
                                           "--payload=iso\n%end\n")))
    assert s.enables() and s.values["pxe_payload"] is Payload.ISO


def test_other_addons_and_no_section_give_nothing(tmp_path: Path) -> None:
    other = "%addon com_redhat_kdump --enable --reserve-mb=auto\n--frobnicate\n%end\n"
    assert read_settings(str(_ks(tmp_path, BASE + other))).values == {}
    assert read_settings(str(_ks(tmp_path, BASE, "plain.ks"))).values == {}


def test_a_kickstart_pykickstart_cannot_read_is_left_to_upstream(tmp_path: Path) -> None:
    assert read_settings(str(tmp_path / "absent.ks")).values == {}
    broken = BASE + SECTION + "%include missing.ks\n"
    assert read_settings(str(_ks(tmp_path, broken))).values == {}


def test_included_files_are_named_with_their_own_lines(tmp_path: Path) -> None:
    _ks(tmp_path, "# common PXE settings\n%addon org_livepxe_pxe --initrd-mode=separate\n%end\n", "pxe.ks")
    _ks(tmp_path, '--append="quiet"\n', "args.ks")
    top = _ks(tmp_path, BASE + "%include pxe.ks\n"
                              "%addon org_livepxe_pxe\n%include args.ks\n--payload=liveos\n%end\n")
    s = read_settings(str(top))
    assert s.names["pxe_initrd_mode"] == f"--initrd-mode ({tmp_path / 'pxe.ks'}:2)"
    assert s.names["pxe_append"] == f"--append ({tmp_path / 'args.ks'}:1)"
    assert s.names["pxe_payload"] == f"--payload ({top}:15)"


@pytest.mark.parametrize("body, line, message", [
    ("%addon org_livepxe_pxe --frobnicate\n%end\n", 12,
     "unknown setting --frobnicate; settings are --enable, --output, --tftproot, --imagedir, --bootfile, "
     "--initrd-mode, --append, --cmdline, --compress, --payload, --http-url, --http-boot"),
    ("%addon org_livepxe_pxe\n\n--tftp=/srv\n%end\n", 14, "unknown setting --tftp;"),
    ("%addon org_livepxe_pxe\n--pxe-append=quiet\n%end\n", 13, "unknown setting --pxe-append;"),
    ("%addon org_livepxe_pxe\n# x\n--initrd-mode=bogus\n%end\n", 14,
     "--initrd-mode must be one of append, separate, not 'bogus'"),
    ("%addon org_livepxe_pxe --compress=lz4\n%end\n", 12, "--compress must be one of none, gzip, xz, zstd"),
    ("%addon org_livepxe_pxe\n--enable=yes\n%end\n", 13, "--enable option does not take a value"),
    ("%addon org_livepxe_pxe\n--append\n%end\n", 13, "--append option requires 1 argument"),
    ("%addon org_livepxe_pxe\ninitrd-mode separate\n%end\n", 13, "unexpected 'initrd-mode'; write --initrd-mode"),
    ("%addon org_livepxe_pxe\n--append='quiet\n%end\n", 13, "No closing quotation"),
    ("%addon org_livepxe_pxe\n--http-url=192.0.2.1/live\n%end\n", 13,
     "--http-url '192.0.2.1/live': it must be http(s)://HOST"),
])
def test_bad_settings_are_one_line_naming_file_and_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    ks = _ks(tmp_path, BASE + body)
    with pytest.raises(LivepxeError) as err:
        read_settings(str(ks))
    text = str(err.value)
    assert text.startswith(f"{ks}:{line}: %addon org_livepxe_pxe: ") and message in text
    assert "\n" not in text


# --- upstream's parse of the same kickstart ------------------------------------------------

def _upstream_parse(ks: Path) -> Any:
    """As imgcreate.kickstart.read_kickstart parses: pykickstart's parser for the newest version."""
    parser = KickstartParser(makeVersion())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        parser.readKickstart(str(ks))
    assert [str(w.message) for w in seen] == []
    return parser.handler


@pytest.mark.parametrize("section", [SECTION, "%addon org_livepxe_pxe --frobnicate\ninitrd-mode x\n%end\n"])
def test_upstream_parses_the_kickstart_as_without_the_section(tmp_path: Path, section: str) -> None:
    """Even a section livepxe refuses: upstream's own build never reads it."""
    plain = _upstream_parse(_ks(tmp_path, BASE, "plain.ks"))
    lines = BASE.splitlines(True)
    carrying = _upstream_parse(_ks(tmp_path, "".join(lines[:2]) + section + "".join(lines[2:])))
    assert carrying.packages.packageList == plain.packages.packageList == ["dracut-live", "kernel"]
    assert [s.script for s in carrying.scripts] == [s.script for s in plain.scripts] == ["echo built\n"]
    assert (carrying.lang.lang, carrying.keyboard.keyboard) == ("en_US.UTF-8", "us")
    assert [r.name for r in carrying.repo.repoList] == ["local"]
    assert str(carrying.partition) == str(plain.partition)


def test_the_shipped_kickstart_carries_settings_upstream_ignores() -> None:
    ks = REPO / "kickstarts" / "fedora-minimal-pxe-addon.ks"
    handler = _upstream_parse(ks)
    assert "kernel" in handler.packages.packageList and handler.repo.repoList
    s = read_settings(str(ks))
    assert s.enables() and s.values["pxe_initrd_mode"] is InitrdMode.SEPARATE


# --- precedence: the command line wins ------------------------------------------------------

def _cli(*args: str) -> Any:
    values, _ = upstream_like_parser().parse_args(["-c", "a.ks", *args])
    return values


def test_command_line_wins_and_the_kickstart_fills_the_rest(tmp_path: Path) -> None:
    s = read_settings(str(_ks(tmp_path, BASE + SECTION)))
    p = from_values(_cli("--pxe", "--initrd-mode", "append", "--pxe-append", ""), s)
    assert (p.initrd_mode, p.append) == (InitrdMode.APPEND, "")   # given, even if empty or the default
    assert (p.tftproot, p.imagedir, p.bootfile) == (Path("/var/lib/tftpboot"), "live/f41", "live.f41")
    assert isinstance(p, PxeOptions)
    assert from_values(_cli("--pxe")) == PxeOptions()  # nothing given anywhere: PxeOptions' own defaults


def test_combination_errors_name_the_kickstart_lines(tmp_path: Path) -> None:
    ks = _ks(tmp_path, BASE + "%addon org_livepxe_pxe --tftproot=/srv/tftp\n--imagedir=live/a\n%end\n")
    p = from_values(_cli("--pxe"), read_settings(str(ks)))
    with pytest.raises(LivepxeError, match=rf"needs all of --tftproot \({ks}:12\), --imagedir \({ks}:13\) "
                                           r"and --bootfile$"):
        p.check()


# --- the wrapper: the kickstart's settings reach PxeImageCreator ------------------------------

def test_kickstart_arg_is_found_before_upstream_parses() -> None:
    assert wrapper.kickstart_arg(["-v", "-c", "a.ks", "--config=b.ks"]) == "b.ks"
    assert wrapper.kickstart_arg(["-cc.ks"]) == "c.ks" and wrapper.kickstart_arg(["--config", "d.ks"]) == "d.ks"
    assert wrapper.kickstart_arg(["--cache", "x", "-c"]) is None


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The wrapper's runs, to read the PxeOptions each handed to PxeImageCreator."""
    runs: list[Any] = []
    real = wrapper._Run.creator_factory

    def spy(self: Any) -> Any:
        runs.append(self)
        return real(self)
    monkeypatch.setattr(wrapper._Run, "creator_factory", spy)
    return runs


ARGS = ["-f", "Live", "-o", "out", "--tmpdir", "tmp"]


def test_pxe_run_takes_the_kickstarts_settings_and_the_command_line_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _standin_upstream(tmp_path, monkeypatch, STANDIN_UPSTREAM)
    _ks(tmp_path, BASE + "%addon org_livepxe_pxe --output=out/from-ks --initrd-mode=separate\n"
                         "--append=quiet --payload=liveos\n%end\n")
    runs = _spy(monkeypatch)
    with standin_imgcreate(), pytest.raises(SystemExit) as done:
        wrapper.main(["--pxe", "-c", "a.ks", *ARGS, "--pxe-payload", "iso"])
    assert done.value.code == 0, capsys.readouterr().err
    [run] = runs
    assert (run.pxe.output, run.pxe.initrd_mode, run.pxe.append) == (Path("out/from-ks"), InitrdMode.SEPARATE, "quiet")
    assert run.pxe.payload is Payload.ISO
    assert (tmp_path / "out/from-ks/pxelinux.cfg/default").is_file()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["Live.iso", "from-ks"]


def test_a_section_saying_enable_turns_pxe_on_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _standin_upstream(tmp_path, monkeypatch, STANDIN_UPSTREAM)
    _ks(tmp_path, BASE + "%addon org_livepxe_pxe --enable --output=out/pxe\n%end\n")
    runs = _spy(monkeypatch)
    with standin_imgcreate(), pytest.raises(SystemExit) as done:
        wrapper.main(["-c", "a.ks", *ARGS])
    assert done.value.code == 0, capsys.readouterr().err
    assert runs[0].pxe.tree_dir() == tmp_path / "out/pxe" and (tmp_path / "out/pxe").is_dir()


def test_a_section_without_enable_leaves_the_run_to_upstream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _standin_upstream(tmp_path, monkeypatch, STANDIN_UPSTREAM)
    _ks(tmp_path, BASE + SECTION)
    execs: list[list[str]] = []

    def exec_upstream(upstream: Path, args: list[str]) -> None:
        execs.append(list(args))
        raise SystemExit(0)
    monkeypatch.setattr(wrapper, "exec_upstream", exec_upstream)
    with pytest.raises(SystemExit):
        wrapper.main(["-c", "a.ks", *ARGS])
    assert execs == [["-c", "a.ks", *ARGS]]


@pytest.mark.parametrize("pxe", [["--pxe"], []])
def test_a_bad_section_stops_the_run_before_any_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str], pxe: list[str]) -> None:
    _standin_upstream(tmp_path, monkeypatch, STANDIN_UPSTREAM)
    _ks(tmp_path, BASE + "%addon org_livepxe_pxe --enable\n--frobnicate\n%end\n")
    with standin_imgcreate():
        assert wrapper.main([*pxe, "-c", "a.ks", *ARGS]) == 2
    err = capsys.readouterr().err
    assert err.startswith("livecd-creator: error: a.ks:13: %addon org_livepxe_pxe: unknown setting --frobnicate;")
    assert err.count("\n") == 1
    assert list((tmp_path / "out").iterdir()) == [] and list((tmp_path / "tmp").iterdir()) == []
    assert sys.modules.get("optparse") is not None
