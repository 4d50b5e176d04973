"""A user's own small checklist in a temp project: verdicts, exit codes and results.json."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import results, statuses

ALL_PASS = """
import pytest

@pytest.mark.checklist("pre.unit", "pre.lint")
def test_unit(): pass

@pytest.mark.checklist("post.home")
def test_home(): pass

@pytest.mark.checklist("post.search")
def test_search(): pass

@pytest.mark.checklist("post.checkout")
def test_checkout(): pass

@pytest.mark.checklist("post.headers")
def test_headers(): pass
"""


def test_everything_passing_is_go_with_exit_0(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=ALL_PASS)
    result = project.runpytest()
    result.assert_outcomes(passed=5)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["*pytest-release verdict*", "VERDICT: GO*", "*results: *results.json"]
    )
    data = results(project)
    assert data["verdict"] == "GO"
    assert data["verdict_reasons"] == []
    assert set(statuses(data).values()) == {"pass"}
    assert data["counts"]["pass"] == 6
    test = next(t for t in data["tests"] if t["nodeid"].endswith("test_unit"))
    assert test["checklist"] == ["pre.unit", "pre.lint"]
    assert test["severity"] == "high"
    assert test["outcome"] == "passed"


def test_critical_failure_after_deploy_is_rollback(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_checks=ALL_PASS.replace(
            "def test_home(): pass", "def test_home(): assert False, 'home page answered 500'"
        )
    )
    result = project.runpytest("-m", "postdeploy")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "VERDICT: ROLLBACK - critical-functionality-broken*",
            "*FAIL*post.home*critical*Home page loads",
            "*-> AssertionError: home page answered 500",
        ]
    )
    data = results(project)
    assert data["verdict"] == "ROLLBACK"
    assert data["phase"] == "postdeploy"
    reason = data["verdict_reasons"][0]
    assert reason["rule"] == "critical-functionality-broken"
    assert reason["checklist"] == ["post.home"]
    assert statuses(data)["post.home"] == "fail"
    assert statuses(data)["pre.unit"] == "skip"  # not selected, still listed


def test_critical_security_failure_before_deploy_is_no_go(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_checks=ALL_PASS.replace(
            "def test_headers(): pass", "def test_headers(): assert False, 'no CSP'"
        )
    )
    result = project.runpytest("--release-phase", "predeploy")
    assert result.ret == 1
    data = results(project)
    assert data["verdict"] == "NO-GO"
    assert {r["rule"] for r in data["verdict_reasons"]} == {"security-vulnerability-detected"}


def test_uncovered_critical_item_is_inconclusive(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=ALL_PASS.replace('@pytest.mark.checklist("post.home")\n', ""))
    result = project.runpytest()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["VERDICT: INCONCLUSIVE - uncovered-critical-items*"])
    data = results(project)
    assert data["verdict"] == "INCONCLUSIVE"
    assert statuses(data)["post.home"] == "uncovered"
    assert data["verdict_reasons"][0]["checklist"] == ["post.home"]


def test_low_severity_failure_is_a_warning_not_blocking(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_checks=ALL_PASS + "\n@pytest.mark.checklist('pre.lint')\ndef test_lint(): assert 0\n"
    )
    result = project.runpytest()
    data = results(project)
    assert statuses(data)["pre.lint"] == "warn"
    assert data["verdict"] == "GO"
    assert data["warnings"][0]["rule"] == "low-severity-warnings"
    assert result.ret == 1  # pytest still reports the failed test


def test_two_high_failures_are_multiple_high_priority_bugs(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_checks=ALL_PASS.replace(
            "def test_search(): pass", "def test_search(): assert 0"
        ).replace("def test_checkout(): pass", "def test_checkout(): assert 0")
    )
    project.runpytest("-m", "postdeploy")
    data = results(project)
    assert data["verdict"] == "ROLLBACK"
    assert data["verdict_reasons"][0]["rule"] == "multiple-high-priority-bugs"
    assert sorted(data["verdict_reasons"][0]["checklist"]) == ["post.checkout", "post.search"]


def test_one_high_failure_under_a_threshold_of_one_blocks(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_checks=ALL_PASS.replace("def test_search(): pass", "def test_search(): assert 0")
    )
    project.runpytest("-m", "postdeploy", "--high-priority-threshold", "1")
    assert results(project)["verdict"] == "ROLLBACK"


def test_waiver_attestation_and_not_applicable(project: pytest.Pytester) -> None:
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    project.makefile(
        ".toml",
        attestations=f"""
[[waiver]]
item = "post.search"
reason = "search index rebuilds overnight"
by = "Sam (Project Manager)"
expires = {future}

[[attestation]]
item = "post.checkout"
by = "Alex (QA Lead)"
at = 2025-07-25T23:40:00Z
note = "checked by hand with a test card"

[[not_applicable]]
item = "pre.lint"
reason = "no linter for this service"

[[signoff]]
role = "QA Lead"
name = "Alex"
date = 2025-07-26
""",
    )
    project.makepyfile(
        test_checks=ALL_PASS.replace("def test_search(): pass", "def test_search(): assert 0")
        .replace('@pytest.mark.checklist("post.checkout")\n', "")
        .replace('"pre.unit", "pre.lint"', '"pre.unit"')
    )
    project.runpytest("--attestations", "attestations.toml")
    data = results(project)
    status = statuses(data)
    assert status["post.search"] == "waived"
    assert status["post.checkout"] == "manual"
    assert status["pre.lint"] == "na"
    assert data["verdict"] == "GO"
    assert data["attestations"][0]["by"] == "Alex (QA Lead)"
    assert data["waivers"][0]["expired"] is False
    assert data["signoffs"][0]["role"] == "QA Lead"


def test_expired_waiver_no_longer_counts_and_is_announced(project: pytest.Pytester) -> None:
    project.makefile(
        ".toml",
        attestations="""
[[waiver]]
item = "post.home"
reason = "known"
by = "Sam"
expires = 2020-01-01
""",
    )
    project.makepyfile(
        test_checks=ALL_PASS.replace("def test_home(): pass", "def test_home(): assert 0")
    )
    result = project.runpytest("--attestations", "attestations.toml")
    result.stdout.fnmatch_lines(["*WARNING: the waiver for post.home expired on 2020-01-01*"])
    data = results(project)
    assert statuses(data)["post.home"] == "fail"
    assert data["verdict"] in {"NO-GO", "ROLLBACK"}
    assert data["waivers"][0]["expired"] is True


def test_custom_verdict_rule_from_conftest(project: pytest.Pytester) -> None:
    project.makeconftest(
        """
from pytest_release.verdict import Reason

def pytest_release_verdict_reasons(context):
    unit = [r.item.id for r in context.items if r.item.id == "pre.unit" and r.status == "pass"]
    return [Reason("unit-tests-must-be-reviewed", "unit tests changed", tuple(unit))]
"""
    )
    project.makepyfile(test_checks=ALL_PASS)
    result = project.runpytest()
    assert result.ret == 1
    data = results(project)
    assert data["verdict"] == "NO-GO"
    assert data["verdict_reasons"][0]["rule"] == "unit-tests-must-be-reviewed"


def test_skipped_critical_test_is_inconclusive_not_go(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_checks=ALL_PASS.replace(
            "def test_home(): pass", "def test_home(): pytest.skip('browser missing')"
        )
    )
    project.runpytest()
    data = results(project)
    assert statuses(data)["post.home"] == "skip"
    assert data["verdict"] == "INCONCLUSIVE"


def test_inconclusive_helper_names_its_reason(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_checks=ALL_PASS.replace(
            "def test_home(): pass",
            "def test_home():\n"
            "    from pytest_release.outcomes import inconclusive\n"
            "    inconclusive('no samples collected from /metrics')",
        )
    )
    result = project.runpytest()
    result.assert_outcomes(passed=4, skipped=1)
    data = results(project)
    assert data["verdict"] == "INCONCLUSIVE"
    reason = data["verdict_reasons"][0]
    assert reason["rule"] == "evidence-not-collected"
    assert "no samples collected" in reason["detail"]
    assert reason["checklist"] == ["post.home"]


def test_nothing_selected_is_inconclusive(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=ALL_PASS)
    result = project.runpytest("-m", "rollback")
    assert result.ret != 0
    assert results(project)["verdict"] == "INCONCLUSIVE"
