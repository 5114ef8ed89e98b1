"""The livecd-creator wrapper (optparse glue, finding and exec'ing upstream, pykickstart check)
and the patch that gives distributions the same options natively."""

from __future__ import annotations

import optparse
import os
import shutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any, Optional

import pytest

from livepxe.creator import wrapper
from livepxe.creator.options import from_values
from livepxe.creator.wrapper import _SELF_MARKER, check_pykickstart, find_upstream, optparse_proxy, wants_in_process
from livepxe.errors import LivepxeError
from livepxe.options import Compression, InitrdMode, Payload
from tests.fixtures import livecd_env

from .standin import standin_imgcreate, upstream_like_parser

REPO = Path(__file__).resolve().parents[2]
PATCH = REPO / "patches" / "livecd-creator-pxe.patch"


# --- optparse glue ------------------------------------------------------------------

def test_pxe_options_join_upstreams_parser() -> None:
    seen: list = []
    parser = upstream_like_parser(lambda values, rest: seen.append(values))
    options, rest = parser.parse_args(["--pxe", "-c", "a.ks", "-o", "/out", "--initrd-mode", "separate",
                                       "--title", "--pxe-append", "--pxe-append", "console=ttyS0",
                                       "--pxe-payload", "liveos", "--pxe-compress", "zstd"])
    assert rest == [] and seen == [options]
    assert options.title == "--pxe-append"  # an upstream option's value stays upstream's
    p = from_values(options)
    assert (p.outdir, p.initrd_mode, p.append) == (Path("/out"), InitrdMode.SEPARATE, "console=ttyS0")
    assert (p.http_url, p.compress, p.payload) == (None, Compression.ZSTD, Payload.LIVEOS)
    assert "--tftproot" in parser.format_help() and "--config" in parser.format_help()


def test_proxy_forwards_the_rest_of_optparse() -> None:
    proxy = optparse_proxy(lambda v, rest: None)
    assert proxy.OptionGroup is optparse.OptionGroup and proxy.SUPPRESS_HELP == optparse.SUPPRESS_HELP
    assert issubclass(proxy.OptionParser, optparse.OptionParser)


def _parsed(args: list[str]) -> Any:
    values, _ = upstream_like_parser().parse_args(args)
    values.image_type = "livecd"
    return values


def test_parsed_options_are_checked_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wrapper, "check_pykickstart", lambda: None)
    restored: list[bool] = []
    run = wrapper._Run(lambda: restored.append(True))
    run.on_parsed(_parsed(["--pxe", "-o", "/out", "--pxe-output", "/srv/pxe"]))
    assert restored == [True] and run.pxe.tree_dir() == Path("/srv/pxe")
    for args, message in ((["--pxe", "--pxe-http-url", "http://192.0.2.1/", "--pxe-compress", "xz"],
                           "--pxe-compress has nothing to compress with --pxe-http-url"),
                          (["--pxe", "--tftproot", "/srv/tftp"], "needs all of --tftproot, --imagedir")):
        with pytest.raises(LivepxeError, match=message):
            run.on_parsed(_parsed(args))
    image = _parsed(["--pxe"])
    image.image_type = "image"
    with pytest.raises(LivepxeError, match="cannot go with --image-type image"):
        run.on_parsed(image)


def test_only_pxe_and_help_run_in_process() -> None:
    assert wants_in_process(["--pxe", "-c", "x.ks"]) and wants_in_process(["--help"])
    assert not wants_in_process(["-c", "x.ks", "--syslinux"])


def _script(path: Path, body: str) -> Path:
    path.write_text(body)
    path.chmod(0o755)
    return path


def test_upstream_from_environment_then_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "venv"
    other = tmp_path / "sys"
    mine.mkdir(), other.mkdir()
    _script(mine / "livecd-creator", f"#!/usr/bin/python3\nfrom {_SELF_MARKER.decode()} import main\n")
    real = _script(other / "livecd-creator", "#!/bin/sh\n")
    path = f"{mine}{os.pathsep}{other}"
    assert find_upstream({"PATH": path}) == real
    assert find_upstream({"PATH": path, "LIVECD_CREATOR": str(real)}) == real
    with pytest.raises(LivepxeError, match="LIVECD_CREATOR=.* is not a file"):
        find_upstream({"PATH": path, "LIVECD_CREATOR": str(tmp_path / "nope")})
    monkeypatch.setattr(wrapper, "DEFAULT_UPSTREAM", str(tmp_path / "usr-bin-livecd-creator"))
    with pytest.raises(LivepxeError, match="upstream livecd-creator not found"):
        find_upstream({"PATH": str(mine)})


def _run_wrapper(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(livecd_env.wrapper_argv() + args, env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_without_pxe_upstream_runs_with_same_args_and_exit_code(tmp_path: Path) -> None:
    """The exec path needs no imgcreate: any program stands in for upstream here."""
    stand_in = _script(tmp_path / "livecd-creator",
                       '#!/bin/sh\nprintf "%s|" "$0" "$@"; exit 7\n')
    env = dict(os.environ, LIVECD_CREATOR=str(stand_in))
    proc = _run_wrapper(["-c", "a b.ks", "--syslinux"], env)
    assert proc.returncode == 7
    assert proc.stdout == f"{stand_in}|-c|a b.ks|--syslinux|"


def test_livepxe_creator_is_the_wrapper(tmp_path: Path) -> None:
    """`livepxe creator ARGS` (the RPM's name for it) hands ARGS to upstream untouched, and names itself."""
    stand_in = _script(tmp_path / "livecd-creator",
                       '#!/bin/sh\nprintf "%s|" "$0" "$@"; exit 7\n')
    env = dict(os.environ, LIVECD_CREATOR=str(stand_in))
    livepxe = [sys.executable, "-m", "livepxe", "creator"]
    proc = subprocess.run([*livepxe, "-c", "a b.ks", "--help-not", "--syslinux"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (7, f"{stand_in}|-c|a b.ks|--help-not|--syslinux|")
    env["LIVECD_CREATOR"] = str(tmp_path / "absent")
    proc = subprocess.run([*livepxe, "--pxe", "-c", "x.ks"], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("livepxe creator: error: LIVECD_CREATOR=")


def test_missing_upstream_is_a_one_line_error(tmp_path: Path) -> None:
    env = dict(os.environ, LIVECD_CREATOR=str(tmp_path / "absent"))
    proc = _run_wrapper(["--pxe", "-c", "x.ks"], env)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "LIVECD_CREATOR" in proc.stderr


def _pykickstart(monkeypatch: pytest.MonkeyPatch, handler_module: Optional[object]) -> None:
    """A pykickstart whose handler has ``handler_module`` as .module (None: not installed)."""
    if handler_module is None:
        monkeypatch.setitem(sys.modules, "pykickstart", None)  # import fails
        monkeypatch.setitem(sys.modules, "pykickstart.version", None)
        return
    version = types.ModuleType("pykickstart.version")
    version.makeVersion = lambda: types.SimpleNamespace(module=handler_module)  # type: ignore[attr-defined]
    package = types.ModuleType("pykickstart")
    package.__path__ = []  # type: ignore[attr-defined]
    package.version = version  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pykickstart", package)
    monkeypatch.setitem(sys.modules, "pykickstart.version", version)


class F45_Module:
    """The handler shape of pykickstart > 3.52: no moduleList."""


class F30_Module:
    moduleList: list = []


def test_new_pykickstart_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    _pykickstart(monkeypatch, F45_Module())
    with pytest.raises(LivepxeError) as err:
        check_pykickstart()
    assert "incompatible with imgcreate ('F45_Module' object has no attribute 'moduleList')" in str(err.value)
    assert "pykickstart==3.52" in str(err.value) and "\n" not in str(err.value)


def test_pykickstart_imgcreate_can_use_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    _pykickstart(monkeypatch, F30_Module())
    check_pykickstart()


def test_missing_pykickstart_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    _pykickstart(monkeypatch, None)
    with pytest.raises(LivepxeError, match="pykickstart is not installed.*pykickstart==3.52"):
        check_pykickstart()


# --- a whole --pxe run in process: upstream's script over the stand-in imgcreate ---------

STANDIN_UPSTREAM = textwrap.dedent("""\
    # What the wrapper relies on in upstream's tools/livecd-creator: it imports
    # optparse and imgcreate at the top, parses with optparse.OptionParser,
    # builds imgcreate.LiveImageCreator and drives it; sys.exit(main()).
    import optparse
    import sys

    import imgcreate

    def main():
        parser = optparse.OptionParser()
        parser.add_option("-c", "--config", dest="kscfg")
        parser.add_option("-o", "--output", dest="destdir", default=".")
        parser.add_option("-f", "--fslabel", dest="fslabel")
        parser.add_option("--tmpdir", dest="tmpdir", default="/var/tmp")
        options, args = parser.parse_args()
        options.image_type = "livecd"
        try:
            creator = imgcreate.LiveImageCreator(None, options.fslabel, fslabel=options.fslabel,
                                                 tmpdir=options.tmpdir)
        except imgcreate.CreatorError as e:
            print("creation failed:", e, file=sys.stderr)
            return 1
        try:
            creator.mount()
            creator.install()
            creator.unmount()
            creator.package(options.destdir)
        except imgcreate.CreatorError as e:
            print("Error creating Live CD :", e, file=sys.stderr)
            return 1
        finally:
            creator.cleanup()
        return 0

    if __name__ == "__main__":
        sys.exit(main())
    """)


def _standin_upstream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    """Run the wrapper from ``tmp_path`` (with out/ and tmp/) against ``script`` as upstream's livecd-creator."""
    upstream = tmp_path / "livecd-creator"
    upstream.write_text(script)
    for folder in ("out", "tmp"):
        (tmp_path / folder).mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIVECD_CREATOR", str(upstream))
    monkeypatch.setattr(wrapper, "check_pykickstart", lambda: None)


def test_pxe_run_builds_iso_and_tree_from_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    _standin_upstream(tmp_path, monkeypatch, STANDIN_UPSTREAM)
    with standin_imgcreate():
        with pytest.raises(SystemExit) as done:
            wrapper.main(["--pxe", "-c", "a.ks", "-f", "Live", "-o", "out", "--pxe-output", "out/pxe",
                          "--tmpdir", "tmp"])
        assert done.value.code == 0, capsys.readouterr().err
        assert sys.modules["optparse"] is optparse  # the proxies are gone once the script has its modules
        assert wrapper.main(["--pxe", "-c", "a.ks", "-f", "Live", "-o", "out", "--tmpdir", "tmp",
                             "--pxe-compress", "lz4"]) == 2
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["Live.iso", "pxe"]
    assert "tftp-root=" + str(tmp_path / "out/pxe") in (tmp_path / "out/pxe/dhcp/dnsmasq.conf").read_text()
    assert list((tmp_path / "tmp").iterdir()) == []
    err = capsys.readouterr().err
    assert err.startswith("livecd-creator: error: --pxe-compress must be one of") and err.count("\n") == 1


def test_sigterm_mid_build_unwinds_through_upstreams_cleanup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """SIGTERM (systemd, a CI timeout) ends a --pxe build as Ctrl-C does: upstream's cleanup runs, exit 143."""
    _standin_upstream(tmp_path, monkeypatch, STANDIN_UPSTREAM.replace(
        "creator.install()", "import os, signal, time; os.kill(os.getpid(), signal.SIGTERM); time.sleep(10)"))
    with standin_imgcreate():
        assert wrapper.main(["--pxe", "-c", "a.ks", "-f", "Live", "-o", "out", "--tmpdir", "tmp"]) == 143
    assert list((tmp_path / "tmp").iterdir()) == [] and list((tmp_path / "out").iterdir()) == []
    assert capsys.readouterr().err == "livecd-creator: interrupted; the build was cleaned up\n"


# --- the patch for distributions --------------------------------------------------

def _src_or_skip() -> Path:
    src = livecd_env.livecd_tools_src()
    if src is None:
        pytest.skip("set LIVECD_TOOLS_SRC to a livecd-tools checkout to test the patch against it")
    return src


def test_patch_applies_to_livecd_tools(tmp_path: Path) -> None:
    src = _src_or_skip()
    tree = tmp_path / "lt"
    shutil.copytree(src / "tools", tree / "tools")
    proc = subprocess.run(["git", "apply", "--check", "-v", str(PATCH)], cwd=tree,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_patched_livecd_creator_lists_and_checks_pxe_options(tmp_path: Path) -> None:
    src = _src_or_skip()
    reason = livecd_env.why_no_imgcreate()
    if reason:
        pytest.skip(reason)
    tree = tmp_path / "lt"
    shutil.copytree(src / "tools", tree / "tools")
    subprocess.run(["git", "apply", str(PATCH)], cwd=tree, check=True)
    env = livecd_env.python_env()
    env["PYTHONPATH"] = os.pathsep.join([env.get("PYTHONPATH", ""), str(REPO)])
    script = str(tree / "tools/livecd-creator")
    help_text = subprocess.run([sys.executable, script, "--help"], env=env,
                               capture_output=True, text=True, check=True).stdout
    for flag in ("--pxe", "--pxe-output", "--tftproot", "--imagedir", "--bootfile",
                 "--initrd-mode", "--pxe-append", "--releasever"):
        assert flag in help_text
    ks = tmp_path / "a.ks"
    ks.write_text("part / --size 1024\n")
    bad = subprocess.run([sys.executable, script, "--pxe", "--initrd-mode", "x", "-c", str(ks)],
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "--initrd-mode must be one of" in bad.stderr


