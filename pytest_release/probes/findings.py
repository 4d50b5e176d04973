"""The outcome of one check on one example: findings a person can read line by line."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FindingStatus(StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    NOT_CHECKED = "not-checked"


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation: what was checked, how it went, and what a person would see."""

    what: str
    status: FindingStatus
    detail: str = ""

    def line(self) -> str:
        return f"{self.what}: {self.detail}" if self.detail else self.what


@dataclass(frozen=True, slots=True, repr=False)
class CheckResult:
    """All findings of one check; a PROBLEM fails it, a NOT_CHECKED makes it inconclusive."""

    check: str
    subject: str
    findings: tuple[Finding, ...]
    screenshot: bytes | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # short: pytest prints it under a failed assertion
        return (
            f"<{self.check} on {self.subject}: {len(self.problems)} problem(s), "
            f"{len(self.not_checked)} not checked>"
        )

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status is FindingStatus.PROBLEM)

    @property
    def not_checked(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status is FindingStatus.NOT_CHECKED)

    @property
    def passed(self) -> bool:
        return not self.problems and not self.not_checked

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def failure_message(self) -> str:
        """What is wrong: the first problem on the first line (the checklist shows it), then all."""
        problems = self.problems
        if not problems:
            return f"{self.check} on {self.subject}: no problem found"
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        lines = [f"{self.subject}: {problems[0].line()}{more}"]
        if len(problems) > 1:
            lines += [f"  - {f.line()}" for f in problems]
        return "\n".join(lines)

    def inconclusive_reason(self) -> str:
        return f"{self.check} on {self.subject} could not be fully checked: " + "; ".join(
            f.line() for f in self.not_checked
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "subject": self.subject,
            "passed": self.passed,
            "findings": [
                {"what": f.what, "status": f.status.value, "detail": f.detail}
                for f in self.findings
            ],
        }


class Findings:
    """A small builder: ``found.ok(...)``, ``found.problem(...)``, ``found.skip(...)``."""

    def __init__(self) -> None:
        self.items: list[Finding] = []

    def ok(self, what: str, detail: str = "") -> None:
        self.items.append(Finding(what, FindingStatus.OK, detail))

    def problem(self, what: str, detail: str) -> None:
        self.items.append(Finding(what, FindingStatus.PROBLEM, detail))

    def skip(self, what: str, detail: str) -> None:
        self.items.append(Finding(what, FindingStatus.NOT_CHECKED, detail))

    def check(self, condition: bool, what: str, problem: str, ok: str = "") -> bool:
        if condition:
            self.ok(what, ok)
        else:
            self.problem(what, problem)
        return condition

    def result(self, check: str, subject: str, screenshot: bytes | None = None) -> CheckResult:
        return CheckResult(check, subject, tuple(self.items), screenshot)
