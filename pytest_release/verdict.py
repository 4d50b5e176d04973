"""Verdict rules: item statuses (+ phase) -> GO | NO-GO | ROLLBACK | INCONCLUSIVE (pure).

Blocking reasons follow the rollback criteria of the deployment schedule. Inconclusive
reasons say which evidence is missing. A definite failure outranks missing evidence: a run
with a broken critical item is NO-GO/ROLLBACK even if other evidence is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pytest_release.checklist.model import CRITERION_WORDS, Criterion, Phase, Severity, Status
from pytest_release.status import ItemResult


class Decision(StrEnum):
    GO = "GO"
    NO_GO = "NO-GO"
    ROLLBACK = "ROLLBACK"
    INCONCLUSIVE = "INCONCLUSIVE"


class ReasonKind(StrEnum):
    BLOCKING = "blocking"
    INCONCLUSIVE = "inconclusive"
    WARNING = "warning"


# Rule names for why a run is inconclusive (results.json `verdict_reasons[].rule`).
UNCOVERED_CRITICAL = "uncovered-critical-items"
EVIDENCE_MISSING = "evidence-not-collected"
TARGET_UNREACHABLE = "target-unreachable"
NOTHING_CHECKED = "nothing-checked"
RUN_PROBLEM = "run-problem"

LIVE_PHASES = frozenset({Phase.POSTDEPLOY.value, Phase.ROLLBACK.value})


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the verdict is what it is: a rule, the items behind it and a sentence."""

    rule: str
    detail: str
    checklist: tuple[str, ...] = ()
    kind: ReasonKind = ReasonKind.BLOCKING


@dataclass(frozen=True, slots=True)
class VerdictContext:
    """What the rules look at."""

    items: tuple[ItemResult, ...]
    phase: str
    high_priority_threshold: int = 2
    problems: tuple[str, ...] = ()
    tests_run: int = 0


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[Reason, ...] = field(default=())

    @property
    def blocking(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.kind is ReasonKind.BLOCKING)


def builtin_reasons(ctx: VerdictContext) -> list[Reason]:
    """The schedule's rollback criteria and the reasons a run is inconclusive."""
    return [*_criteria_reasons(ctx), *_inconclusive_reasons(ctx), *_warning_reasons(ctx)]


def _failed(ctx: VerdictContext) -> list[ItemResult]:
    return [r for r in ctx.items if r.status is Status.FAIL]


# A vulnerability, a blown performance budget or a database problem is the schedule's
# criterion as soon as the item matters (high or critical); broken functionality only when
# the item is critical, otherwise it counts towards "multiple high-priority bugs".
HIGH_STAKES = frozenset(
    {
        Criterion.SECURITY_VULNERABILITY,
        Criterion.PERFORMANCE_DEGRADED,
        Criterion.DATABASE_INTEGRITY,
    }
)


def fires_criterion(result: ItemResult) -> bool:
    """Whether this failing item, on its own, meets its rollback criterion."""
    severity = result.item.severity
    if severity is Severity.CRITICAL:
        return True
    return severity is Severity.HIGH and result.item.criterion in HIGH_STAKES


def _criteria_reasons(ctx: VerdictContext) -> Iterable[Reason]:
    failed = _failed(ctx)
    by_criterion: dict[Criterion, list[ItemResult]] = {}
    for result in failed:
        if fires_criterion(result):
            by_criterion.setdefault(result.item.criterion, []).append(result)
    for criterion, results in by_criterion.items():
        yield Reason(
            rule=criterion.value,
            detail=f"{CRITERION_WORDS[criterion]}: " + "; ".join(_describe(r) for r in results),
            checklist=tuple(r.item.id for r in results),
        )
    high = [r for r in failed if r.item.severity.rank >= Severity.HIGH.rank]
    # Every high or critical failure counts towards "multiple", but the rule only fires when it
    # says more than the criteria above: when a high item among them fired nothing itself.
    if len(high) >= ctx.high_priority_threshold and any(
        r.item.severity is Severity.HIGH and not fires_criterion(r) for r in high
    ):
        yield Reason(
            rule=Criterion.MULTIPLE_HIGH_PRIORITY.value,
            detail=f"{CRITERION_WORDS[Criterion.MULTIPLE_HIGH_PRIORITY]}: {len(high)} "
            f"high-priority items failed (threshold {ctx.high_priority_threshold})",
            checklist=tuple(r.item.id for r in high),
        )


def _inconclusive_reasons(ctx: VerdictContext) -> Iterable[Reason]:
    for problem in ctx.problems:
        yield Reason(RUN_PROBLEM, problem, kind=ReasonKind.INCONCLUSIVE)
    grouped: dict[tuple[str, str], list[str]] = {}
    for result in ctx.items:
        if result.in_scope and result.inconclusive is not None:
            grouped.setdefault(result.inconclusive, []).append(result.item.id)
    for (rule, reason), ids in grouped.items():
        yield Reason(rule, reason, tuple(ids), ReasonKind.INCONCLUSIVE)
    missing = [
        r
        for r in ctx.items
        if r.in_scope
        and r.item.severity is Severity.CRITICAL
        and r.inconclusive is None
        and (r.status is Status.UNCOVERED or (r.status is Status.SKIP and r.tests))
    ]
    if missing:
        yield Reason(
            UNCOVERED_CRITICAL,
            f"{len(missing)} critical item(s) in scope have no result (no test ran and no "
            "attestation): "
            + ", ".join(r.item.id for r in missing[:10])
            + (" …" if len(missing) > 10 else ""),
            tuple(r.item.id for r in missing),
            ReasonKind.INCONCLUSIVE,
        )
    if ctx.tests_run == 0 and not any(r.in_scope for r in ctx.items):
        yield Reason(
            NOTHING_CHECKED,
            "no test ran and no checklist item was in scope: check the -m/-k selection",
            kind=ReasonKind.INCONCLUSIVE,
        )


def _warning_reasons(ctx: VerdictContext) -> Iterable[Reason]:
    failed = _failed(ctx)
    minor = [r for r in failed if not fires_criterion(r)]
    high = [r for r in failed if r.item.severity.rank >= Severity.HIGH.rank]
    if minor and len(high) < ctx.high_priority_threshold:
        yield Reason(
            "non-blocking-failures",
            f"{len(minor)} non-critical item(s) failed below the rollback threshold: "
            + "; ".join(_describe(r) for r in minor),
            tuple(r.item.id for r in minor),
            ReasonKind.WARNING,
        )
    warned = [r for r in ctx.items if r.status is Status.WARN]
    if warned:
        yield Reason(
            "low-severity-warnings",
            f"{len(warned)} low-severity item(s) need attention: "
            + "; ".join(_describe(r) for r in warned),
            tuple(r.item.id for r in warned),
            ReasonKind.WARNING,
        )


def _describe(result: ItemResult) -> str:
    note = f" ({result.note})" if result.note else ""
    return f"{result.item.id}{note}"[:300]


def decide(ctx: VerdictContext, reasons: Sequence[Reason]) -> Verdict:
    """Combine every rule's reasons into the decision."""
    blocking = tuple(r for r in reasons if r.kind is ReasonKind.BLOCKING)
    inconclusive = tuple(r for r in reasons if r.kind is ReasonKind.INCONCLUSIVE)
    warnings = tuple(r for r in reasons if r.kind is ReasonKind.WARNING)
    if blocking:
        return Verdict(_blocking_decision(ctx, blocking), blocking + inconclusive, warnings)
    if inconclusive:
        return Verdict(Decision.INCONCLUSIVE, inconclusive, warnings)
    return Verdict(Decision.GO, (), warnings)


def _blocking_decision(ctx: VerdictContext, blocking: Sequence[Reason]) -> Decision:
    """ROLLBACK once the release is live (post-deployment phases), NO-GO before that."""
    if ctx.phase in LIVE_PHASES:
        return Decision.ROLLBACK
    if ctx.phase in {p.value for p in Phase}:
        return Decision.NO_GO
    phases = {r.item.id: r.item.phase.value for r in ctx.items}
    fired = {i for reason in blocking for i in reason.checklist}
    return Decision.ROLLBACK if any(phases.get(i) in LIVE_PHASES for i in fired) else Decision.NO_GO


def run_phase(markexpr: str, override: Phase | None) -> str:
    """The phase a run verifies: the override, else the phase its -m expression names."""
    if override is not None:
        return override.value
    words = set(markexpr.replace("(", " ").replace(")", " ").split())
    named = [p.value for p in Phase if p.value in words]
    if Phase.SMOKE.value in named:
        return Phase.SMOKE.value
    if len(named) == 1:
        return named[0]
    return "all" if not named else "+".join(named)
