"""The deployment schedule's timeline table, and which of its steps "now" is.

Reads the Markdown table with the columns Date, Time, Activity (Owner and Status are
optional) from a schedule such as ``seeds/deployment-schedule.md``. Times like
``23:30 - 00:00`` cross midnight; the timezone is the schedule's ("Eastern Time" in the
seed), given by the caller as an IANA name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
_RULE = re.compile(r"^[\s|:-]+$")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%Y-%m-%d", "%d.%m.%Y")


class ScheduleError(ValueError):
    """The schedule cannot be read; the message names the line and the fix."""


@dataclass(frozen=True, slots=True)
class Step:
    """One row of the timeline: an activity between two instants."""

    activity: str
    start: datetime
    end: datetime
    owner: str = ""

    def label(self) -> str:
        return f"{self.activity} ({self.start:%b %d %H:%M}-{self.end:%H:%M})"


@dataclass(frozen=True, slots=True)
class Position:
    """Where a moment falls on the timeline: the step under way, the last done, the next."""

    now: datetime
    current: Step | None
    previous: Step | None
    following: Step | None

    def describe(self) -> str:
        if self.current is not None:
            return f"now ({self.now:%Y-%m-%d %H:%M %Z}) is the step {self.current.label()}"
        if self.previous is None and self.following is not None:
            return f"now is before the schedule; the first step is {self.following.label()}"
        if self.following is None and self.previous is not None:
            return f"now is after the schedule; the last step was {self.previous.label()}"
        done = self.previous.label() if self.previous else "none"
        ahead = self.following.label() if self.following else "none"
        return f"now is between steps: done {done}, next {ahead}"


def _parse_date(text: str, line: int) -> datetime:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise ScheduleError(
        f"line {line}: date {text.strip()!r} is not understood; write e.g. 'July 25, 2025'"
    )


def parse_timeline(text: str, tz: str = "UTC") -> tuple[Step, ...]:
    """The steps of the first table whose header has Date, Time and Activity columns."""
    zone = ZoneInfo(tz)
    columns: dict[str, int] | None = None
    steps: list[Step] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _ROW.match(line)
        if match is None:
            if steps:
                break  # the timeline table has ended
            columns = None
            continue
        cells = [cell.strip() for cell in match.group(1).split("|")]
        if columns is None:
            names = [cell.lower() for cell in cells]
            if {"date", "time", "activity"} <= set(names):
                columns = {name: names.index(name) for name in names}
            continue
        if _RULE.match(line):
            continue
        day = _parse_date(cells[columns["date"]], number)
        span = _SPAN.match(cells[columns["time"]])
        if span is None:
            raise ScheduleError(
                f"line {number}: time {cells[columns['time']]!r} is not a span like '20:00 - 20:30'"
            )
        h1, m1, h2, m2 = (int(g) for g in span.groups())
        start = day.replace(hour=h1, minute=m1, tzinfo=zone)
        end = day.replace(hour=h2, minute=m2, tzinfo=zone)
        if end <= start:
            end += timedelta(days=1)  # 23:30 - 00:00 ends on the next day
        owner = cells[columns["owner"]] if "owner" in columns else ""
        steps.append(Step(cells[columns["activity"]], start, end, owner))
    if not steps:
        raise ScheduleError(
            "no timeline table found: add a Markdown table with the columns "
            "| Date | Time | Activity | under the schedule's timeline heading"
        )
    return tuple(steps)


def position(steps: Sequence[Step], now: datetime) -> Position:
    """Which step ``now`` is (``now`` must be timezone-aware)."""
    ordered = sorted(steps, key=lambda s: s.start)
    current = next((s for s in ordered if s.start <= now < s.end), None)
    previous = next((s for s in reversed(ordered) if s.end <= now), None)
    following = next((s for s in ordered if s.start > now), None)
    return Position(now, current, previous, following)


def find_step(steps: Sequence[Step], pattern: str) -> Step | None:
    """The first step whose activity matches ``pattern`` (a case-insensitive regex)."""
    regex = re.compile(pattern, re.IGNORECASE)
    return next((s for s in steps if regex.search(s.activity)), None)


@dataclass(frozen=True, slots=True)
class Window:
    """The maintenance window the timeline implies: from enabling to disabling maintenance."""

    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def maintenance_window(steps: Sequence[Step]) -> Window | None:
    """From the start of "Enable maintenance mode" to the end of "Disable maintenance mode"."""
    enable = find_step(steps, r"enable\s+maintenance")
    disable = find_step(steps, r"disable\s+maintenance")
    if enable is None or disable is None:
        return None
    return Window(enable.start, disable.end)
