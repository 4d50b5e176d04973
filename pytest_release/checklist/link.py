"""Tests <-> checklist items: which ids a test names and which markers it gets (pure)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pytest_release.checklist.model import Checklist, ChecklistItem, Severity


@dataclass(frozen=True, slots=True)
class Link:
    """The checklist items one test is linked to, and the markers that follow from them."""

    ids: tuple[str, ...]
    markers: frozenset[str]
    severity: Severity | None


@dataclass(frozen=True, slots=True)
class UnknownId:
    nodeid: str
    item_id: str
    suggestions: tuple[str, ...]

    def describe(self) -> str:
        hint = f"; closest: {', '.join(self.suggestions)}" if self.suggestions else ""
        return f"{self.nodeid}: checklist id {self.item_id!r} is not in the checklist{hint}"


def closest_ids(checklist: Checklist, item_id: str, n: int = 3) -> tuple[str, ...]:
    """The ids a person probably meant (by spelling, then by shared last part)."""
    close = difflib.get_close_matches(item_id, checklist.ids, n=n, cutoff=0.5)
    if close:
        return tuple(close)
    tail = item_id.rsplit(".", 1)[-1]
    return tuple(i for i in checklist.ids if i.endswith("." + tail))[:n]


def link(checklist: Checklist, nodeid: str, ids: Iterable[str]) -> Link | UnknownId:
    """Resolve a test's checklist ids; the first unknown id is reported with suggestions."""
    unique = tuple(dict.fromkeys(ids))
    items: list[ChecklistItem] = []
    for item_id in unique:
        item = checklist.get(item_id)
        if item is None:
            return UnknownId(nodeid, item_id, closest_ids(checklist, item_id))
        items.append(item)
    return Link(ids=unique, markers=markers_for(items), severity=highest_severity(items))


def markers_for(items: Sequence[ChecklistItem]) -> frozenset[str]:
    """Phase, category and severity markers of all linked items."""
    return frozenset(marker for item in items for marker in item.markers)


def highest_severity(items: Sequence[ChecklistItem]) -> Severity | None:
    return max((item.severity for item in items), key=lambda s: s.rank, default=None)
