"""`pytest-release checklist`: lint a checklist and show what the plugin makes of it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from pytest_release.checklist.model import Checklist
from pytest_release.checklist.parse import ChecklistError, ParseOptions, parse_file


def describe(checklist: Checklist) -> list[str]:
    """One line per item (id, phase, category, severity, text), then totals."""
    width = max((len(i.id) for i in checklist), default=2)
    lines = [f"{checklist.path}: {checklist.title or '(no title)'}"]
    for item in checklist:
        lines.append(
            f"  {item.id:<{width}}  {item.phase.value:<10} {item.category:<16} "
            f"{item.severity.value:<8} {item.text}"
        )
    phases = Counter(i.phase.value for i in checklist)
    severities = Counter(i.severity.value for i in checklist)
    lines.append(
        f"{len(checklist)} items; phases: "
        + ", ".join(f"{p} {n}" for p, n in phases.items())
        + "; severities: "
        + ", ".join(f"{s} {n}" for s, n in severities.items())
    )
    if checklist.roles:
        lines.append(f"sign-off roles: {', '.join(checklist.roles)}")
    return lines


def as_json(checklist: Checklist) -> str:
    return json.dumps(
        {
            "path": checklist.path,
            "title": checklist.title,
            "roles": list(checklist.roles),
            "items": [
                {
                    "id": i.id,
                    "section": i.section,
                    "text": i.text,
                    "phase": i.phase.value,
                    "category": i.category,
                    "severity": i.severity.value,
                    "criterion": i.criterion.value,
                    "line": i.line,
                }
                for i in checklist
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


def show(path: Path, options: ParseOptions, *, json_output: bool) -> tuple[int, str]:
    """(exit code, text): 0 and the listing, or 2 and the error with its fix."""
    try:
        checklist = parse_file(path, options)
    except ChecklistError as exc:
        return 2, f"pytest-release checklist: {exc}"
    return 0, as_json(checklist) if json_output else "\n".join(describe(checklist))
