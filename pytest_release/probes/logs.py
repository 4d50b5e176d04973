"""Application logs: ERROR lines since the deployment started, and finding one request.

Logs are JSON lines (``timestamp``, ``level``, ``event``, ``request_id``, as the target
contract says) or plain text matched by a pattern. A source is a file, or a directory whose
``*.log``/``*.jsonl`` files are read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_release.probes.findings import CheckResult, Finding, FindingStatus

ERROR_LEVELS = frozenset({"error", "critical", "fatal", "alert", "emergency"})
DEFAULT_PATTERN = r"\b(ERROR|CRITICAL|FATAL|Traceback \(most recent call last\))"
_SHOWN = 5


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log line, parsed when it is JSON."""

    text: str
    data: dict[str, Any] | None
    when: datetime | None

    @property
    def level(self) -> str:
        return str((self.data or {}).get("level", "")).lower()


def read_lines(source: Path, max_bytes: int = 8 << 20) -> list[str]:
    """The last ``max_bytes`` of every log file in ``source`` (a file or a directory)."""
    files = (
        sorted(p for p in source.iterdir() if p.suffix in (".log", ".jsonl") and p.is_file())
        if source.is_dir()
        else [source]
    )
    lines: list[str] = []
    for path in files:
        with path.open("rb") as handle:
            size = path.stat().st_size
            handle.seek(max(0, size - max_bytes))
            lines += handle.read().decode("utf-8", errors="replace").splitlines()
    return lines


def parse(lines: Iterable[str]) -> list[LogEntry]:
    entries: list[LogEntry] = []
    for line in lines:
        data: dict[str, Any] | None = None
        when: datetime | None = None
        if line.lstrip().startswith("{"):
            try:
                loaded = json.loads(line)
            except ValueError:
                loaded = None
            if isinstance(loaded, dict):
                data = loaded
                try:
                    when = datetime.fromisoformat(
                        str(loaded.get("timestamp")).replace("Z", "+00:00")
                    )
                except ValueError:
                    when = None
                if when is not None and when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
        entries.append(LogEntry(line, data, when))
    return entries


def errors_since(
    entries: Sequence[LogEntry], since: datetime | None, pattern: str = DEFAULT_PATTERN
) -> list[LogEntry]:
    """JSON entries at an error level (from ``since`` on), and text lines matching ``pattern``."""
    regex = re.compile(pattern)
    found: list[LogEntry] = []
    for entry in entries:
        if entry.data is not None:
            if entry.level in ERROR_LEVELS and (
                since is None or entry.when is None or entry.when >= since
            ):
                found.append(entry)
        elif regex.search(entry.text):
            found.append(entry)
    return found


def _describe(entry: LogEntry) -> str:
    if entry.data is None:
        return entry.text[:200]
    data = entry.data
    bits = [str(data.get("timestamp", "")), str(data.get("event", ""))]
    for key in ("method", "path", "status", "error_type", "request_id"):
        if data.get(key) is not None:
            bits.append(f"{key}={data[key]}")
    return " ".join(b for b in bits if b)


def check_no_errors(
    entries: Sequence[LogEntry], since: datetime | None, source: str, pattern: str = DEFAULT_PATTERN
) -> CheckResult:
    """No ERROR-level lines since ``since``."""
    if not entries:
        finding = Finding(
            source, FindingStatus.NOT_CHECKED, "the log is empty or missing: nothing to judge"
        )
        return CheckResult("no errors in logs", source, (finding,))
    errors = errors_since(entries, since, pattern)
    window = f"since {since:%Y-%m-%d %H:%M:%S %Z}" if since else "in the whole log"
    if not errors:
        finding = Finding(source, FindingStatus.OK, f"{len(entries)} lines, no errors {window}")
        return CheckResult("no errors in logs", source, (finding,))
    findings = [
        Finding(
            "errors",
            FindingStatus.PROBLEM,
            f"{len(errors)} error line(s) {window}: look up each request id, fix the cause "
            "(or roll back) before going live",
        )
    ]
    findings += [Finding("error", FindingStatus.PROBLEM, _describe(e)) for e in errors[:_SHOWN]]
    return CheckResult("no errors in logs", source, tuple(findings))


def find_request(entries: Sequence[LogEntry], request_id: str) -> LogEntry | None:
    """The first JSON entry carrying ``request_id`` (or a text line containing it)."""
    for entry in entries:
        if entry.data is not None and entry.data.get("request_id") == request_id:
            return entry
        if entry.data is None and request_id in entry.text:
            return entry
    return None
