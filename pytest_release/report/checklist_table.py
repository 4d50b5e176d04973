"""The checklist table: every item by section, its status, tests, attestations and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pytest_release.attestations import Attestations
from pytest_release.report.markup import badge, esc, href, item_anchor, short_test_name
from pytest_release.report.model import Coverage, Section, coverage, explanation, sections
from pytest_release.results import RunRecord
from pytest_release.status import FAILING, ItemResult, Outcome, TestRecord

Redact = Callable[[str], str]
RowAnchor = Callable[[str], str | None]
TESTS_SHOWN = 6
EVIDENCE_SHOWN = 6
COLUMNS = 6
_OUTCOME_ORDER = {
    Outcome.FAILED: 0,
    Outcome.ERROR: 0,
    Outcome.XPASSED: 1,
    Outcome.XFAILED: 2,
    Outcome.SKIPPED: 3,
    Outcome.PASSED: 4,
}


def render_checklist(record: RunRecord, row_anchor: RowAnchor, redact: Redact) -> str:
    """The whole checklist as one table, a tbody per section with its coverage figures."""
    tests = {t.nodeid: t for t in record.tests}
    evidence_owner = {path: t.nodeid for t in record.tests for path in t.evidence}
    bodies = "".join(
        _section(section, tests, evidence_owner, record.attestations, row_anchor, redact)
        for section in sections(record.items)
    )
    total = coverage(record.items)
    return (
        '<section class="rel-checklist" id="release-checklist">'
        f"<h2>Checklist <small>{esc(record.checklist.title)}</small></h2>"
        f'<p class="rel-coverage rel-coverage--total">{_coverage_words(total)}</p>'
        + (
            '<p class="rel-muted">To cover an uncovered item, link a test with '
            "<code>@pytest.mark.checklist(&quot;item id&quot;)</code> or add an "
            "<code>[[attestation]]</code> (or <code>[[not_applicable]]</code>) entry.</p>"
            if total.uncovered
            else ""
        )
        + '<table class="rel-table rel-checklist__table"><thead><tr>'
        "<th>Item</th><th>Severity</th><th>Status</th><th>Tests and evidence</th>"
        "<th>Attestation / waiver</th><th>Why</th></tr></thead>"
        f"{bodies}</table></section>"
    )


def _coverage_words(c: Coverage) -> str:
    return (
        f'<span data-coverage="total">{c.total}</span> items · '
        f'<span data-coverage="automated">{c.automated}</span> automated · '
        f'<span data-coverage="attested">{c.attested}</span> attested · '
        f'<span data-coverage="uncovered">{c.uncovered}</span> uncovered · '
        f'<span data-coverage="not-in-scope">{c.not_in_scope}</span> not in scope'
    )


def _section(
    section: Section,
    tests: Mapping[str, TestRecord],
    evidence_owner: Mapping[str, str],
    attestations: Attestations,
    row_anchor: RowAnchor,
    redact: Redact,
) -> str:
    rows = "".join(
        _item(r, tests, evidence_owner, attestations, row_anchor, redact) for r in section.results
    )
    return (
        f'<tbody class="rel-section" data-section="{esc(section.title)}">'
        f'<tr class="rel-section__head"><th colspan="{COLUMNS}">'
        f"{esc(section.title or '(no section)')}"
        f' <span class="rel-coverage">{_coverage_words(section.coverage)}</span></th></tr>'
        f"{rows}</tbody>"
    )


def _item(
    result: ItemResult,
    tests: Mapping[str, TestRecord],
    evidence_owner: Mapping[str, str],
    attestations: Attestations,
    row_anchor: RowAnchor,
    redact: Redact,
) -> str:
    item = result.item
    why = explanation(result)
    scope = "" if result.in_scope else '<br><span class="rel-muted rel-scope">not in scope</span>'
    return (
        f'<tr class="rel-item rel-item--{result.status.value}" id="{esc(item_anchor(item.id))}" '
        f'data-item="{esc(item.id)}" data-status="{result.status.value}">'
        f'<td><span class="rel-item__text">{esc(item.text)}</span><br>'
        f'<code class="rel-item__id">{esc(item.id)}</code></td>'
        f'<td class="rel-sev rel-sev--{item.severity.value}">{item.severity.value}</td>'
        f"<td>{badge(result.status)}{scope}</td>"
        f"<td>{_tests(result, tests, row_anchor, redact)}"
        f"{_evidence(result, evidence_owner, row_anchor)}</td>"
        f"<td>{_attestation(item.id, attestations, redact)}</td>"
        f'<td class="rel-why">{esc(redact(why)) if why else ""}</td>'
        "</tr>"
    )


def _tests(
    result: ItemResult, tests: Mapping[str, TestRecord], row_anchor: RowAnchor, redact: Redact
) -> str:
    if not result.tests:
        return '<span class="rel-muted">no test ran</span>'
    ordered = sorted(
        result.tests,
        key=lambda n: _OUTCOME_ORDER.get(tests[n].outcome, 5) if n in tests else 5,
    )
    links = []
    for nodeid in ordered[:TESTS_SHOWN]:
        record = tests.get(nodeid)
        outcome = record.outcome.value if record is not None else "unknown"
        mark = "✗" if record is not None and record.outcome in FAILING else "✓"
        if record is not None and record.outcome in (Outcome.SKIPPED, Outcome.XFAILED):
            mark = "–"
        name = esc(redact(short_test_name(nodeid)))
        title = esc(redact(f"{nodeid} ({outcome})"))
        anchor = row_anchor(nodeid)
        label = f'<span class="rel-outcome rel-outcome--{outcome}">{mark}</span> {name}'
        links.append(
            f'<a class="rel-test" href="{href(anchor)}" title="{title}">{label}</a>'
            if anchor
            else f'<span class="rel-test" title="{title}">{label}</span>'
        )
    more = len(ordered) - TESTS_SHOWN
    counts = _outcome_counts(result, tests)
    tail = f'<span class="rel-muted">… and {more} more</span>' if more > 0 else ""
    return f'<div class="rel-tests">{counts}{"".join(links)}{tail}</div>'


def _outcome_counts(result: ItemResult, tests: Mapping[str, TestRecord]) -> str:
    counts: dict[str, int] = {}
    for nodeid in result.tests:
        record = tests.get(nodeid)
        key = record.outcome.value if record is not None else "unknown"
        counts[key] = counts.get(key, 0) + 1
    words = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    total = len(result.tests)
    return f'<span class="rel-muted">{total} test{"s" if total != 1 else ""}: {esc(words)}</span>'


def _evidence(result: ItemResult, owner: Mapping[str, str], row_anchor: RowAnchor) -> str:
    if not result.evidence:
        return ""
    links = []
    for path in list(dict.fromkeys(result.evidence))[:EVIDENCE_SHOWN]:
        anchor = row_anchor(owner.get(path, ""))
        name = esc(path.rsplit("/", 1)[-1])
        links.append(f'<a href="{href(anchor)}">{name}</a>' if anchor else name)
    more = len(set(result.evidence)) - EVIDENCE_SHOWN
    tail = f" … and {more} more" if more > 0 else ""
    return f'<div class="rel-evidence-list">evidence: {", ".join(links)}{tail}</div>'


def _attestation(item_id: str, attestations: Attestations, redact: Redact) -> str:
    parts = []
    attested = attestations.attestation(item_id)
    if attested is not None:
        note = f": {attested.note}" if attested.note else ""
        parts.append(f"attested by {attested.by} at {attested.at}{note}")
    na = attestations.not_applicable_entry(item_id)
    if na is not None:
        by = f" ({na.by})" if na.by else ""
        parts.append(f"not applicable{by}: {na.reason}")
    waiver = attestations.waiver(item_id)
    if waiver is not None:
        scope = " (only while it cannot be checked)" if waiver.covers == "inconclusive" else ""
        parts.append(
            f"waived{scope} by {waiver.by} until {waiver.expires.isoformat()}: {waiver.reason}"
        )
    for expired in attestations.expired_waivers:
        if expired.item == item_id:
            parts.append(
                f"EXPIRED waiver by {expired.by} (ended {expired.expires.isoformat()}): "
                f"{expired.reason}"
            )
    return "<br>".join(esc(redact(p)) for p in parts)
