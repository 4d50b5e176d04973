"""The checklist as data: items, phases, severities, statuses and rollback criteria."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class Phase(StrEnum):
    """When in the deployment schedule a check runs; each value is also a pytest marker."""

    PREDEPLOY = "predeploy"
    DEPLOY = "deploy"
    SMOKE = "smoke"
    POSTDEPLOY = "postdeploy"
    ROLLBACK = "rollback"


class Severity(StrEnum):
    """How much a failing item matters; each value is also a pytest marker."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Higher is more severe (critical = 3, low = 0)."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.CRITICAL: 3, Severity.HIGH: 2, Severity.MEDIUM: 1, Severity.LOW: 0}


class Status(StrEnum):
    """The status of one checklist item after a run (the strings of results.json)."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    NA = "na"
    MANUAL = "manual"
    WAIVED = "waived"
    UNCOVERED = "uncovered"


class Criterion(StrEnum):
    """The rollback criteria of the deployment schedule, plus why a run can be inconclusive."""

    CRITICAL_FUNCTIONALITY = "critical-functionality-broken"
    SECURITY_VULNERABILITY = "security-vulnerability-detected"
    PERFORMANCE_DEGRADED = "performance-significantly-degraded"
    DATABASE_INTEGRITY = "database-integrity-compromised"
    MULTIPLE_HIGH_PRIORITY = "multiple-high-priority-bugs"


CRITERION_WORDS: Mapping[str, str] = MappingProxyType(
    {
        Criterion.CRITICAL_FUNCTIONALITY: "Critical functionality is broken",
        Criterion.SECURITY_VULNERABILITY: "Security vulnerability is detected",
        Criterion.PERFORMANCE_DEGRADED: "System performance is significantly degraded",
        Criterion.DATABASE_INTEGRITY: "Database integrity is compromised",
        Criterion.MULTIPLE_HIGH_PRIORITY: "Multiple high-priority bugs are discovered",
    }
)


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One task line of the checklist."""

    id: str
    section: str
    text: str
    phase: Phase
    category: str
    severity: Severity
    criterion: Criterion
    line: int
    checked: bool = False
    end_line: int = 0  # the last line of the item's paragraph (1-based; 0 = unknown)

    @property
    def markers(self) -> frozenset[str]:
        """The marker names this item contributes to the tests linked to it."""
        return frozenset((self.phase.value, self.category, self.severity.value))


@dataclass(frozen=True, slots=True)
class Checklist:
    """A parsed checklist: its items in document order and the sign-off roles."""

    path: str
    title: str
    items: tuple[ChecklistItem, ...]
    roles: tuple[str, ...] = ()
    digest: str = ""  # sha256 of the parsed text: tells whether item lines still hold
    _index: Mapping[str, ChecklistItem] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", MappingProxyType({i.id: i for i in self.items}))

    def __iter__(self) -> Iterator[ChecklistItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._index

    def get(self, item_id: str) -> ChecklistItem | None:
        """The item with this id, or None."""
        return self._index.get(item_id)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every item id, in document order."""
        return tuple(self._index)
