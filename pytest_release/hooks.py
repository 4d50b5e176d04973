"""Extension points of pytest-release, added with ``pytest_addhooks``.

A team adds a verdict rule in its conftest.py::

    from pytest_release.verdict import Reason

    def pytest_release_verdict_reasons(context):
        bad = [r for r in context.items if r.status == "fail" and r.item.category == "payments"]
        ids = tuple(r.item.id for r in bad)
        return [Reason("payments-broken", "payments failed", ids)] if bad else []
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_release.checklist.model import Checklist
    from pytest_release.results import RunRecord
    from pytest_release.settings import Settings
    from pytest_release.verdict import Reason, VerdictContext


@pytest.hookspec
def pytest_release_verdict_reasons(context: VerdictContext) -> list[Reason] | None:
    """Return reasons (blocking, inconclusive or warning) for the verdict; all are combined."""


@pytest.hookspec(firstresult=True)
def pytest_release_load_checklist(settings: Settings) -> Checklist | None:
    """Return the checklist to use instead of parsing ``settings.checklist`` (first answer wins)."""


@pytest.hookspec
def pytest_release_results(record: RunRecord, data: dict[str, Any]) -> None:
    """Called with the results.json data before it is written; add fields here."""
