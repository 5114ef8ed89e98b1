"""The tree's bind mount (issue 18, High 3): stopping serve never deletes or changes a file of the tree.

Each case runs in a child process (it enters a mount namespace of its own,
which the test process must not), as root, with the tree public or under
a 0700 folder, and a mount step made to fail or to be slow.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (mount namespaces)")

#: The child: serve's work folder and bind exactly as `serve` makes them, a mount step patched by FAULT.
CHILD = r"""
import os, sys, time
from pathlib import Path
from livepxe import signals
from livepxe.errors import LivepxeError
from livepxe.serve import cli, reach
tree, fault = Path(sys.argv[1]), sys.argv[2]
real_mount, real_umount = getattr(reach, "_mount", None), getattr(reach, "_umount", None)
def mount(source, target, flags):
    if flags & reach.MS_REMOUNT and fault == "remount-fails":
        raise OSError(5, "Input/output error", target)
    if flags & reach.MS_REMOUNT and fault == "remount-slow":
        print("remounting", flush=True)
        time.sleep(30)
    return real_mount(source, target, flags)
def umount(target):
    if fault == "umount-fails":
        raise OSError(16, "Device or resource busy", target)
    return real_umount(target)
if real_mount is not None:   # older serve ran mount(8): the PATH shim below plays the same faults
    reach._mount, reach._umount = mount, umount
with signals.as_interrupts():
    try:
        with cli._workdir() as work:
            print("work", work, flush=True)
            served = reach.reachable(tree, work)
            print("served", served, flush=True)
            if fault == "umount-fails":
                raise SystemExit(3)
    except LivepxeError as exc:
        print("refused", exc, flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
"""


def _tree(parent: Path) -> tuple[Path, list]:
    tree = parent / "tree"
    (tree / "sub").mkdir(parents=True)
    for n in range(13):
        (tree / ("sub" if n % 2 else "") / f"file{n}").write_bytes(b"x" * n)
    for path in (tree, tree / "sub", *tree.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return tree, _listing(tree)


def _listing(tree: Path) -> list:
    return sorted((str(p.relative_to(tree)), p.stat().st_size) for p in tree.rglob("*"))


SHIM = """#!/bin/sh
case "$*" in
  *"-o remount"*) [ "$FAULT" = remount-fails ] && { echo "mount: I/O error" >&2; exit 32; }
             [ "$FAULT" = remount-slow ] && { echo remounting; sleep 30; } ;;
esac
case "$1" in umount) ;; esac
exec /usr/bin/$(basename "$0") "$@"
"""


def _run(tree: Path, fault: str, work_tmp: Path, kill_after: str = "") -> tuple[str, subprocess.CompletedProcess]:
    shims = tree.parent.parent / "shims"
    shims.mkdir(exist_ok=True)
    for tool in ("mount", "umount"):
        (shims / tool).write_text(SHIM)
        (shims / tool).chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(REPO), "FAULT": fault, "TMPDIR": str(work_tmp),
           "PATH": f"{shims}:{os.environ['PATH']}"}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tree), fault], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    if kill_after:
        assert proc.stdout is not None
        while True:
            line = proc.stdout.readline()
            assert line, "the child ended before " + kill_after
            if line.startswith(kill_after):
                break
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    return out, subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture(params=["public", "private"])
def tree(request, tmp_path):
    parent = tmp_path / "home"
    parent.mkdir(mode=0o700 if request.param == "private" else 0o755)
    for folder in (tmp_path, *tmp_path.parents):
        if request.param == "public":
            folder.chmod(folder.stat().st_mode | 0o001)
    return _tree(parent)


@pytest.fixture
def work_tmp():
    """The child serve's TMPDIR, of this test's own: no other serve on the machine changes its listing."""
    folder = Path(tempfile.mkdtemp(prefix="livepxe-reach-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _work_folders_now(work_tmp: Path) -> set:
    return set(work_tmp.glob("livepxe-serve-*"))


def test_a_failing_remount_leaves_the_tree_whole_and_no_work_folder(tree, work_tmp):
    root, before = tree
    folders = _work_folders_now(work_tmp)
    out, proc = _run(root, "remount-fails", work_tmp)
    assert _listing(root) == before, proc
    assert _work_folders_now(work_tmp) <= folders, out
    assert "served" in out or "refused" in out


def test_sigterm_during_the_remount_leaves_the_tree_whole_and_no_work_folder(tree, work_tmp):
    root, before = tree
    folders = _work_folders_now(work_tmp)
    out, proc = _run(root, "remount-slow", work_tmp, kill_after="remounting")
    assert _listing(root) == before, proc
    assert "interrupted" in out
    assert _work_folders_now(work_tmp) <= folders, out


def test_an_unmount_that_fails_leaves_the_work_folder_and_the_tree_whole(tree, work_tmp):
    root, before = tree
    folders = _work_folders_now(work_tmp)
    out, proc = _run(root, "umount-fails", work_tmp)
    assert _listing(root) == before, proc
    left = _work_folders_now(work_tmp) - folders
    assert len(left) == 1 and "left " in proc.stderr, proc
    # the mount ended with the child's namespace: the next serve recognises the folder and removes it
    from livepxe.serve import cli
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(work_tmp))
        cli._sweep_stale()
    assert not any(p.exists() for p in left)


def test_the_tree_is_sealed_against_links_added_while_it_is_served(tmp_path):
    """nosymfollow: a link the tree's owner plants after the start is not followed through the bind."""
    root, _ = _tree(tmp_path)
    code = r"""
import os, sys
from pathlib import Path
from livepxe.serve import reach
tree, work = Path(sys.argv[1]), Path(sys.argv[2])
served = reach.reachable(tree, work)
os.symlink("/etc/passwd", tree / "planted")
try:
    open(served / "planted").read()
    print("followed")
except OSError as exc:
    print("refused", exc.errno)
print("dev", open(served / "file2").read() == "xx")
reach.remove_work(work)
"""
    work = tmp_path / "work"
    work.mkdir()
    out = subprocess.run([sys.executable, "-c", code, str(root), str(work)], cwd=REPO, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert "refused 40" in out.stdout, out       # ELOOP: the mount does not follow links
    assert "dev True" in out.stdout and not work.exists()
