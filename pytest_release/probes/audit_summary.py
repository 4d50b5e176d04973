"""The security audit summary: every security check of the release in one place.

Aggregates bandit, the dependency scan and the target checks (CSP, CORS, rate limiting,
input validation, output sanitization) into one verdict: no untriaged high findings,
no failed component, and every component actually checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_release.probes.audit import AuditResult, AuditUnavailable
from pytest_release.probes.bandit_scan import BanditError, BanditResult


@dataclass(frozen=True, slots=True)
class Component:
    """One check of the audit: 'pass', 'fail' or 'not-checked', with a one-line detail."""

    name: str
    status: str
    detail: str


@dataclass(frozen=True, slots=True)
class AuditSummary:
    components: tuple[Component, ...]
    untriaged_high: tuple[str, ...]
    accepted: tuple[str, ...]

    @property
    def failed(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.status == "fail")

    @property
    def unchecked(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.status == "not-checked")

    def evidence(self) -> dict[str, Any]:
        return {
            "components": {
                c.name: {"status": c.status, "detail": c.detail} for c in self.components
            },
            "untriaged_high_findings": list(self.untriaged_high),
            "accepted_findings": list(self.accepted),
        }

    def text(self) -> str:
        lines = ["Security audit summary", ""]
        lines += [f"  {c.status.upper():12} {c.name}: {c.detail}" for c in self.components]
        lines += ["", f"Untriaged high findings: {len(self.untriaged_high)}"]
        lines += [f"  - {f}" for f in self.untriaged_high]
        lines += [f"Accepted (triaged) findings: {len(self.accepted)}"]
        lines += [f"  - {f}" for f in self.accepted]
        return "\n".join(lines) + "\n"

    def failure_message(self) -> str:
        parts = []
        if self.untriaged_high:
            parts.append(
                f"{len(self.untriaged_high)} untriaged finding(s) at or above the thresholds, e.g. "
                f"{self.untriaged_high[0]}: "
                "fix them or triage each with a reason"
            )
        parts += [f"{c.name} failed: {c.detail}" for c in self.failed]
        return "security audit not passed: " + "\n".join(parts)

    def inconclusive_message(self) -> str:
        names = "; ".join(f"{c.name} ({c.detail})" for c in self.unchecked)
        return f"the audit is incomplete, not checked: {names}"


def summarize(
    bandit: BanditResult | BanditError,
    dependencies: AuditResult | AuditUnavailable,
    components: Sequence[Component],
) -> AuditSummary:
    """One summary from the code scan, the dependency scan and the target checks."""
    rows: list[Component] = []
    high: list[str] = []
    accepted: list[str] = []
    if isinstance(bandit, BanditError):
        rows.append(Component("bandit", "not-checked", f"could not run: {bandit}"))
    else:
        high += [f"bandit {f.describe()}" for f in bandit.blocking]
        accepted += [
            f"bandit {f.describe()} (accepted: {f.accepted.reason[:120]})"
            for f in bandit.accepted
            if f.accepted is not None
        ]
        rows.append(
            Component(
                "bandit",
                "fail" if bandit.blocking else "pass",
                f"{len(bandit.findings)} findings, {len(bandit.blocking)} over the thresholds "
                f"unreviewed, {len(bandit.accepted)} reviewed",
            )
        )
    if isinstance(dependencies, AuditUnavailable):
        rows.append(Component("dependencies", "not-checked", f"could not audit: {dependencies}"))
    else:
        high += [
            f"dependency {f.describe()}"
            for f in dependencies.untriaged
            if f.severity in ("high", "critical")
        ]
        accepted += [
            f"dependency {f.describe()} (accepted: {f.accepted})"
            for f in dependencies.findings
            if f.accepted
        ]
        status = (
            "fail"
            if dependencies.untriaged
            else "not-checked"
            if dependencies.unaudited
            else "pass"
        )
        detail = (
            f"{dependencies.audited} packages audited, {len(dependencies.untriaged)} untriaged, "
            f"{len(dependencies.unaudited)} could not be audited"
        )
        rows.append(Component("dependencies", status, detail))
    rows.extend(components)
    return AuditSummary(tuple(rows), tuple(high), tuple(accepted))
