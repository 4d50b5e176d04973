"""The incident record (Markdown) of a run that failed: what broke, how bad, what was decided.

Generated from the failing run's results.json, so "Determine severity", "Decide if rollback
is necessary" and "Document the issue" are answered from evidence. Root cause and fix stay
with people: the record leaves them as open attestations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

SEVERITY_ORDER = ("critical", "high", "medium", "low")
BLOCKING = frozenset({"NO-GO", "ROLLBACK"})


@dataclass(frozen=True, slots=True)
class Assessment:
    """Severity and the rollback decision, read from one run's results."""

    verdict: str
    severity: str
    rollback: bool
    failing: tuple[Mapping[str, Any], ...]
    reasons: tuple[Mapping[str, Any], ...]

    def decision(self) -> str:
        if self.rollback:
            rules = ", ".join(sorted({str(r.get("rule")) for r in self.blocking_reasons()}))
            return f"roll back: the verdict is {self.verdict} ({rules})"
        return f"no rollback: the verdict is {self.verdict}; nothing blocking failed"

    def blocking_reasons(self) -> list[Mapping[str, Any]]:
        return [r for r in self.reasons if r.get("kind") == "blocking"]


def assess(results: Mapping[str, Any]) -> Assessment:
    """The worst failing severity and whether the verdict calls for a rollback."""
    failing = tuple(
        item for item in results.get("checklist", []) if item.get("status") in ("fail", "warn")
    )
    severities = {str(item.get("severity")) for item in failing}
    severity = next((s for s in SEVERITY_ORDER if s in severities), "none")
    verdict = str(results.get("verdict", "INCONCLUSIVE"))
    reasons = tuple(results.get("verdict_reasons", []))
    return Assessment(verdict, severity, verdict in BLOCKING, failing, reasons)


def _cell(text: Any) -> str:
    return " ".join(str(text or "").split()).replace("|", "\\|")[:300]


def render_incident(results: Mapping[str, Any], source: str, follow_up: Sequence[str] = ()) -> str:
    """The incident record as Markdown."""
    found = assess(results)
    release = results.get("release") or {}
    target = results.get("target") or {}
    lines = [
        f"# Incident: release {release.get('version') or '(unversioned)'} "
        f"on {target.get('url', '(unknown target)')}",
        "",
        f"- **Detected by**: the {results.get('phase', '?')} run of {results.get('started', '?')} "
        f"(`{source}`)",
        f"- **Verdict**: {found.verdict}",
        f"- **Severity**: {found.severity} (the worst failing item)",
        f"- **Decision**: {found.decision()}",
        f"- **Version seen**: {target.get('version_seen') or 'unknown'}",
        "",
        "## Why (verdict rules that fired)",
        "",
    ]
    lines += [
        f"- `{r.get('rule')}` ({r.get('kind')}): {_cell(r.get('detail'))}" for r in found.reasons
    ]
    if not found.reasons:
        lines.append("- none")
    lines += ["", "## Failing checklist items", "", "| item | severity | what | finding |"]
    lines.append("|---|---|---|---|")
    ranked = sorted(
        found.failing, key=lambda i: SEVERITY_ORDER.index(str(i.get("severity", "low")))
    )
    lines += [
        f"| `{i.get('id')}` | {i.get('severity')} | {_cell(i.get('text'))} "
        f"| {_cell(i.get('note'))} |"
        for i in ranked
    ]
    if not ranked:
        lines.append("| - | - | nothing failed | - |")
    lines += [
        "",
        "## Evidence",
        "",
        f"Paths are relative to `{PurePath(source).parent}`.",
        "",
        *[f"- `{path}`" for item in ranked for path in item.get("evidence", [])],
        "",
        "## Still to be answered by people (attestations)",
        "",
        "- Root cause (`rollback.post.root-cause`): _open_",
        "- Fix for the next deployment (`rollback.post.develop-fix`): _open_",
        *[f"- {line}" for line in follow_up],
        "",
    ]
    return "\n".join(lines)
