"""Test outcomes + attestations -> the status of every checklist item (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from pytest_release.attestations import Attestations
from pytest_release.checklist.model import Checklist, ChecklistItem, Severity, Status


class Outcome(StrEnum):
    """What happened to one test, the way results.json spells it."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    XFAILED = "xfailed"
    XPASSED = "xpassed"


FAILING = frozenset({Outcome.FAILED, Outcome.ERROR})
PASSING = frozenset({Outcome.PASSED, Outcome.XPASSED})


@dataclass(frozen=True, slots=True)
class TestRecord:
    """One test as the run saw it."""

    __test__: ClassVar[bool] = False  # not a test class, whatever pytest's name rule says

    nodeid: str
    outcome: Outcome
    duration_s: float
    checklist: tuple[str, ...] = ()
    severity: str | None = None
    message: str | None = None
    inconclusive: tuple[str, str] | None = None  # (rule, reason)
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One checklist item after the run."""

    item: ChecklistItem
    status: Status
    in_scope: bool
    tests: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    note: str | None = None
    inconclusive: tuple[str, str] | None = None


def tests_by_item(records: Iterable[TestRecord]) -> dict[str, list[TestRecord]]:
    """Index the records by the checklist ids they are linked to."""
    index: dict[str, list[TestRecord]] = {}
    for record in records:
        for item_id in record.checklist:
            index.setdefault(item_id, []).append(record)
    return index


def item_results(
    checklist: Checklist,
    records: Sequence[TestRecord],
    attestations: Attestations,
    in_scope: Callable[[ChecklistItem], bool],
) -> tuple[ItemResult, ...]:
    """The status of every checklist item, in checklist order."""
    index = tests_by_item(records)
    return tuple(
        item_result(item, index.get(item.id, []), attestations, in_scope(item) or item.id in index)
        for item in checklist
    )


def item_result(
    item: ChecklistItem,
    records: Sequence[TestRecord],
    attestations: Attestations,
    in_scope: bool,
) -> ItemResult:
    """The status of one item from its tests and its attestation entries."""
    nodeids = tuple(r.nodeid for r in records)
    evidence = tuple(e for r in records for e in r.evidence)

    def result(
        status: Status, note: str | None, inconclusive: tuple[str, str] | None = None
    ) -> ItemResult:
        return ItemResult(item, status, in_scope, nodeids, evidence, note, inconclusive)

    na = attestations.not_applicable_entry(item.id)
    if na is not None:
        return result(Status.NA, f"not applicable: {na.reason}")
    waiver = attestations.waiver(item.id)
    failing = [r for r in records if r.outcome in FAILING]
    if failing:
        first = failing[0]
        message = (first.message or f"{first.outcome.value} without a message").splitlines()[0]
        note = f"{first.nodeid}: {message}" if len(records) > 1 else message
        if waiver is not None and waiver.covers == "failure":
            return result(
                Status.WAIVED,
                f"waived until {waiver.expires.isoformat()} by {waiver.by}: {waiver.reason} "
                f"(failing: {note})",
            )
        return result(Status.WARN if item.severity is Severity.LOW else Status.FAIL, note)
    inconclusive = next((r for r in records if r.inconclusive), None)
    if inconclusive is not None and inconclusive.inconclusive is not None:
        reason = inconclusive.inconclusive[1]
        if waiver is not None and waiver.covers == "inconclusive":
            return result(
                Status.WAIVED,
                f"not checked, waived until {waiver.expires.isoformat()} by {waiver.by}: "
                f"{waiver.reason} (inconclusive: {reason})",
            )
        return result(Status.SKIP, f"inconclusive: {reason}", inconclusive.inconclusive)
    if any(r.outcome in PASSING for r in records):
        skipped = sum(r.outcome is Outcome.SKIPPED for r in records)
        return result(
            Status.PASS, f"{skipped} of {len(records)} tests skipped" if skipped else None
        )
    xfailed = next((r for r in records if r.outcome is Outcome.XFAILED), None)
    if xfailed is not None:
        return result(Status.WARN, f"known failure (xfail): {xfailed.message or 'no reason given'}")
    attestation = attestations.attestation(item.id)
    if attestation is not None:
        note = f"attested by {attestation.by} at {attestation.at}"
        return result(Status.MANUAL, f"{note}: {attestation.note}" if attestation.note else note)
    if records:
        return result(Status.SKIP, records[0].message or "skipped")
    if not in_scope:
        return result(Status.SKIP, "not in the selected phase")
    if waiver is not None:
        return result(
            Status.WAIVED,
            f"waived until {waiver.expires.isoformat()} by {waiver.by}: {waiver.reason}",
        )
    return result(
        Status.UNCOVERED,
        "no test is linked and nobody attested it: link a test with "
        f"@pytest.mark.checklist({item.id!r}) or add an [[attestation]]",
    )


def count_statuses(results: Iterable[ItemResult]) -> Mapping[str, int]:
    """Counts per status, every status present (zeros included)."""
    counts = {status.value: 0 for status in Status}
    for result in results:
        counts[result.status.value] += 1
    return counts
