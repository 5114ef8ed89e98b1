"""livepxe.spec builds an RPM that installs nothing livecd-tools owns.

Debian's rpm (``.ci/apt-packages.txt``) parses the spec, builds the source RPM and, with
stand-ins for Fedora's Python macros (``fedora-python.macros``), the binary RPM, whose
file list and dependencies are then read back with ``rpm -qp``. The build tools come
from throwaway venvs: EL9's setuptools 53.0 (on Python 3.9 where the host has it) and
the newest, so both ends of the range the spec meets are built.

What this host cannot check: that the BuildRequires and Requires resolve in Fedora's
and EPEL's repositories (``--nodeps``: Debian's rpmdb holds no Fedora packages), the
real python-rpm-macros/pyproject-rpm-macros (their dependency generator adds
``python3.Xdist(pycdlib)``), and installing the RPM with dnf beside livecd-tools.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import List, Sequence, Tuple

import pytest

from livepxe import __version__
from tests.packaging.buildenv import (
    EL9_SETUPTOOLS,
    NEWEST_SETUPTOOLS,
    REPO,
    BuildVenv,
    base_python,
    cached_venv,
    python39,
    run,
    source_tree,
)

SPEC = REPO / "livepxe.spec"
MACROS = Path(__file__).with_name("fedora-python.macros")
#: what livecd-tools' RPM ships that a livepxe RPM must never touch
LIVECD_TOOLS_PATHS = ("/usr/bin/livecd-creator", "/usr/bin/livecd-iso-to-pxeboot")
VARIANTS = {"setuptools-53.0.0": (python39, EL9_SETUPTOOLS), "setuptools-newest": (base_python, NEWEST_SETUPTOOLS)}

pytestmark = pytest.mark.skipif(shutil.which("rpmbuild") is None, reason="needs rpmbuild (Debian's rpm package)")


def _rpm(*args: str) -> str:
    return run(["rpm", *args]).stdout


def _spec(*args: str) -> str:
    return run(["rpmspec", *args, str(SPEC)]).stdout


def _topdir(root: Path) -> List[str]:
    """Sources in place; the defines every rpmbuild here gets."""
    (root / "SOURCES").mkdir(parents=True)
    tree = source_tree(root / "t", f"livepxe-{__version__}")
    with tarfile.open(root / "SOURCES" / f"livepxe-{__version__}.tar.gz", "w:gz") as tar:
        tar.add(tree, arcname=tree.name)
    return ["--define", f"_topdir {root}"]


def test_spec_parses_and_carries_the_package_version() -> None:
    assert _spec("-q", "--srpm", "--qf", "%{name} %{version} %{license} %{arch}\n").split() == \
        ["livepxe", __version__, "GPL-2.0-or-later", "noarch"]


@pytest.mark.parametrize("defines, wheel", [(("rhel 9",), True), (("rhel 10",), True), (("fedora 42",), False)])
def test_buildrequires_per_distribution(defines: Sequence[str], wheel: bool) -> None:
    """EL's setuptools (53, 69) needs python3-wheel to build a wheel; Fedora's builds it itself."""
    args = [a for d in defines for a in ("--define", d)]
    requires = set(_spec(*args, "-q", "--buildrequires").split())
    assert {"python3-devel", "pyproject-rpm-macros", "python3-setuptools", "python3-pip"} <= requires
    assert ("python3-wheel" in requires) is wheel


def test_source_rpm_builds(tmp_path: Path) -> None:
    run(["rpmbuild", "-bs", "--nodeps", *_topdir(tmp_path), str(SPEC)])
    (srpm,) = (tmp_path / "SRPMS").glob("*.src.rpm")
    assert srpm.name == f"livepxe-{__version__}-1.src.rpm"
    assert set(_rpm("-qlp", str(srpm)).split()) == {"livepxe.spec", f"livepxe-{__version__}.tar.gz"}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def binary_rpm(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, BuildVenv]:
    python, packages = VARIANTS[request.param]
    env = cached_venv(tmp_path_factory.getbasetemp(), python(), (*packages, "pycdlib"))  # pycdlib: %check
    root = tmp_path_factory.mktemp("rpmbuild")
    proc = subprocess.run(["rpmbuild", "-bb", "--nodeps", "--load", str(MACROS), *_topdir(root),
                           "--define", f"__python3 {env.python}", str(SPEC)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Executing(%check)" in proc.stderr + proc.stdout
    (rpm,) = (root / "RPMS" / "noarch").glob("*.rpm")
    return rpm, env


def test_rpm_ships_livepxe_and_nothing_livecd_tools_owns(binary_rpm: Tuple[Path, BuildVenv]) -> None:
    rpm, _ = binary_rpm
    files = _rpm("-qlp", str(rpm)).split()
    assert "/usr/bin/livepxe" in files
    assert [f for f in files if f.startswith("/usr/bin/")] == ["/usr/bin/livepxe"]
    assert not set(LIVECD_TOOLS_PATHS) & set(files)
    assert not [f for f in files if "/imgcreate" in f]
    site = [f for f in files if "/site-packages/" in f]
    assert any(f.endswith("/site-packages/livepxe/data/99-livepxe.conf") for f in site)
    assert any(f.endswith(f"/site-packages/livepxe-{__version__}.dist-info/entry_points.txt") for f in site)
    assert all(f.startswith(("/usr/bin/", "/usr/lib/python3", "/usr/share/doc/", "/usr/share/licenses/"))
               for f in files), files


def test_rpm_dependencies(binary_rpm: Tuple[Path, BuildVenv]) -> None:
    rpm, _ = binary_rpm
    assert "python3-pycdlib" in _rpm("-qp", "--requires", str(rpm)).split()
    assert "/usr/bin/python3" in _rpm("-qp", "--requires", str(rpm)).split()  # the script's shebang
    assert "livecd-tools" in _rpm("-qp", "--recommends", str(rpm)).split()


def test_rpm_payload_runs(binary_rpm: Tuple[Path, BuildVenv], tmp_path: Path) -> None:
    """The payload's /usr/bin/livepxe, run against its own site-packages (pycdlib: the build venv's), works."""
    rpm, env = binary_rpm
    cpio = subprocess.run(f"rpm2cpio '{rpm}' | cpio -idm --quiet", shell=True, cwd=tmp_path,
                          capture_output=True, text=True)
    assert cpio.returncode == 0, cpio.stderr
    (site,) = tmp_path.glob("usr/lib/python3*/site-packages")
    script = tmp_path / "usr/bin/livepxe"
    assert script.read_text().startswith("#!/usr/bin/python3\n")
    out = run([env.python, str(script), "--help"], env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}).stdout
    assert "creator" in out
