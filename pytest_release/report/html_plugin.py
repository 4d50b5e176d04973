"""pytest-html integration: the sign-off views added to report.html through pytest-html's hooks.

pytest-html keeps rendering the test table; this plugin adds the verdict banner, the run
facts, the checklist table and the sign-off table on top (``pytest_html_results_summary``),
a Checklist column to the test table, evidence to each test row (``extras``), and redacts
what pytest-html shows of test output. The views are rendered from the RunRecord, which the
release session hands over through ``pytest_release_results`` before pytest-html renders.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pytest_release.gc_pause import gc_paused
from pytest_release.report.attachments import Attachments, Budget
from pytest_release.report.banner import render_banner, render_run_details
from pytest_release.report.checklist_table import render_checklist
from pytest_release.report.markup import esc, href, item_anchor
from pytest_release.report.redaction import ReportRedactor
from pytest_release.report.signoff import render_signoff
from pytest_release.results import RunRecord
from pytest_release.settings import Settings

CSS = Path(__file__).with_name("report.css")
PLUGIN_NAME = "release-html"
_TEXT_EXTRAS = frozenset({"text", "url", "html"})


def register_html_report(config: pytest.Config, settings: Settings) -> None:
    """Add the sign-off views when pytest-html writes a report (on the xdist controller only)."""
    html_path = config.getoption("htmlpath", None)
    if (
        not html_path
        or hasattr(config, "workerinput")
        or not config.pluginmanager.hasplugin("html")
    ):
        return
    css = config.getoption("css", None)
    if isinstance(css, list) and str(CSS) not in css:
        css.append(str(CSS))  # read by pytest-html's pytest_configure, which runs after ours
    path = Path.cwd() / Path(os.path.expandvars(str(html_path))).expanduser()
    config.pluginmanager.register(ReleaseHtmlReport(settings, path), PLUGIN_NAME)


class ReleaseHtmlReport:
    """Collects per-test row data during the run and renders the views at the end."""

    def __init__(self, settings: Settings, html_path: Path, budget: Budget | None = None) -> None:
        self.redactor = ReportRedactor(settings.secret_patterns)
        self.html_path = html_path
        self.attachments = Attachments(settings.report_dir, html_path.parent, self.redactor, budget)
        self.record: RunRecord | None = None
        self.rows: dict[str, str] = {}  # nodeid -> id of its row in pytest-html's table
        self._failed: set[str] = set()
        self._report_data: Any = None
        self._checklist_cells: dict[tuple[str, str], str] = {}  # many tests share an item

    # -- the record -------------------------------------------------------------------
    def pytest_release_results(self, record: RunRecord, data: dict[str, Any]) -> None:
        self.record = record

    # -- per test ---------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Runs before pytest-html's (trylast) hook: redact extras, add evidence on teardown."""
        if report.failed:
            self._failed.add(report.nodeid)
        if report.sections:
            # pytest-html copies teardown output into the test's log straight from the report,
            # past pytest_html_results_table_html; redacted here, it is redacted everywhere.
            report.sections = [(h, self.redactor.text(c)) for h, c in report.sections]
        carrier: Any = report  # pytest-html's extras ride on the report as an ad-hoc attribute
        extras = getattr(carrier, "extras", None)
        if extras:
            carrier.extras = [self._redact_extra(e) for e in extras]
        if report.when != "teardown":
            return
        paths = [str(v) for k, v in report.user_properties if k == "evidence"]
        if paths:
            block = self.attachments.render(paths, failed=report.nodeid in self._failed)
            import pytest_html.extras

            carrier.extras = [*getattr(carrier, "extras", []), pytest_html.extras.html(block)]

    def _redact_extra(self, extra: Any) -> Any:
        if not isinstance(extra, dict):
            return extra
        kind = extra.get("format_type")
        content = extra.get("content")
        if kind == "json":
            return {**extra, "content": self.redactor.data(content)}
        if kind in _TEXT_EXTRAS:
            if isinstance(content, bytes):
                content = content.decode("utf-8", errors="replace")
            if isinstance(content, str):
                return {**extra, "content": self.redactor.text(content)}
        return extra

    def pytest_html_report_title(self, report: Any) -> None:
        self._report_data = report
        report.title = "Release sign-off"

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(2, '<th class="col-checklist">Checklist</th>')

    def pytest_html_results_table_row(self, report: Any, cells: list[str]) -> None:
        when = getattr(report, "when", "call")
        if when in ("setup", "teardown") and report.outcome == "passed":
            cells.insert(2, '<td class="col-checklist"></td>')  # pytest-html drops this row
            return
        test_id = report.nodeid if when == "call" else f"{report.nodeid}::{when}"
        # pytest-html puts the node id in the cell unescaped and uses the cell's HTML as the
        # row's element id, so the id here is exactly what the links below must point to.
        row_id = esc(self.redactor.text(test_id))
        if len(cells) > 1:
            cells[1] = f'<td class="col-testId">{row_id}</td>'
        if when == "call":
            self.rows[report.nodeid] = row_id
        elif report.outcome != "passed":
            self.rows.setdefault(report.nodeid, row_id)
        properties = dict(getattr(report, "user_properties", ()))
        key = (str(properties.get("checklist", "")), str(properties.get("severity") or ""))
        cell = self._checklist_cells.get(key)
        if cell is None:
            ids = [i for i in key[0].split(",") if i]
            links = "".join(f'<a href="{href(item_anchor(i))}">{esc(i)}</a>' for i in ids)
            tag = f' <span class="rel-sev">{esc(key[1])}</span>' if key[1] else ""
            cell = self._checklist_cells[key] = f'<td class="col-checklist">{links}{tag}</td>'
        cells.insert(2, cell)

    def pytest_html_results_table_html(self, report: Any, data: list[str]) -> None:
        if getattr(report, "when", "call") in ("setup", "teardown") and report.outcome == "passed":
            return  # pytest-html drops this row and its log
        data[:] = [self.redactor.escaped(part) for part in data]

    # -- at the end ---------------------------------------------------------------------
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        environment = self._redacted_environment()
        record = self.record
        if record is None:
            prefix.append(
                '<section class="rel-banner rel-banner--inconclusive" id="release-verdict" '
                'data-verdict="NONE"><div class="rel-banner__decision">NO VERDICT</div>'
                '<div class="rel-banner__body"><p class="rel-banner__headline">pytest-release '
                "did not reach a verdict: the session ended before the checklist was evaluated."
                "</p></div></section>"
            )
            return
        if self._report_data is not None:
            parts = [record.verdict.decision.value, record.checklist.title or "Release sign-off"]
            if record.release_version:
                parts.insert(1, f"release {record.release_version}")
            self._report_data.title = self.redactor.text(" · ".join(parts))
        redact = self.redactor.text
        with gc_paused():
            prefix.append(render_banner(record, redact))
            prefix.append(render_run_details(record, environment, redact, self.html_path.name))
            prefix.append(render_checklist(record, self.rows.get, redact))
            prefix.append(render_signoff(record, redact))
        usage = self.attachments.usage
        prefix.append(
            '<h2 class="rel-tests-heading" id="release-tests">Tests</h2>'
            f'<p class="rel-muted rel-evidence-usage">Evidence inlined: {usage.inlined} file(s), '
            f"{usage.inlined_bytes // 1000} kB; linked to files in evidence/: {usage.linked}.</p>"
        )

    def _redacted_environment(self) -> dict[str, Any]:
        data = self._report_data
        if data is None:
            return {}
        environment = data.data.get("environment") or {}
        redacted: dict[str, Any] = self.redactor.data(dict(environment))
        data.set_data("environment", redacted)
        return redacted
