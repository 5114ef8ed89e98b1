"""The wheel builds offline with EL9's setuptools 53.0, EL10's 69.0 and the newest, and works installed.

Each build tool comes from the registry into a throwaway venv; the build itself is
``pip wheel --no-build-isolation --no-index`` (what %pyproject_wheel runs on EL and
Fedora), from a copy of the checkout. The wheel's metadata, entry points and data
files are read from the wheel itself, and it is installed into a fresh venv whose
``livepxe --help`` must work.
"""

from __future__ import annotations

import configparser
import email.parser
import zipfile
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from livepxe import __version__
from tests.packaging.buildenv import (
    EL9_SETUPTOOLS,
    EL10_SETUPTOOLS,
    NEWEST_SETUPTOOLS,
    REPO,
    BuildVenv,
    base_python,
    build_wheel,
    cached_venv,
    make_venv,
    pyenv_python,
    python39,
    run,
    source_tree,
)

VARIANTS: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    "setuptools-53.0.0": (python39(), EL9_SETUPTOOLS),
    "setuptools-69.0.3": (pyenv_python("3.12"), EL10_SETUPTOOLS),
    "setuptools-newest": (base_python(), NEWEST_SETUPTOOLS),
}
CONSOLE_SCRIPTS = {
    "livepxe": "livepxe.cli:main",
    "livecd-iso-to-pxeboot": "livepxe.cli:iso_to_pxeboot_main",
    "livecd-creator": "livepxe.creator.wrapper:main",
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Tuple[BuildVenv, Path]:
    base, packages = VARIANTS[request.param]
    root = tmp_path_factory.mktemp("wheel")
    env = cached_venv(tmp_path_factory.getbasetemp(), base, packages)
    wheel = build_wheel(env, source_tree(root / "src"), root / "dist")
    return env, wheel


def _dist_info(wheel: zipfile.ZipFile, name: str) -> str:
    return wheel.read(f"livepxe-{__version__}.dist-info/{name}").decode()


def test_build_used_the_setuptools_asked_for(request: pytest.FixtureRequest,
                                             built: Tuple[BuildVenv, Path]) -> None:
    env, _ = built
    pinned = [p.split("==")[1] for p in VARIANTS[request.node.callspec.params["built"]][1] if "==" in p]
    if pinned:
        assert env.setuptools == pinned[0]
        return
    # the resolver, unlike `pip list --outdated` of older pips, honours Requires-Python
    upgrade = run([env.python, "-m", "pip", "install", "--dry-run", "--upgrade", "--no-deps",
                   "--disable-pip-version-check", "setuptools"]).stdout
    assert "Would install" not in upgrade, f"setuptools {env.setuptools} is not the newest for this Python: {upgrade}"


def test_metadata(built: Tuple[BuildVenv, Path]) -> None:
    with zipfile.ZipFile(built[1]) as wheel:
        meta = email.parser.Parser().parsestr(_dist_info(wheel, "METADATA"))
    assert meta["Name"] == "livepxe"
    assert meta["Version"] == __version__
    assert meta["Requires-Python"] == ">=3.9"
    assert meta["License"] == "GPL-2.0-or-later"
    requires: List[str] = meta.get_all("Requires-Dist") or []
    assert [r for r in requires if "extra ==" not in r] == ["pycdlib>=1.14"]
    assert any(r.startswith("pytest") and 'extra == "test"' in r for r in requires)
    assert meta.get_payload().startswith("# livepxe"), "long description is not the README"


def test_entry_points(built: Tuple[BuildVenv, Path]) -> None:
    with zipfile.ZipFile(built[1]) as wheel:
        parser = configparser.ConfigParser()
        parser.read_string(_dist_info(wheel, "entry_points.txt"))
    assert dict(parser["console_scripts"]) == CONSOLE_SCRIPTS


def test_package_and_data_files(built: Tuple[BuildVenv, Path]) -> None:
    with zipfile.ZipFile(built[1]) as wheel:
        names = set(wheel.namelist())
    data = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "livepxe" / "data").iterdir() if p.is_file())
    assert data and set(data) <= names
    sources = {p.relative_to(REPO).as_posix() for p in (REPO / "livepxe").rglob("*.py")}
    assert sources - names == set()
    assert not {n for n in names if n.startswith(("tests/", "imgcreate/"))}


def test_installed_wheel_runs(built: Tuple[BuildVenv, Path], tmp_path: Path) -> None:
    env, wheel = built
    target = make_venv(tmp_path / "venv", str(env.python.resolve().parent / "python3"), ())
    run([target.python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)])
    out = run([target.bin / "livepxe", "--help"], cwd=tmp_path).stdout
    assert "convert" in out and "creator" in out
    assert run([target.bin / "livepxe", "--version"], cwd=tmp_path).stdout.strip() == f"livepxe {__version__}"
    assert "--tftproot" in run([target.bin / "livecd-iso-to-pxeboot", "--help"], cwd=tmp_path).stdout
