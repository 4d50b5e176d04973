"""ReleaseSession: the one stateful object of the plugin, registered only when it is enabled.

It links tests to checklist items at collection, records every test's outcome (on the xdist
controller too, from the workers' reports), and at the end computes item statuses and the
verdict, writes the report files and sets the exit status.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_release.attestations import Attestations
from pytest_release.checklist.link import Link, UnknownId, link
from pytest_release.checklist.model import Checklist, ChecklistItem
from pytest_release.gc_pause import gc_paused
from pytest_release.git_commit import git_commit
from pytest_release.junit import write_junit
from pytest_release.keys import TARGET_KEY
from pytest_release.outcomes import Inconclusive
from pytest_release.report.filled_checklist import write_filled_checklist
from pytest_release.report.redaction import ReportRedactor
from pytest_release.results import RunRecord, to_json, write_json
from pytest_release.settings import Settings
from pytest_release.status import PASSING, Outcome, TestRecord, item_results
from pytest_release.summary import write_summary
from pytest_release.verdict import (
    Decision,
    Reason,
    Verdict,
    VerdictContext,
    builtin_reasons,
    decide,
    run_phase,
)

LINK_KEY = pytest.StashKey[Link]()
# user_properties names: they travel from xdist workers to the controller and into JUnit XML.
PROP_CHECKLIST = "checklist"
PROP_SEVERITY = "severity"
PROP_EVIDENCE = "evidence"
PROP_INCONCLUSIVE = "inconclusive"
PROP_TARGET_URL = "target_url"
PROP_TARGET_VERSION = "target_version"


@dataclass(slots=True)
class _TestState:
    nodeid: str
    phases: dict[str, tuple[Outcome, str | None]] = field(default_factory=dict)
    duration_s: float = 0.0
    checklist: tuple[str, ...] = ()
    severity: str | None = None
    inconclusive: tuple[str, str] | None = None
    evidence: list[str] = field(default_factory=list)
    properties_read: list[tuple[str, object]] | None = None  # the last list read, as it was

    def final(self) -> tuple[Outcome, str | None]:
        """Setup decides first, then the call; a failing teardown turns a pass into an error."""
        setup = self.phases.get("setup")
        if setup is not None and setup[0] is not Outcome.PASSED:
            return setup
        result = self.phases.get("call", (Outcome.PASSED, None))
        teardown = self.phases.get("teardown")
        if teardown is not None and teardown[0] is Outcome.ERROR and result[0] in PASSING:
            return teardown
        return result

    def freeze(self) -> TestRecord:
        outcome, message = self.final()
        return TestRecord(
            nodeid=self.nodeid,
            outcome=outcome,
            duration_s=self.duration_s,
            checklist=self.checklist,
            severity=self.severity,
            message=message,
            inconclusive=self.inconclusive,
            evidence=tuple(dict.fromkeys(self.evidence)),
        )


class ReleaseSession:
    """Hook implementations that carry the run's state."""

    def __init__(
        self,
        config: pytest.Config,
        settings: Settings,
        checklist: Checklist,
        attestations: Attestations,
    ) -> None:
        self.config = config
        self.settings = settings
        self.checklist = checklist
        self.attestations = attestations
        self.is_worker = hasattr(config, "workerinput")
        self.tests: dict[str, _TestState] = {}
        self.started = dt.datetime.now(dt.UTC)
        self.started_clock = time.perf_counter()
        self.target_url: str | None = settings.target_url
        self.target_version: str | None = None
        self.problems: list[str] = []
        self.record: RunRecord | None = None

    # -- collection ---------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Link before -m deselection runs, so the added markers take part in it."""
        unknown: list[UnknownId] = []
        decorators: dict[str, pytest.MarkDecorator] = {}
        for item in items:
            ids = [str(a) for m in item.iter_markers("checklist") for a in m.args]
            if not ids:
                continue
            result = link(self.checklist, item.nodeid, ids)
            if isinstance(result, UnknownId):
                unknown.append(result)
                continue
            item.stash[LINK_KEY] = result
            for marker in sorted(result.markers):
                if marker not in decorators:
                    decorators[marker] = getattr(pytest.mark, marker)
                item.add_marker(decorators[marker])
            item.user_properties.append((PROP_CHECKLIST, ",".join(result.ids)))
            if result.severity is not None:
                item.user_properties.append((PROP_SEVERITY, result.severity.value))
        if unknown:
            lines = "\n  ".join(u.describe() for u in unknown[:20])
            raise pytest.UsageError(
                f"@pytest.mark.checklist names ids that are not in {self.checklist.path}:\n  "
                f"{lines}\nfix the id in the test, or add the item to the checklist"
            )

    # -- running ------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.excinfo is None and report.when != "setup":
            return report  # most reports: nothing to add
        extra: list[tuple[str, object]] = []
        if call.excinfo is not None and call.excinfo.errisinstance(Inconclusive):
            exc = call.excinfo.value
            assert isinstance(exc, Inconclusive)
            extra.append((PROP_INCONCLUSIVE, [exc.rule, exc.reason]))
        target = self.config.stash.get(TARGET_KEY, None)
        if (
            target is not None
            and report.when == "setup"
            and "target" in getattr(item, "fixturenames", ())
        ):
            extra.append((PROP_TARGET_URL, target.url))
            if target.version_seen is not None:
                extra.append((PROP_TARGET_VERSION, target.version_seen))
        if extra:
            report.user_properties = [*report.user_properties, *extra]
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker:
            return
        state = self.tests.get(report.nodeid)
        if state is None:
            state = self.tests[report.nodeid] = _TestState(report.nodeid)
        state.duration_s += report.duration
        properties = report.user_properties
        if properties != state.properties_read:  # setup, call, teardown mostly carry the same
            self._read_properties(state, properties)
            state.properties_read = list(properties)
        outcome = _outcome(report)
        if outcome is not None:
            state.phases[report.when] = (outcome, _message(report))

    def _read_properties(self, state: _TestState, properties: list[tuple[str, object]]) -> None:
        for name, value in properties:
            if name == PROP_CHECKLIST and isinstance(value, str):
                state.checklist = tuple(v for v in value.split(",") if v)
            elif name == PROP_SEVERITY and isinstance(value, str):
                state.severity = value
            elif name == PROP_EVIDENCE and isinstance(value, str):
                state.evidence.append(value)
            elif name == PROP_INCONCLUSIVE and isinstance(value, list | tuple) and len(value) == 2:
                state.inconclusive = (str(value[0]), str(value[1]))
            elif name == PROP_TARGET_URL and isinstance(value, str):
                self.target_url = value
            elif name == PROP_TARGET_VERSION and isinstance(value, str):
                self.target_version = value

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and not self.is_worker:
            self.problems.append(f"collection error in {report.nodeid or 'the session'}")

    # -- verdict ------------------------------------------------------------------------
    def pytest_release_verdict_reasons(self, context: VerdictContext) -> list[Reason]:
        return builtin_reasons(context)

    @pytest.hookimpl(tryfirst=True)  # before pytest-html renders, so the report can show it
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            return
        with gc_paused():
            self.record = self._build_record(session)
            self._write(self.record)
        if self.record.verdict.decision is not Decision.GO and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _build_record(self, session: pytest.Session) -> RunRecord:
        markexpr = str(self.config.option.markexpr or "")
        in_scope = self._scope(markexpr)
        records = tuple(s.freeze() for s in self.tests.values())
        items = item_results(self.checklist, records, self.attestations, in_scope)
        phase = run_phase(markexpr, self.settings.phase)
        problems = list(self.problems)
        if session.shouldfail or session.shouldstop:
            problems.append(
                f"the run was stopped early: {session.shouldfail or session.shouldstop}"
            )
        context = VerdictContext(
            items=items,
            phase=phase,
            high_priority_threshold=self.settings.high_priority_threshold,
            problems=tuple(dict.fromkeys(problems)),
            tests_run=len(records),
        )
        reasons = [
            r for rs in self.config.hook.pytest_release_verdict_reasons(context=context) for r in rs
        ]
        verdict: Verdict = decide(context, reasons)
        finished = dt.datetime.now(dt.UTC)
        return RunRecord(
            checklist=self.checklist,
            items=items,
            tests=records,
            verdict=verdict,
            attestations=self.attestations,
            phase=phase,
            markexpr=markexpr,
            started=_iso(self.started),
            finished=_iso(finished),
            duration_s=time.perf_counter() - self.started_clock,
            release_version=self.settings.release_version,
            commit=git_commit(self.settings.rootpath),
            target_url=self.target_url,
            target_version=self.target_version,
            files=self._files(),
        )

    def _scope(self, markexpr: str) -> Callable[[ChecklistItem], bool]:
        """Items the selection covers: matched by -m through their own markers, or all."""
        if markexpr:
            matcher = _compile_markexpr(markexpr)
            return lambda item: matcher(item.markers)
        explicit_args = self.config.args_source is pytest.Config.ArgsSource.ARGS
        if self.config.option.keyword or explicit_args:
            return lambda item: False  # only items with a selected test (added by status)
        return lambda item: True

    def _files(self) -> dict[str, str]:
        files = {"results": "results.json", "junit": "junit.xml", "checklist": "checklist.md"}
        html = self.config.getoption("htmlpath", None)
        if html:
            files["html"] = _relative(Path(html), self.settings.report_dir)
        return files

    def _write(self, record: RunRecord) -> None:
        redactor = ReportRedactor(self.settings.secret_patterns)
        data = redactor.strings(to_json(record))  # test messages can carry secrets
        self.config.hook.pytest_release_results(record=record, data=data)
        write_json(self.settings.report_dir / "results.json", data)
        write_junit(self.settings.report_dir / "junit.xml", record, redactor)
        write_filled_checklist(self.settings.report_dir, record, redactor)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.record is not None:
            write_summary(terminalreporter, self.record, self.settings.report_dir)


def _compile_markexpr(markexpr: str) -> Callable[[frozenset[str]], bool]:
    from _pytest.mark.expression import Expression

    expression = Expression.compile(markexpr)

    def matches(names: frozenset[str]) -> bool:
        def has(name: str, /, **kwargs: str | int | bool | None) -> bool:
            return name in names

        return expression.evaluate(has)

    return matches


def _outcome(report: pytest.TestReport) -> Outcome | None:
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if report.passed:
            return Outcome.XPASSED if xfail else Outcome.PASSED
        if report.skipped:
            return Outcome.XFAILED if xfail else Outcome.SKIPPED
        return Outcome.FAILED
    if report.failed:
        return Outcome.ERROR
    if report.skipped:
        return Outcome.XFAILED if xfail else Outcome.SKIPPED
    return Outcome.PASSED


def _message(report: pytest.TestReport) -> str | None:
    if report.passed:
        return None
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    if hasattr(report, "wasxfail"):
        return str(report.wasxfail) or None
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).strip()[:2000]
    return str(longrepr).strip().splitlines()[-1][:2000] if longrepr else None


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)
