"""The deployment schedule's timeline, and which of its activities each phase run belongs to."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_release.dossier.runs import PHASE_ORDER, DossierError

SIGNOFF = "signoff"
# Activity text -> the phase whose runs it stands for (first match wins).
_PHASE_OF_ACTIVITY = (
    (re.compile(r"(?i)pre-?deploy\w*\s+test"), "predeploy"),
    (re.compile(r"(?i)deploy\s+code|deployment\s+steps"), "deploy"),
    (re.compile(r"(?i)smoke"), "smoke"),
    (re.compile(r"(?i)post-?deploy\w*\s+verif"), "postdeploy"),
    (re.compile(r"(?i)roll\s*back"), "rollback"),
    (re.compile(r"(?i)sign-?off"), SIGNOFF),
)


@dataclass(frozen=True, slots=True)
class Activity:
    """One row of the schedule's timeline table."""

    date: str
    time: str
    activity: str
    owner: str
    phase: str | None  # a run phase, "signoff", or None (a step no run stands for)


def _activity(date: str, time: str, text: str, owner: str) -> Activity:
    phase = next((p for pattern, p in _PHASE_OF_ACTIVITY if pattern.search(text)), None)
    return Activity(date, time, text, owner, phase)


# The timeline of the deployment schedule this project was written for (seed).
DEFAULT_SCHEDULE = tuple(
    _activity(*row)
    for row in (
        ("July 24, 2025", "09:00 - 10:00", "Final pre-deployment review", "Project Team"),
        ("July 24, 2025", "10:00 - 12:00", "Pre-deployment testing", "QA Team"),
        ("July 24, 2025", "14:00 - 15:00", "Backup production environment", "DevOps"),
        ("July 24, 2025", "15:00 - 16:00", "Verify backup integrity", "DevOps"),
        ("July 25, 2025", "09:00 - 10:00", "Send maintenance notification", "Communications"),
        ("July 25, 2025", "20:00 - 20:30", "Enable maintenance mode", "DevOps"),
        ("July 25, 2025", "20:30 - 21:30", "Deploy code to production", "DevOps"),
        ("July 25, 2025", "21:30 - 22:00", "Run database migrations", "DevOps"),
        ("July 25, 2025", "22:00 - 22:30", "Clear and rebuild caches", "DevOps"),
        ("July 25, 2025", "22:30 - 23:00", "Smoke testing", "QA Team"),
        ("July 25, 2025", "23:00 - 23:30", "Disable maintenance mode", "DevOps"),
        ("July 25, 2025", "23:30 - 00:00", "Post-deployment verification", "QA Team"),
        ("July 26, 2025", "00:00 - 02:00", "Monitoring and standby", "DevOps"),
        ("July 26, 2025", "09:00 - 10:00", "Post-deployment review", "Project Team"),
        ("July 26, 2025", "10:00 - 12:00", "Full system testing", "QA Team"),
        ("July 26, 2025", "14:00 - 15:00", "Deployment sign-off", "Project Manager"),
    )
)
# Roles the schedule's sign-off and team tables name, in the order the dossier lists them.
SCHEDULE_ROLES = (
    "Project Manager",
    "Deployment Lead",
    "Lead Developer",
    "QA Lead",
    "DevOps Engineer",
    "Security Officer",
)


def read_schedule(path: Path) -> tuple[Activity, ...]:
    """The timeline table (columns Date?, Time, Activity, Owner?) of a schedule Markdown file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DossierError(f"{path}: cannot read the schedule: {exc.strerror or exc}") from None
    rows = parse_timeline(text)
    if not rows:
        raise DossierError(
            f"{path}: no timeline table found; the schedule needs a Markdown table with "
            "'Time' and 'Activity' columns (like '## Deployment Timeline' in the seed)"
        )
    return rows


def parse_timeline(text: str) -> tuple[Activity, ...]:
    """Rows of the first Markdown table whose header has Time and Activity columns."""
    lines = text.splitlines()
    for n, line in enumerate(lines):
        header = _cells(line)
        names = [h.lower() for h in header]
        if "activity" not in names or "time" not in names:
            continue
        if n + 1 >= len(lines) or not re.fullmatch(r"\|?[\s:|-]+\|?", lines[n + 1].strip()):
            continue
        column: dict[str, int] = {
            name: names.index(name)
            for name in ("date", "time", "activity", "owner")
            if name in names
        }
        found: list[Activity] = []
        for row_line in lines[n + 2 :]:
            if not row_line.strip().startswith("|"):
                break
            row = _cells(row_line)
            cells = {name: row[index] if index < len(row) else "" for name, index in column.items()}
            if cells.get("activity"):
                found.append(
                    _activity(
                        cells.get("date", ""),
                        cells.get("time", ""),
                        cells["activity"],
                        cells.get("owner", ""),
                    )
                )
        return tuple(found)
    return ()


def _cells(line: str) -> list[str]:
    stripped = line.strip()
    if not stripped.startswith("|"):
        return []
    return [c.strip() for c in stripped.strip("|").split("|")]


def phase_rows(schedule: Sequence[Activity], phases: Sequence[str]) -> dict[str, int]:
    """For each run phase, the schedule row its runs are shown on (the first that names it).

    Phases the schedule does not name get no entry; the timeline appends a row for them.
    """
    rows: dict[str, int] = {}
    for index, activity in enumerate(schedule):
        if activity.phase is not None and activity.phase in phases:
            rows.setdefault(activity.phase, index)
    return rows


def unscheduled(schedule: Sequence[Activity], phases: Sequence[str]) -> list[str]:
    """Phases with runs but no schedule row, in schedule order."""
    named = phase_rows(schedule, phases)
    return [p for p in PHASE_ORDER if p in phases and p not in named] + [
        p for p in phases if p not in PHASE_ORDER and p not in named
    ]
