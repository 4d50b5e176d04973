"""Pure pieces of the core: settings, attestations, verdict rules, redaction, JUnit view."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_release.attestations import Attestations, load_attestations
from pytest_release.checklist.model import Checklist, Phase, Status
from pytest_release.checklist.parse import parse_text
from pytest_release.junit import render_junit
from pytest_release.redact import REDACTED, Redactor
from pytest_release.report.checklist_table import _attestation
from pytest_release.results import RunRecord, load_schema, to_json
from pytest_release.settings import ConfigError, build_settings
from pytest_release.status import ItemResult, Outcome, TestRecord, item_results
from pytest_release.verdict import Decision, VerdictContext, builtin_reasons, decide, run_phase
from tests.conftest import SMALL_CHECKLIST

CHECKLIST = parse_text(SMALL_CHECKLIST, "checklist.md")


def _settings(
    tmp_path: Path,
    pyproject: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    ini: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> Any:
    return build_settings(
        tmp_path,
        pyproject or {},
        lambda dest: (options or {}).get(dest),
        lambda name: (ini or {}).get(name, ""),
        env or {},
    )


def test_settings_precedence_cli_env_ini_pyproject(tmp_path: Path) -> None:
    py = {"target_url": "http://py.test", "checklist": "c.md"}
    assert _settings(tmp_path, py).target_url == "http://py.test"
    assert _settings(tmp_path, py, ini={"release_target_url": "http://ini.test"}).target_url == (
        "http://ini.test"
    )
    env = {"PYTEST_RELEASE_TARGET_URL": "http://env.test/"}
    assert _settings(tmp_path, py, env=env).target_url == "http://env.test"
    cli = {"release_target_url": "https://cli.test"}
    assert _settings(tmp_path, py, options=cli, env=env).target_url == "https://cli.test"


def test_settings_disabled_without_a_checklist(tmp_path: Path) -> None:
    assert _settings(tmp_path).enabled is False
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "checklist.md").write_text("# x\n")
    settings = _settings(tmp_path)
    assert settings.enabled is True
    assert settings.report_dir == tmp_path / "reports"


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ({"checklist": "c.md", "phase": "later"}, "phase = 'later' is not allowed; use one of"),
        ({"checklist": "c.md", "high_priority_threshold": 0}, "use a whole number of at least 1"),
        ({"checklist": "c.md", "phases": {"After": "soon"}}, "phases.'After' = 'soon'"),
        ({"checklist": "c.md", "target": "x"}, "unknown key 'target'; did you mean 'target_url'"),
        ({"checklist": "c.md", "secret_patterns": "x"}, "secret_patterns must be a list"),
    ],
)
def test_settings_errors_name_key_value_and_what_is_allowed(
    tmp_path: Path, pyproject: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _settings(tmp_path, pyproject)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[attestation]]\nitem = "post.hom"\nby = "a"\nat = "now"\n', "did you mean post.home"),
        ('[[attestation]]\nitem = "post.home"\nat = "now"\n', r"\[\[attestation\]\] #1 needs by"),
        (
            '[[waiver]]\nitem = "post.home"\nreason = "r"\nby = "b"\nexpires = "soon"\n',
            "not a date",
        ),
        ('[[waiver]]\nitem = "post.home"\nreason = "r"\nby = "b"\nuntil = 2025-01-01\n', "until"),
        (
            '[[signoff]]\nrole = "CEO"\nname = "n"\ndate = "d"\n',
            "role 'CEO' is not in the sign-off",
        ),
        ('[[attest]]\nitem = "x"\n', "unknown table"),
        ("not toml [", "cannot read it as TOML"),
    ],
)
def test_attestation_errors(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "att.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_attestations(path, CHECKLIST, dt.date(2025, 7, 25))


def test_waiver_counts_through_its_expiry_day(tmp_path: Path) -> None:
    path = tmp_path / "att.toml"
    path.write_text(
        '[[waiver]]\nitem = "post.home"\nreason = "r"\nby = "b"\nexpires = 2025-07-25\n'
    )
    assert len(load_attestations(path, CHECKLIST, dt.date(2025, 7, 25)).waivers) == 1
    late = load_attestations(path, CHECKLIST, dt.date(2025, 7, 26))
    assert late.waivers == () and len(late.expired_waivers) == 1


def test_waiver_covering_inconclusive_waives_only_what_could_not_be_checked(
    tmp_path: Path,
) -> None:
    path = tmp_path / "att.toml"
    path.write_text(
        '[[waiver]]\nitem = "post.home"\nreason = "offline"\nby = "b"\nexpires = 2025-07-25\n'
        'covers = "inconclusive"\n'
    )
    attestations = load_attestations(path, CHECKLIST, dt.date(2025, 7, 25))
    unsure = TestRecord("t::home", Outcome.SKIPPED, 0.0, ("post.home",), inconclusive=("r", "DB"))
    failed = TestRecord("t::home", Outcome.FAILED, 0.0, ("post.home",), message="vuln found")
    (waived,) = [
        r
        for r in item_results(CHECKLIST, [unsure], attestations, lambda i: True)
        if r.item.id == "post.home"
    ]
    assert waived.status is Status.WAIVED and waived.inconclusive is None
    assert "not checked, waived until 2025-07-25 by b: offline (inconclusive: DB)" in str(
        waived.note
    )
    (still_failing,) = [
        r
        for r in item_results(CHECKLIST, [failed], attestations, lambda i: True)
        if r.item.id == "post.home"
    ]
    assert still_failing.status is Status.FAIL
    record = RunRecord(
        checklist=CHECKLIST,
        items=tuple(item_results(CHECKLIST, [unsure], attestations, lambda i: True)),
        tests=(unsure,),
        verdict=decide(VerdictContext(items=(), phase="postdeploy"), []),
        attestations=attestations,
        phase="postdeploy",
        markexpr="",
        started="2025-07-25T23:30:00Z",
        finished="2025-07-25T23:31:00Z",
        duration_s=1.0,
    )
    data = to_json(record)
    jsonschema.validate(data, load_schema())
    assert data["waivers"][0]["covers"] == "inconclusive"
    cell = _attestation("post.home", attestations, str)
    assert "waived (only while it cannot be checked) by b until 2025-07-25" in cell
    path.write_text(path.read_text().replace('"inconclusive"', '"anything"'))
    with pytest.raises(ConfigError, match="covers = 'anything' is not allowed"):
        load_attestations(path, CHECKLIST, dt.date(2025, 7, 25))


def _context(
    outcomes: dict[str, Outcome], phase: str = "postdeploy", checklist: Checklist = CHECKLIST
) -> VerdictContext:
    records = [TestRecord(f"t::{i}", o, 0.0, (i,)) for i, o in outcomes.items()]
    items = item_results(checklist, records, Attestations(), lambda item: True)
    return VerdictContext(items=items, phase=phase, tests_run=len(records))


ALL_PASS = dict.fromkeys(CHECKLIST.ids, Outcome.PASSED)


def test_verdict_go_when_everything_passes() -> None:
    ctx = _context(ALL_PASS)
    assert decide(ctx, builtin_reasons(ctx)).decision is Decision.GO


@pytest.mark.parametrize(
    ("phase", "decision"),
    [
        ("postdeploy", Decision.ROLLBACK),
        ("rollback", Decision.ROLLBACK),
        ("smoke", Decision.NO_GO),
        ("predeploy", Decision.NO_GO),
        ("all", Decision.ROLLBACK),  # the failing item is a post-deployment item
    ],
)
def test_blocking_decision_depends_on_the_phase(phase: str, decision: Decision) -> None:
    ctx = _context({**ALL_PASS, "post.headers": Outcome.FAILED}, phase)
    verdict = decide(ctx, builtin_reasons(ctx))
    assert verdict.decision is decision
    assert verdict.reasons[0].rule == "security-vulnerability-detected"
    assert verdict.reasons[0].checklist == ("post.headers",)


HIGH_STAKES_CHECKLIST = parse_text(
    "## Post-Deployment Checks\n### Performance\n- [ ] Fast <!-- id: p.fast; severity: high -->\n"
    "### Security\n- [ ] Rate limited <!-- id: s.rate; severity: high -->\n"
    "### Functionality\n- [ ] Search <!-- id: f.search; severity: high -->\n"
    "- [ ] Export <!-- id: f.export; severity: medium -->\n"
)


@pytest.mark.parametrize(
    ("failing", "rules"),
    [
        (["p.fast"], ["performance-significantly-degraded"]),
        (["s.rate"], ["security-vulnerability-detected"]),
        (["f.search"], []),  # one high functionality bug: a warning, not a rollback
        (["f.export", "f.search"], []),  # medium does not count towards "multiple"
        (
            ["p.fast", "f.search"],
            ["performance-significantly-degraded", "multiple-high-priority-bugs"],
        ),
    ],
)
def test_high_stakes_criteria_fire_at_high_severity(failing: list[str], rules: list[str]) -> None:
    outcomes = {
        i: (Outcome.FAILED if i in failing else Outcome.PASSED) for i in HIGH_STAKES_CHECKLIST.ids
    }
    ctx = _context(outcomes, checklist=HIGH_STAKES_CHECKLIST)
    verdict = decide(ctx, builtin_reasons(ctx))
    assert [r.rule for r in verdict.reasons] == rules
    assert verdict.decision is (Decision.ROLLBACK if rules else Decision.GO)


def test_error_counts_as_failure_and_xfail_as_warning() -> None:
    ctx = _context({**ALL_PASS, "post.home": Outcome.ERROR, "post.search": Outcome.XFAILED})
    status = {r.item.id: r.status for r in ctx.items}
    assert status["post.home"] is Status.FAIL
    assert status["post.search"] is Status.WARN


def test_definite_failure_outranks_missing_evidence() -> None:
    outcomes = {**ALL_PASS, "post.home": Outcome.FAILED}
    del outcomes["post.headers"]
    ctx = _context(outcomes)
    verdict = decide(ctx, builtin_reasons(ctx))
    assert verdict.decision is Decision.ROLLBACK
    assert [r.rule for r in verdict.reasons] == [
        "critical-functionality-broken",
        "uncovered-critical-items",
    ]


@pytest.mark.parametrize(
    ("markexpr", "phase"),
    [
        ("", "all"),
        ("postdeploy", "postdeploy"),
        ("postdeploy and security", "postdeploy"),
        ("smoke or postdeploy", "smoke"),
        ("(predeploy)", "predeploy"),
        ("predeploy or deploy", "predeploy+deploy"),
        ("critical", "all"),
    ],
)
def test_run_phase_from_the_mark_expression(markexpr: str, phase: str) -> None:
    assert run_phase(markexpr, None) == phase


def test_run_phase_override() -> None:
    assert run_phase("critical", Phase.SMOKE) == "smoke"


def test_redaction_of_headers_urls_and_patterns() -> None:
    redactor = Redactor([r"sk_live_[0-9a-z]+"])
    data = {
        "headers": [["Set-Cookie", "sid=abc"], ["Authorization", "Basic eDp5"], ["X-Ok", "1"]],
        "X-Api-Key": "k",
        "url": "https://h.test/cb?code=xyz&state=1",
        "note": "key sk_live_1234abcd leaked, Bearer abcdefghijklmnop",
    }
    out = redactor.data(data)
    assert out["headers"] == [["Set-Cookie", REDACTED], ["Authorization", REDACTED], ["X-Ok", "1"]]
    assert out["X-Api-Key"] == REDACTED
    assert out["url"] == f"https://h.test/cb?code={REDACTED}&state=1"
    assert "sk_live_1234abcd" not in out["note"] and "abcdefghijklmnop" not in out["note"]
    assert redactor.text("postgres://app:hunter2@db/x") == f"postgres://app:{REDACTED}@db/x"


def _record(records: tuple[TestRecord, ...], target_url: str | None = None) -> RunRecord:
    """A postdeploy run record of these tests against CHECKLIST."""
    items: tuple[ItemResult, ...] = item_results(CHECKLIST, records, Attestations(), lambda i: True)
    ctx = VerdictContext(items=items, phase="postdeploy", tests_run=len(records))
    return RunRecord(
        checklist=CHECKLIST,
        items=items,
        tests=records,
        verdict=decide(ctx, builtin_reasons(ctx)),
        attestations=Attestations(),
        phase="postdeploy",
        markexpr="postdeploy",
        started="2025-07-25T23:30:00Z",
        finished="2025-07-25T23:31:00Z",
        duration_s=60.0,
        target_url=target_url,
    )


def test_junit_view_carries_checklist_ids_severity_and_verdict() -> None:
    records = (
        TestRecord(
            "suites/post/test_a.py::TestX::test_ok", Outcome.PASSED, 0.1, ("post.home",), "critical"
        ),
        TestRecord(
            "suites/post/test_a.py::test_bad",
            Outcome.FAILED,
            0.2,
            ("post.search",),
            "high",
            "boom <&>",
        ),
        TestRecord(
            "suites/post/test_a.py::test_skip", Outcome.SKIPPED, 0.0, (), None, "no browser"
        ),
    )
    record = _record(records, target_url="https://u:pw@h.test/")
    root = ET.fromstring(render_junit(record, Redactor()))
    suite = root.find("testsuite")
    assert suite is not None
    assert (
        suite.get("tests") == "3" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    )
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props["verdict"] == "INCONCLUSIVE"
    assert "pw" not in (props["target_url"] or "")
    cases = suite.findall("testcase")
    assert cases[0].get("classname") == "suites.post.test_a.TestX"
    assert [p.get("value") for p in cases[0].findall("properties/property")] == [
        "post.home",
        "critical",
    ]
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == "boom <&>"


def test_junit_view_stays_well_formed_with_control_characters_and_quotes() -> None:
    message = "assert \"a\" == 'b'\n\x1b[31mred\x1b[0m & <tag>\x00"
    records = (
        TestRecord('suites/t.py::test_x[a"b]', Outcome.FAILED, 0.1, ("post.home",), None, message),
        TestRecord("suites/t.py::test_err", Outcome.ERROR, 0.1, (), None, ""),
    )
    suite = ET.fromstring(render_junit(_record(records), Redactor())).find("testsuite")
    assert suite is not None
    first, second = suite.findall("testcase")
    assert first.get("name") == 'test_x[a"b]'
    failure = first.find("failure")
    assert failure is not None
    assert failure.get("message") == "assert \"a\" == 'b'"
    assert failure.text == "assert \"a\" == 'b'\n#x1B[31mred#x1B[0m & <tag>#x00"
    error = second.find("error")
    assert error is not None and error.get("message") == "error"
