"""The top of the report: the verdict banner and the facts of the run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pytest_release.checklist.model import CRITERION_WORDS, Status
from pytest_release.report.markup import badge, duration, esc, href, item_anchor
from pytest_release.report.model import HEADLINES, explanation
from pytest_release.results import RunRecord
from pytest_release.status import ItemResult, count_statuses
from pytest_release.verdict import (
    EVIDENCE_MISSING,
    NOTHING_CHECKED,
    RUN_PROBLEM,
    TARGET_UNREACHABLE,
    UNCOVERED_CRITICAL,
    Reason,
)

Redact = Callable[[str], str]
RULE_WORDS: Mapping[str, str] = {
    **CRITERION_WORDS,
    UNCOVERED_CRITICAL: "Critical items have no result",
    EVIDENCE_MISSING: "Evidence could not be collected",
    TARGET_UNREACHABLE: "The target is unreachable",
    NOTHING_CHECKED: "Nothing was checked",
    RUN_PROBLEM: "The run had a problem",
    "non-blocking-failures": "Non-blocking failures",
    "low-severity-warnings": "Low-severity items need attention",
}
ITEMS_PER_REASON = 12
DETAIL_LIMIT = 400
STATUS_ORDER = (
    Status.FAIL,
    Status.WARN,
    Status.UNCOVERED,
    Status.SKIP,
    Status.WAIVED,
    Status.MANUAL,
    Status.NA,
    Status.PASS,
)


def render_banner(record: RunRecord, redact: Redact) -> str:
    """Decision in colour and words, the criteria that fired with their items, the counts."""
    decision = record.verdict.decision
    by_id = {r.item.id: r for r in record.items}
    reasons = "".join(_reason(r, by_id, redact) for r in record.verdict.reasons)
    warnings = "".join(_reason(r, by_id, redact) for r in record.verdict.warnings)
    expired = "".join(
        f'<li class="rel-reason rel-reason--warning">The waiver for '
        f'<a href="{href(item_anchor(w.item))}">{esc(w.item)}</a> expired on '
        f"{esc(w.expires.isoformat())} and no longer counts: renew it or fix the item.</li>"
        for w in record.attestations.expired_waivers
    )
    counts = count_statuses(record.items)
    count_html = " ".join(
        f'<span class="rel-count">{badge(status)} <b data-count="{status.value}">{n}</b></span>'
        for status in STATUS_ORDER
        if (n := counts[status.value])
    )
    modifier = decision.value.lower().replace("-", "")
    return (
        f'<section class="rel-banner rel-banner--{modifier}" id="release-verdict" '
        f'data-verdict="{esc(decision.value)}" role="status">'
        f'<div class="rel-banner__decision">{esc(decision.value)}</div>'
        f'<div class="rel-banner__body">'
        f'<p class="rel-banner__headline">{esc(HEADLINES[decision])}</p>'
        + (f'<ul class="rel-banner__reasons">{reasons}</ul>' if reasons else "")
        + (
            f'<ul class="rel-banner__warnings">{warnings}{expired}</ul>'
            if warnings or expired
            else ""
        )
        + f'<p class="rel-banner__counts">{len(record.items)} checklist items: {count_html}</p>'
        "</div></section>"
    )


def _reason(reason: Reason, by_id: Mapping[str, ItemResult], redact: Redact) -> str:
    words = RULE_WORDS.get(reason.rule, reason.rule)
    items = []
    for item_id in reason.checklist[:ITEMS_PER_REASON]:
        result = by_id.get(item_id)
        text = result.item.text if result is not None else ""
        why = (
            explanation(result)
            if result is not None and result.status is not Status.UNCOVERED
            else None
        )
        items.append(
            f'<li><a href="{href(item_anchor(item_id))}"><code>{esc(item_id)}</code></a> '
            f"{esc(redact(text))}"
            + (f' <span class="rel-why">— {esc(redact(why))}</span>' if why else "")
            + "</li>"
        )
    more = len(reason.checklist) - ITEMS_PER_REASON
    if more > 0:
        items.append(f"<li>… and {more} more (see the checklist below)</li>")
    return (
        f'<li class="rel-reason rel-reason--{esc(reason.kind.value)}" '
        f'data-rule="{esc(reason.rule)}">'
        f"<strong>{esc(words)}</strong> <code>{esc(reason.rule)}</code>"
        f'<div class="rel-reason__detail">{esc(_clip(redact(reason.detail), DETAIL_LIMIT))}</div>'
        + (f'<ul class="rel-reason__items">{"".join(items)}</ul>' if items else "")
        + "</li>"
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_run_details(
    record: RunRecord, environment: Mapping[str, Any], redact: Redact, html_name: str
) -> str:
    """Release, target, phase, selection, times, files and the environment of the run."""
    release = record.release_version or "(not given: --release-version)"
    if record.commit:
        release += f" · commit {record.commit}"
    target = redact(record.target_url) if record.target_url else "(none: no test used a target)"
    seen = record.target_version or "(not reported)"
    mismatch = (
        record.release_version is not None
        and record.target_version is not None
        and record.release_version != record.target_version
    )
    outcomes: dict[str, int] = {}
    for test in record.tests:
        outcomes[test.outcome.value] = outcomes.get(test.outcome.value, 0) + 1
    tests = f"{len(record.tests)}" + (
        " (" + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) + ")" if outcomes else ""
    )
    rows = [
        ("Release", esc(release)),
        ("Target", f"<code>{esc(target)}</code>"),
        (
            "Version seen",
            esc(seen)
            + (
                f' <span class="rel-flag">expected {esc(record.release_version)}</span>'
                if mismatch
                else ""
            ),
        ),
        ("Phase", esc(record.phase)),
        ("Selection", f"<code>-m {esc(record.markexpr)}</code>" if record.markexpr else "(all)"),
        ("Started", esc(record.started)),
        ("Finished", esc(record.finished)),
        ("Duration", esc(duration(record.duration_s))),
        ("Tests", esc(tests)),
        ("Checklist", f"<code>{esc(record.checklist.path)}</code> ({len(record.items)} items)"),
        (
            "Attestations",
            f"<code>{esc(record.attestations.path)}</code>"
            if record.attestations.path
            else "(none)",
        ),
        (
            "Files",
            esc(", ".join(sorted({html_name, *record.files.values()}))),
        ),
    ]
    facts = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
    env = _environment(environment, redact)
    return (
        '<section class="rel-run" id="release-run"><h2>Run</h2>'
        f'<dl class="rel-facts">{facts}</dl>{env}</section>'
    )


def _environment(environment: Mapping[str, Any], redact: Redact) -> str:
    if not environment:
        return ""
    rows = []
    for key, value in environment.items():
        if isinstance(value, Mapping):
            shown = ", ".join(f"{k} {v}" for k, v in value.items())
        else:
            shown = str(value)
        rows.append(f"<tr><th>{esc(redact(str(key)))}</th><td>{esc(redact(shown))}</td></tr>")
    return (
        '<details class="rel-env"><summary>Environment</summary>'
        f'<table class="rel-table">{"".join(rows)}</table></details>'
    )
