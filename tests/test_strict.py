"""LIVEPXE_STRICT=1 (set by .ci/run) turns every skip into a failure, except STRICT_ALLOWED_SKIPS for the stage."""

from __future__ import annotations

import types

import pytest

pytest_plugins = ["pytester"]

TESTS = """
import pytest

def test_needs_a_tool():
    pytest.skip("needs frobnicate: apt-get install frob")

@pytest.mark.skipif(True, reason="needs a marked tool")
def test_marked():
    pass

def test_allowed():
    pytest.skip("cannot run in this stage")

def test_passes():
    pass
"""


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, strict_plugin: types.ModuleType):
    """Run TESTS in a fresh pytest session with tests/conftest.py's hooks; test_allowed is allowed in stage 'unit'."""
    allowed = strict_plugin.AllowedSkip("test_strict_inner.py::test_allow*", ("unit", "other"), "the stage lacks it")
    monkeypatch.setattr(strict_plugin, "STRICT_ALLOWED_SKIPS", (allowed,))
    pytester.makepyfile(test_strict_inner=TESTS)

    def run(strict: str | None, stage: str | None = None) -> pytest.RunResult:
        for name, value in (("LIVEPXE_STRICT", strict), ("LIVEPXE_CI_STAGE", stage)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rfEs", plugins=[strict_plugin])
    return run


def test_without_the_switch_skips_stay_skips(run) -> None:
    result = run(None)
    result.assert_outcomes(passed=1, skipped=3)
    assert result.ret == 0


def test_any_value_but_1_is_not_strict(run) -> None:
    run("0").assert_outcomes(passed=1, skipped=3)


def test_under_the_switch_a_skip_fails_and_says_why(run) -> None:
    result = run("1", "unit")
    result.assert_outcomes(passed=1, skipped=1, failed=1, errors=1)  # skipif marks skip at setup: an error
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*skipped under LIVEPXE_STRICT (stage unit): needs frobnicate: apt-get install "
                                 "frob; install what it needs (.ci/apt-packages.txt) or add it to "
                                 "STRICT_ALLOWED_SKIPS*"])
    result.stdout.fnmatch_lines(["*skipped under LIVEPXE_STRICT (stage unit): needs a marked tool;*"])
    result.stdout.fnmatch_lines(["SKIPPED*cannot run in this stage*"])


def test_an_allowed_skip_fails_in_a_stage_it_does_not_name(run) -> None:
    result = run("1", "chroot")
    result.assert_outcomes(passed=1, failed=2, errors=1)
    result.stdout.fnmatch_lines(["*skipped under LIVEPXE_STRICT (stage chroot): cannot run in this stage;*"])


def test_an_allowed_skip_fails_outside_ci_stages(run) -> None:
    run("1").assert_outcomes(passed=1, failed=2, errors=1)


def test_a_module_level_skip_fails_too(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                       strict_plugin: types.ModuleType) -> None:
    pytester.makepyfile(test_gone="import pytest\npytest.skip('no such tool', allow_module_level=True)\n")
    monkeypatch.setenv("LIVEPXE_STRICT", "1")
    monkeypatch.delenv("LIVEPXE_CI_STAGE", raising=False)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", plugins=[strict_plugin])
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*skipped under LIVEPXE_STRICT: no such tool;*"])


def test_the_allow_list_says_why_for_each_entry(strict_plugin: types.ModuleType) -> None:
    for entry in strict_plugin.STRICT_ALLOWED_SKIPS:
        assert entry.nodeid.startswith("tests/") and entry.stages and len(entry.why) > 20, entry
        assert "chroot" not in entry.stages, f"{entry}: the chroot stage runs everything"
