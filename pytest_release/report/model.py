"""What the report shows, derived from the run record (pure): sections, coverage, sign-offs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pytest_release.attestations import SignOff
from pytest_release.checklist.model import Status
from pytest_release.status import ItemResult
from pytest_release.verdict import Decision

ATTESTED = frozenset({Status.MANUAL, Status.NA, Status.WAIVED})
EXPLANATION_LIMIT = 240

HEADLINES = {
    Decision.GO: "Go: no release or rollback criterion is met.",
    Decision.NO_GO: "No go: a release criterion failed. Do not go live.",
    Decision.ROLLBACK: "Roll back: the live release meets a rollback criterion.",
    Decision.INCONCLUSIVE: "Inconclusive: the evidence needed to decide is missing.",
}
_DEFAULT_EXPLANATIONS = {
    Status.FAIL: "a linked test failed",
    Status.WARN: "a low-severity check failed",
    Status.SKIP: "not run in this selection",
    Status.NA: "not applicable",
    Status.MANUAL: "attested by a person",
    Status.WAIVED: "waived",
    Status.UNCOVERED: "no test is linked and nobody attested it",
}


@dataclass(frozen=True, slots=True)
class Coverage:
    """How a group of items was judged: by tests, by people, or not at all."""

    total: int
    automated: int
    attested: int
    uncovered: int

    @property
    def not_in_scope(self) -> int:
        """Items outside the selection, with no test run and no attestation."""
        return self.total - self.automated - self.attested - self.uncovered


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the checklist (headings joined with ' / ') and its items in order."""

    title: str
    results: tuple[ItemResult, ...]
    coverage: Coverage


@dataclass(frozen=True, slots=True)
class SignoffRow:
    """One role of the sign-off table and whoever signed for it (empty: pending)."""

    role: str
    signoffs: tuple[SignOff, ...]

    @property
    def pending(self) -> bool:
        return not self.signoffs


def coverage(results: Iterable[ItemResult]) -> Coverage:
    """Automated: a linked test ran. Attested: no test ran, a person vouched (or N/A, waiver)."""
    total = automated = attested = uncovered = 0
    for result in results:
        total += 1
        if result.tests:
            automated += 1
        elif result.status in ATTESTED:
            attested += 1
        elif result.status is Status.UNCOVERED:
            uncovered += 1
    return Coverage(total, automated, attested, uncovered)


def sections(results: Iterable[ItemResult]) -> tuple[Section, ...]:
    """Items grouped by section, sections in the order they first appear."""
    groups: dict[str, list[ItemResult]] = {}
    for result in results:
        groups.setdefault(result.item.section, []).append(result)
    return tuple(
        Section(title, tuple(members), coverage(members)) for title, members in groups.items()
    )


def explanation(result: ItemResult) -> str | None:
    """One line on why an item is not a plain pass (None for a pass with nothing to say).

    Uncovered items all share one fix, which the checklist table states once.
    """
    if result.note and result.status is not Status.UNCOVERED:
        first = result.note.strip().splitlines()[0] if result.note.strip() else ""
        if first:
            return (
                first if len(first) <= EXPLANATION_LIMIT else first[: EXPLANATION_LIMIT - 1] + "…"
            )
    return _DEFAULT_EXPLANATIONS.get(result.status)


def signoff_rows(roles: Sequence[str], signoffs: Sequence[SignOff]) -> tuple[SignoffRow, ...]:
    """The checklist's roles in its order, then any other role someone signed for."""
    names = list(dict.fromkeys([*roles, *(s.role for s in signoffs)]))
    return tuple(SignoffRow(role, tuple(s for s in signoffs if s.role == role)) for role in names)
