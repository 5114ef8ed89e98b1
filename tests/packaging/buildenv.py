"""Throwaway build environments for the packaging tests: a venv per (Python, setuptools).

The build tools come from the registry once, into the venv; every build after that is
offline (``--no-build-isolation --no-index``), as EL's and Fedora's rpmbuild builds
from system packages. EL9's pair is setuptools 53.0 on Python 3.9, EL10's 69.0 on 3.12; the
py3.9 and py3.13 stages have those Pythons (pyenv), the chroot has only Debian's 3.11, where
the same setuptools versions still prove setup.cfg builds with their readers.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parents[2]
#: EL9's setuptools; with it the wheel package (setuptools < 70.1 asks for it to build wheels)
EL9_SETUPTOOLS = ("setuptools==53.0.0", "wheel")
#: EL10's (Python 3.12)
EL10_SETUPTOOLS = ("setuptools==69.0.3", "wheel")
NEWEST_SETUPTOOLS = ("setuptools", "wheel")
PIP_QUIET = ("-q", "--disable-pip-version-check")


def pyenv_python(version: str) -> str:
    """That Python (e.g. "3.9"): this one if it is, else pyenv's, else pythonX.Y on PATH, else this one."""
    if "{}.{}".format(*sys.version_info[:2]) == version:
        return sys.executable
    candidates = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python3")))[::-1]
    candidates.append(shutil.which(f"python{version}") or "")
    for candidate in filter(None, candidates):  # a pyenv shim is on PATH even where it has no such version
        if subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0:
            return candidate
    return base_python()


def python39() -> str:
    """EL9's Python."""
    return pyenv_python("3.9")


def base_python() -> str:
    """The interpreter this venv (if any) was made from: a venv is made from a real Python."""
    candidate = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return str(candidate) if candidate.exists() else sys.executable


def run(cmd: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


@dataclass(frozen=True)
class BuildVenv:
    python: Path          # the venv's interpreter
    setuptools: str       # its setuptools version

    @property
    def bin(self) -> Path:
        return self.python.parent


def make_venv(where: Path, base: str, packages: Sequence[str]) -> BuildVenv:
    """A fresh venv from ``base`` holding ``packages`` (from the registry)."""
    run([base, "-m", "venv", str(where)])
    python = where / "bin" / "python"
    if packages:
        run([python, "-m", "pip", "install", *PIP_QUIET, "--upgrade", *packages])
    version = run([python, "-c", "import setuptools; print(setuptools.__version__)"]).stdout.strip() \
        if any(p.startswith("setuptools") for p in packages) else ""
    return BuildVenv(python, version)


_cache: Dict[Tuple[str, Tuple[str, ...]], BuildVenv] = {}


def cached_venv(root: Path, base: str, packages: Sequence[str]) -> BuildVenv:
    """One venv per (Python, packages) for the whole session."""
    key = (base, tuple(packages))
    if key not in _cache:
        _cache[key] = make_venv(root / f"venv{len(_cache)}", base, packages)
    return _cache[key]


def source_tree(dest: Path, prefix: Optional[str] = None) -> Path:
    """A copy of the checkout's files (tracked and new, not ignored): builds never write into the checkout."""
    top = dest / prefix if prefix else dest
    if shutil.which("git") and (REPO / ".git").exists():
        files = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO).stdout
        for name in filter(None, files.split("\0")):
            src = REPO / name
            if src.is_file():
                target = top / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
    else:  # not a git checkout: everything but what builds and runs leave
        shutil.copytree(REPO, top, ignore=shutil.ignore_patterns(
            ".git", ".venv*", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"))
    return top


def build_wheel(env: BuildVenv, source: Path, out: Path) -> Path:
    """``pip wheel`` offline, with the venv's own setuptools (what rpmbuild's %pyproject_wheel does)."""
    run([env.python, "-m", "pip", "wheel", *PIP_QUIET, "--no-build-isolation", "--no-index", "--no-deps",
         "-w", str(out), str(source)])
    wheels = list(out.glob("livepxe-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]



