"""Every way a run ends leaves nothing behind: Ctrl-C, SIGTERM, SIGHUP, a second Ctrl-C, and SIGKILL (next run)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from livepxe import cli
from livepxe.write import staging, treewriter

#: Runs the CLI with the copy held (after saying "copying") until a signal arrives.
HELD_COPY = """
import sys, time
import livepxe.write.streamcopy as streamcopy
from livepxe import cli

real = streamcopy._copy_range

def held(*args, **kwargs):
    print("copying", flush=True)
    time.sleep(60)
    return real(*args, **kwargs)

streamcopy._copy_range = held
sys.argv[0] = "livepxe"  # the name messages start with
sys.exit(cli.main(sys.argv[1:]))
"""

#: A second Ctrl-C lands in the middle of the cleanup that the first one started.
SECOND_CTRL_C = HELD_COPY.replace("streamcopy._copy_range = held", """streamcopy._copy_range = held
import os, signal, types
import livepxe.write.treewriter as treewriter
real_rmtree = treewriter.shutil.rmtree

def interrupted_rmtree(path, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.5)
    return real_rmtree(path, **kwargs)

treewriter.shutil = types.SimpleNamespace(rmtree=interrupted_rmtree)""")


def start(script: str, *args: str, cwd: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", script, "convert", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == "copying\n", proc.stderr.read() if proc.stderr else ""
    return proc


def destination(kind: str, tmp_path: Path) -> tuple[list[str], Path]:
    """The delivery options and the folder whose listing must not change."""
    if kind == "self-contained":
        return ["-o", str(tmp_path / "out" / "t")], tmp_path / "out"
    root = tmp_path / "root"
    (root / "pxelinux.cfg").mkdir(parents=True)
    (root / "pxelinux.cfg" / "default").write_text("DEFAULT other\n")
    return ["--tftproot", str(root), "--imagedir", "live/x", "--bootfile", "x"], root


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("kind", ["self-contained", "integrated"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["INT", "TERM", "HUP"])
def test_a_stop_signal_mid_copy_leaves_nothing(tiny_iso, tmp_path, kind, signum):
    options, watched = destination(kind, tmp_path)
    watched.mkdir(exist_ok=True)
    before = listing(watched)
    proc = start(HELD_COPY, str(tiny_iso), *options, cwd=tmp_path)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    how = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
    assert proc.returncode == 128 + signum
    assert err == f"livepxe: interrupted{how}; nothing partial was left behind\n"
    assert listing(watched) == before


def test_a_second_ctrl_c_does_not_cut_the_cleanup_short(tiny_iso, tmp_path):
    proc = start(SECOND_CTRL_C, str(tiny_iso), "-o", "t", cwd=tmp_path)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (130, "livepxe: interrupted; nothing partial was left behind\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [tiny_iso.name]


@pytest.mark.parametrize("kind", ["self-contained", "integrated"])
def test_staging_of_a_killed_run_is_removed_by_the_next(tiny_iso, tmp_path, kind):
    options, watched = destination(kind, tmp_path)
    watched.mkdir(exist_ok=True)
    proc = start(HELD_COPY, str(tiny_iso), *options, cwd=tmp_path)
    proc.kill()
    proc.communicate()
    left = [p for p in watched.iterdir() if p.name.startswith(".")]
    assert len(left) == 1 and (left[0] / staging.OWNER).is_file()
    rerun = subprocess.run([sys.executable, "-m", "livepxe", "convert", "-q", str(tiny_iso), *options], cwd=tmp_path,
                           capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stderr == (f"livepxe: warning: removed {left[0]}: staging left by livepxe run {proc.pid}, "
                            "which was killed before it finished\n")
    assert [p for p in watched.iterdir() if p.name.startswith(".")] == []


def plant_staging(root: Path, owner: dict | None, age: float = 0) -> Path:
    folder = root / ".livepxe-planted"
    (folder / staging.TREE).mkdir(parents=True)
    if owner is not None:
        (folder / staging.OWNER).write_text(json.dumps(owner))
    os.utime(folder, (time.time() - age, time.time() - age))
    return folder


def test_staging_of_a_running_or_unknown_owner_is_left_alone(tiny_iso, tmp_path, caplog):
    from livepxe.convert import ConvertOptions, convert

    me = staging.Owner.me()
    for owner, age, warned in [
            ({"pid": me.pid, "start": me.start, "boot": me.boot, "host": me.host}, 0, None),  # still running
            ({"pid": 1, "start": 0, "boot": "other boot", "host": "another-host"}, 0, None),  # cannot be told here
            (None, 3600, "does not say whose; remove it once no livepxe run is writing here"),  # older livepxe
            (None, 0, None)]:                                                                 # being made now
        root = tmp_path / "root"
        planted = plant_staging(root, owner, age)
        caplog.clear()
        convert(ConvertOptions(iso=tiny_iso, tftproot=root, imagedir="live", bootfile="b", progress=False))
        assert planted.is_dir()
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert warnings == ([f"{planted} looks like staging left by an interrupted livepxe run but {warned}"]
                            if warned else [])
        os.rename(root, tmp_path / f"done-{len(list(tmp_path.iterdir()))}")


def test_staging_holding_what_force_displaced_is_named_not_removed(tiny_iso, tmp_path, caplog):
    from livepxe.convert import ConvertOptions, convert

    root = tmp_path / "root"
    planted = plant_staging(root, {"pid": 1, "start": -1, "boot": staging.boot_id(), "host": staging.Owner.me().host})
    (planted / staging.DISPLACED).mkdir()
    (planted / staging.DISPLACED / "0").write_text("the only copy")
    convert(ConvertOptions(iso=tiny_iso, tftproot=root, imagedir="live", bootfile="b", progress=False))
    assert (planted / staging.DISPLACED / "0").read_text() == "the only copy"
    assert f"what it replaced is in {planted / staging.DISPLACED}" in caplog.text


def test_nothing_partial_is_said_only_when_true(tiny_iso, tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("livepxe.write.execute.write_file", interrupted)
    monkeypatch.setattr(treewriter, "_LEFT_BEHIND", set())
    monkeypatch.setattr(treewriter.shutil, "rmtree", lambda *args, **kwargs: None)  # the cleanup fails
    assert cli.main(["convert", str(tiny_iso), "-o", str(tmp_path / "out")]) == 130
    err = capsys.readouterr().err
    assert "nothing partial" not in err and err.count("\n") == 2  # the cleanup's warning, then the ending
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".out.livepxe-")]
    assert len(left) == 1 and err.endswith(f"livepxe: interrupted; left {left[0]} behind; remove it by hand\n")
