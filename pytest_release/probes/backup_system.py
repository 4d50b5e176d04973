"""Backup system in place: a schedule exists, and the newest backup is fresh and not empty.

The schedule is a file (cron entry, systemd timer, a backup tool's config) that must exist
and, optionally, mention the backup command. Backups are entries (files or directories)
matching ``pattern`` in ``dir``; the newest must be younger than ``max_age_hours`` and
larger than ``min_size_bytes``. A directory backup with a ``manifest.json`` (as written by
``pytest-release backup create``) must list files.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_release.config_table import Table


@dataclass(frozen=True, slots=True)
class BackupConfig:
    """``[tool.pytest_release.predeploy.backup]``."""

    dir: Path | None = None
    pattern: str = "*"
    max_age_hours: float = 26.0  # a daily backup plus slack
    min_size_bytes: int = 1
    schedule: tuple[Path, ...] = ()
    schedule_contains: str | None = None

    @property
    def configured(self) -> bool:
        return self.dir is not None or bool(self.schedule)


def backup_config(table: Table) -> BackupConfig:
    schedule = tuple(
        p if p.is_absolute() else table.rootpath / p
        for p in (Path(s).expanduser() for s in table.texts("schedule", ()))
    )
    return BackupConfig(
        dir=table.path("dir"),
        pattern=table.text("pattern", "*"),
        max_age_hours=table.number("max_age_hours", 26.0),
        min_size_bytes=table.integer("min_size_bytes", 1),
        schedule=schedule,
        schedule_contains=table.optional_text("schedule_contains"),
    )


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@dataclass(frozen=True, slots=True)
class BackupResult:
    newest: str | None
    age_hours: float | None
    size_bytes: int
    backups_found: int
    schedule: dict[str, bool]
    problems: tuple[str, ...]

    def evidence(self) -> dict[str, Any]:
        return {
            "newest": self.newest,
            "age_hours": None if self.age_hours is None else round(self.age_hours, 2),
            "size_bytes": self.size_bytes,
            "backups_found": self.backups_found,
            "schedule_files": self.schedule,
            "problems": list(self.problems),
        }


def check_backups(config: BackupConfig, now: float | None = None) -> BackupResult:
    """Judge the schedule files and the newest backup."""
    problems: list[str] = []
    schedule: dict[str, bool] = {}
    for path in config.schedule:
        ok = path.is_file()
        if not ok:
            problems.append(
                f"the backup schedule {path} does not exist: install the cron entry/timer"
            )
        elif config.schedule_contains and config.schedule_contains not in path.read_text(
            errors="replace"
        ):
            ok = False
            problems.append(
                f"{path} does not run {config.schedule_contains!r}: fix the schedule entry"
            )
        schedule[str(path)] = ok
    newest: Path | None = None
    found = 0
    if config.dir is not None:
        if not config.dir.is_dir():
            problems.append(
                f"the backup directory {config.dir} does not exist: check the backup job's target"
            )
        else:
            entries = [p for p in config.dir.glob(config.pattern) if not p.name.startswith(".")]
            found = len(entries)
            newest = max(entries, key=lambda p: p.stat().st_mtime, default=None)
            if newest is None:
                problems.append(
                    f"no backup matching {config.pattern!r} in {config.dir}: run the backup job "
                    "and check its log"
                )
    age = size = None
    if newest is not None:
        age = ((now or time.time()) - newest.stat().st_mtime) / 3600
        size = _size(newest)
        if age > config.max_age_hours:
            problems.append(
                f"the newest backup {newest.name} is {age:.1f} h old (limit "
                f"{config.max_age_hours:g} h): "
                "the schedule is not running; check the job and its log"
            )
        if size < config.min_size_bytes:
            problems.append(
                f"the newest backup {newest.name} has {size} bytes: the backup job writes empty "
                "backups"
            )
        manifest = newest / "manifest.json"
        if newest.is_dir() and manifest.is_file():
            try:
                files = json.loads(manifest.read_text(encoding="utf-8")).get("files")
            except (OSError, ValueError, AttributeError):
                files = None
            if not files:
                problems.append(
                    f"{manifest} lists no files: the backup is incomplete; run `pytest-release "
                    "backup verify`"
                )
    return BackupResult(
        str(newest) if newest else None, age, size or 0, found, schedule, tuple(problems)
    )
