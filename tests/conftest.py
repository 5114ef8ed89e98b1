"""Shared test fixtures. Keep additions small; boot fixtures live beside their tests.

Also the strict switch: with ``LIVEPXE_STRICT=1`` (``.ci/run`` sets it in every stage)
every skipped test fails, unless ``STRICT_ALLOWED_SKIPS`` lists it for the stage
``$LIVEPXE_CI_STAGE`` names, with the reason CI legitimately skips it there.
"""

from __future__ import annotations

import fnmatch
import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator, Tuple

import pytest
from isofactory import make_iso

STRICT_ENV = "LIVEPXE_STRICT"
#: The .ci/run stage a run belongs to (py3.9, py3.13, chroot); unset outside CI.
STAGE_ENV = "LIVEPXE_CI_STAGE"


@dataclass(frozen=True)
class AllowedSkip:
    """A skip CI accepts under LIVEPXE_STRICT: tests matching ``nodeid`` (fnmatch) in ``stages`` (fnmatch)."""

    nodeid: str
    stages: Tuple[str, ...]
    why: str


#: The one list of skips that stay skips under LIVEPXE_STRICT. Matched by node id and stage,
#: never by skip text: a test that starts skipping for another reason still fails.
#: The chroot stage runs everything, so no entry names it.
STRICT_ALLOWED_SKIPS: Tuple[AllowedSkip, ...] = (
    AllowedSkip("tests/creator/test_wrapper.py::test_patched_livecd_creator_lists_and_checks_pxe_options",
                ("py3.9", "py3.13"),
                "scripts/check-python's venv has no system site packages, so imgcreate's dnf/rpm bindings "
                "(Debian's python3-dnf, for /usr/bin/python3 only) cannot import; the chroot stage runs it"),
)


def strict() -> bool:
    return os.environ.get(STRICT_ENV) == "1"


def allowed_skip(nodeid: str, stage: str) -> AllowedSkip | None:
    for entry in STRICT_ALLOWED_SKIPS:
        if fnmatch.fnmatchcase(nodeid, entry.nodeid) and any(fnmatch.fnmatchcase(stage, s) for s in entry.stages):
            return entry
    return None


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr)
    return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason


def _strict_report(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Under LIVEPXE_STRICT a skip not in STRICT_ALLOWED_SKIPS for this stage becomes a failure."""
    if not (strict() and report.skipped) or hasattr(report, "wasxfail"):
        return
    stage = os.environ.get(STAGE_ENV, "")
    if allowed_skip(report.nodeid, stage) is not None:
        return
    where = f" (stage {stage})" if stage else ""
    report.outcome = "failed"
    report.longrepr = (f"skipped under {STRICT_ENV}{where}: {_skip_reason(report)}; install what it needs "
                       "(.ci/apt-packages.txt) or add it to STRICT_ALLOWED_SKIPS (tests/conftest.py) with a why")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    _strict_report(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    """Module-level skips (``allow_module_level``) happen at collection: the same rule applies."""
    outcome = yield
    _strict_report(outcome.get_result())


@pytest.fixture
def strict_plugin() -> types.ModuleType:
    """This module, to register as a plugin in pytester runs (tests/test_strict.py)."""
    return sys.modules[__name__]


@pytest.fixture
def tiny_iso(tmp_path: Path) -> Path:
    """A small live ISO in the current livecd-creator layout."""
    return make_iso(tmp_path / "Fedora-Tiny-Live.iso")


@pytest.fixture
def unsigned_grub_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A host without signed UEFI files but with GRUB's modules: convert builds its own (unsigned) GRUB image."""
    from livepxe.host import efi
    if efi.grub_module_dir() is None or efi.mkimage_command() is None:
        pytest.skip("needs grub-mkimage and GRUB's x86_64-efi modules (grub-efi-amd64-bin)")
    host = tmp_path / "unsigned-host"
    (host / "usr/lib/grub").mkdir(parents=True)
    (host / "usr/lib/grub/x86_64-efi").symlink_to("/usr/lib/grub/x86_64-efi")
    monkeypatch.setenv("LIVEPXE_EFI_ROOT", str(host))
    return host
