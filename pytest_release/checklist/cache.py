"""A parsed checklist kept on disk, so a run does not parse (or import the parser) again.

The key is the checklist text itself, the parse options, the path and our parser's code: a
change to any of them is a miss and a fresh parse. Entries are plain JSON (never pickle: a
cache file is data, not code) in ``~/.cache/pytest-release/checklists`` (``$XDG_CACHE_HOME``
is honoured; ``PYTEST_RELEASE_CACHE_DIR`` moves it, ``PYTEST_RELEASE_CACHE_DIR=off`` turns
it off). A cache that cannot be read or written is silently skipped: it only saves time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_release.checklist import parse as parser
from pytest_release.checklist.model import Checklist, ChecklistItem, Criterion, Phase, Severity

CACHE_ENV = "PYTEST_RELEASE_CACHE_DIR"
FORMAT = 1
KEEP = 64  # entries; the oldest go first


def cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where parsed checklists are kept, or None when the cache is off."""
    env = os.environ if environ is None else environ
    configured = env.get(CACHE_ENV, "")
    if configured.strip().lower() == "off":
        return None
    if configured:
        return Path(configured).expanduser() / "checklists"
    base = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "pytest-release" / "checklists"


def load_checklist(
    path: Path, options: parser.ParseOptions, directory: Path | None = None
) -> Checklist:
    """The checklist at ``path``: from the cache when its text and options are unchanged."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError:
        return parser.parse_file(path, options)  # the parser words the error
    folder = cache_dir() if directory is None else directory
    if folder is None:
        return parser.parse_text(source, str(path), options)
    entry = folder / f"{_key(source, str(path), options)}.json"
    cached = _read(entry)
    if cached is not None:
        return cached
    checklist = parser.parse_text(source, str(path), options)
    _write(folder, entry, checklist)
    return checklist


def _key(source: str, path: str, options: parser.ParseOptions) -> str:
    code = Path(parser.__file__).read_bytes()  # a change to the parser is a miss
    text = "\0".join((str(FORMAT), path, repr(options), parser.digest(source)))
    return hashlib.sha256(code + text.encode("utf-8", errors="surrogatepass")).hexdigest()[:32]


def _read(entry: Path) -> Checklist | None:
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
        return _from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(folder: Path, entry: Path, checklist: Checklist) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_to_json(checklist)), encoding="utf-8")
        tmp.replace(entry)
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        return


def _to_json(checklist: Checklist) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "path": checklist.path,
        "title": checklist.title,
        "roles": list(checklist.roles),
        "digest": checklist.digest,
        "items": [
            [
                i.id,
                i.section,
                i.text,
                i.phase.value,
                i.category,
                i.severity.value,
                i.criterion.value,
                i.line,
                i.checked,
                i.end_line,
            ]
            for i in checklist.items
        ],
    }


def _from_json(data: dict[str, Any]) -> Checklist | None:
    if data.get("format") != FORMAT:
        return None
    items = tuple(
        ChecklistItem(
            id=str(id_),
            section=str(section),
            text=str(text),
            phase=Phase(phase),
            category=str(category),
            severity=Severity(severity),
            criterion=Criterion(criterion),
            line=int(line),
            checked=bool(checked),
            end_line=int(end_line),
        )
        for id_, section, text, phase, category, severity, criterion, line, checked, end_line in (
            data["items"]
        )
    )
    return Checklist(
        path=str(data["path"]),
        title=str(data["title"]),
        items=items,
        roles=tuple(str(r) for r in data["roles"]),
        digest=str(data["digest"]),
    )
