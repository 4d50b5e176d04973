"""INCONCLUSIVE as a test outcome: the check could not be made, which is not a pass."""

from __future__ import annotations

from typing import NoReturn

from _pytest.outcomes import Skipped

from pytest_release.verdict import EVIDENCE_MISSING


class Inconclusive(Skipped):
    """Raised when evidence cannot be collected; pytest shows a skip, the verdict sees why."""

    def __init__(self, reason: str, rule: str = EVIDENCE_MISSING) -> None:
        super().__init__(f"INCONCLUSIVE: {reason}")
        self.reason = reason
        self.rule = rule


def inconclusive(reason: str, rule: str = EVIDENCE_MISSING) -> NoReturn:
    """Stop the test: the item it checks gets no pass, and the verdict says why."""
    raise Inconclusive(reason, rule)
