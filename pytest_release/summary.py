"""The terminal view of a run: verdict first, then what is wrong, then where the files are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_release.checklist.model import Status
from pytest_release.results import RunRecord
from pytest_release.status import count_statuses
from pytest_release.verdict import Decision

COLOURS = {
    Decision.GO: {"green": True, "bold": True},
    Decision.NO_GO: {"red": True, "bold": True},
    Decision.ROLLBACK: {"red": True, "bold": True},
    Decision.INCONCLUSIVE: {"yellow": True, "bold": True},
}
SHOWN = (Status.FAIL, Status.WARN)
MAX_LINES = 25


def verdict_line(record: RunRecord) -> str:
    decision = record.verdict.decision
    if decision is Decision.GO:
        if record.verdict.warnings:
            return "VERDICT: GO - no rollback criterion is met (see the warnings below)"
        return "VERDICT: GO - every checked item passed or is attested"
    first = record.verdict.reasons[0] if record.verdict.reasons else None
    more = len(record.verdict.reasons) - 1
    why = f" - {first.rule}" + (f" (+{more} more reason(s))" if more > 0 else "") if first else ""
    return f"VERDICT: {decision.value}{why}"


def write_summary(tr: Any, record: RunRecord, report_dir: Path) -> None:
    """Write the pytest-release section of the terminal summary."""
    tr.section("pytest-release verdict", sep="=", **COLOURS[record.verdict.decision])
    tr.write_line(verdict_line(record), **COLOURS[record.verdict.decision])
    for reason in record.verdict.reasons:
        tr.write_line(f"  {reason.kind.value} [{reason.rule}] {reason.detail}"[:400])
    counts = count_statuses(record.items)
    listed = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    tr.write_line(
        f"phase {record.phase} | {len(record.items)} checklist items: {listed} | "
        f"{len(record.tests)} tests"
    )
    shown = [r for r in record.items if r.status in SHOWN and r.in_scope]
    for result in shown[:MAX_LINES]:
        colour = {"red": True} if result.status is Status.FAIL else {"yellow": True}
        tr.write_line(
            f"  {result.status.value.upper():5} {result.item.id} [{result.item.severity.value}] "
            f"{result.item.text}",
            **colour,
        )
        if result.note:
            tr.write_line(f"        -> {result.note.splitlines()[0][:300]}")
    if len(shown) > MAX_LINES:
        tr.write_line(f"  ... and {len(shown) - MAX_LINES} more in results.json")
    uncovered = [r for r in record.items if r.status is Status.UNCOVERED and r.in_scope]
    if uncovered:
        critical = [r.item.id for r in uncovered if r.item.severity.value == "critical"]
        named = ", ".join(critical[:8]) + (" ..." if len(critical) > 8 else "")
        tr.write_line(
            f"  UNCOVERED {len(uncovered)} item(s) have no test and no attestation "
            f"({len(critical)} critical: {named})",
            yellow=True,
        )
    for waiver in record.attestations.expired_waivers:
        tr.write_line(
            f"  WARNING: the waiver for {waiver.item} expired on {waiver.expires.isoformat()} "
            "and no longer counts; renew it or fix the item",
            yellow=True,
        )
    for warning in record.verdict.warnings:
        tr.write_line(f"  warning [{warning.rule}] {warning.detail}"[:400], yellow=True)
    for name, path in record.files.items():
        tr.write_line(f"  {name}: {report_dir / path}")
