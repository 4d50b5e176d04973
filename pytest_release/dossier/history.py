"""The history directory: every archived run, one folder per release, the last N releases kept.

Layout: ``DIR/<release>/<started>-<phase>.json`` (each file a results.json as written). The
release a file belongs to is read from the file itself, never from the folder name, so odd
version strings cannot mix two releases up.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_release.config_number import is_number
from pytest_release.dossier.runs import DossierError, Run, load_run
from pytest_release.results import readable_json

DEFAULT_KEEP = 10
UNVERSIONED = "unversioned"


@dataclass(frozen=True, slots=True)
class HistoryRelease:
    """One release in the history: its version and its archived runs' files."""

    version: str | None
    files: tuple[Path, ...]
    first_started: str
    last_started: str


@dataclass(frozen=True, slots=True)
class HistorySettings:
    """``[tool.pytest_release.history]``: where the history lives and how much of it to keep."""

    dir: Path | None = None
    keep: int = DEFAULT_KEEP


def history_settings(table: Mapping[str, Any], root: Path) -> HistorySettings:
    """Validate ``[tool.pytest_release.history]`` (keys ``dir`` and ``keep``)."""
    unknown = sorted(set(table) - {"dir", "keep"})
    if unknown:
        raise DossierError(
            f"[tool.pytest_release.history] has unknown key(s) {', '.join(unknown)}; "
            "allowed: dir (the history directory), keep (how many releases to keep)"
        )
    keep = table.get("keep", DEFAULT_KEEP)
    if not is_number(keep, whole=True) or keep < 1:
        raise DossierError(
            f"[tool.pytest_release.history] keep = {keep!r} is not allowed; "
            "use a whole number of at least 1"
        )
    raw = table.get("dir")
    if raw is not None and (not isinstance(raw, str) or not raw.strip()):
        raise DossierError(f"[tool.pytest_release.history] dir = {raw!r}: give a directory path")
    path = None
    if raw:
        path = Path(raw).expanduser()
        path = path if path.is_absolute() else root / path
    return HistorySettings(path, keep)


def folder_name(version: str | None) -> str:
    """A safe folder name for a release version."""
    if not version:
        return UNVERSIONED
    name = re.sub(r"[^A-Za-z0-9._+-]+", "_", version).strip("._") or "release"
    return name[:80]


def archive(data: Mapping[str, Any], history_dir: Path, keep: int = DEFAULT_KEEP) -> Path:
    """Copy one run's results.json data into the history, then prune to ``keep`` releases.

    Archiving the same run twice is a no-op (same content, same file).
    """
    release = data.get("release", {})
    version = release.get("version") if isinstance(release, Mapping) else None
    text = readable_json(dict(data))
    stamp = re.sub(r"[^0-9TZ]", "", str(data.get("started", ""))) or "unknown"
    phase = re.sub(r"[^a-z0-9_-]", "", str(data.get("phase", "run")).lower()) or "run"
    folder = history_dir / folder_name(version)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    n = 1
    while True:
        name = f"{stamp}-{phase}.json" if n == 1 else f"{stamp}-{phase}-{n}.json"
        target = folder / name
        if not target.exists():
            break
        if hashlib.sha256(target.read_bytes()).hexdigest() == digest:
            return target
        n += 1
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    prune(history_dir, keep, protect=version)
    return target


def releases(history_dir: Path) -> list[HistoryRelease]:
    """The releases in the history, oldest first (by their first run's start)."""
    groups: dict[str | None, list[tuple[str, Path]]] = {}
    if not history_dir.is_dir():
        return []
    for path in sorted(history_dir.glob("*/*.json")):
        head = _head(path)
        if head is None:
            continue
        version, started = head
        groups.setdefault(version, []).append((started, path))
    found = [
        HistoryRelease(
            version,
            tuple(p for _, p in sorted(entries)),
            min(s for s, _ in entries),
            max(s for s, _ in entries),
        )
        for version, entries in groups.items()
    ]
    return sorted(found, key=lambda r: (r.first_started, r.last_started))


def _head(path: Path) -> tuple[str | None, str] | None:
    """(release version, started) of an archived run; None for files that are not runs."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "schema" not in data or "started" not in data:
        return None
    release = data.get("release")
    version = release.get("version") if isinstance(release, dict) else None
    return (str(version) if version else None, str(data["started"]))


def previous_release(history_dir: Path, current: str | None, before: str) -> HistoryRelease | None:
    """The newest release other than ``current`` that started before ``before`` (ISO time).

    Falls back to the newest other release when none started earlier (clocks, imports).
    """
    others = [r for r in releases(history_dir) if r.version != current and r.version]
    earlier = [r for r in others if r.first_started < before]
    pool = earlier or others
    return pool[-1] if pool else None


def load_release_runs(release: HistoryRelease) -> list[Run]:
    """The archived runs of one history release."""
    return [load_run(path) for path in release.files]


def baseline_for(history_dir: Path, phase: str, current: str | None) -> Path | None:
    """The previous release's latest run of ``phase``: a ``--baseline`` for performance."""
    found = previous_release(history_dir, current, "9999")
    if found is None:
        return None
    for path in reversed(found.files):
        if path.stem.split("-", 1)[-1].split("-")[0] == phase:
            return path
    return None


def prune(history_dir: Path, keep: int, protect: str | None = None) -> list[Path]:
    """Delete the archived runs of all but the newest ``keep`` releases; return what went."""
    all_releases = releases(history_dir)
    newest_first = sorted(all_releases, key=lambda r: r.last_started, reverse=True)
    kept = {r.version for r in newest_first[:keep]}
    if protect is not None:
        kept.add(protect)
    removed: list[Path] = []
    for release in all_releases:
        if release.version in kept:
            continue
        for path in release.files:
            path.unlink(missing_ok=True)
            removed.append(path)
            folder = path.parent
            if folder != history_dir and not any(folder.iterdir()):
                folder.rmdir()
    return removed
