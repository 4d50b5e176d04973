"""Known vulnerabilities from an offline OSV database (a folder or zip of OSV JSON entries).

For machines that cannot reach a vulnerability service: download the PyPI export of the
OSV database elsewhere (``all.zip`` of the PyPI ecosystem), copy it over, and point
``[tool.pytest_release.predeploy.audit] osv_database`` at it.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version


def normalize(name: str) -> str:
    """PEP 503 name normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True, slots=True)
class Vulnerability:
    id: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]
    summary: str


def _entries(database: Path) -> Iterator[Mapping[str, Any]]:
    if database.is_file() and database.suffix == ".zip":
        with zipfile.ZipFile(database) as archive:
            for name in archive.namelist():
                if name.endswith(".json"):
                    yield json.loads(archive.read(name))
        return
    for path in sorted(database.rglob("*.json")):
        yield json.loads(path.read_text(encoding="utf-8"))


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def in_ranges(version: Version, ranges: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the version falls in any ECOSYSTEM range (introduced / fixed / last_affected)."""
    for rng in ranges:
        if rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue
        start: Version | None = None
        affected = False
        for event in rng.get("events", []):
            if "introduced" in event:
                start = (
                    Version("0") if event["introduced"] == "0" else _version(event["introduced"])
                )
                affected = start is not None and version >= start
            elif "fixed" in event and start is not None:
                end = _version(event["fixed"])
                if affected and end is not None and version < end:
                    return True
                affected = False
            elif "last_affected" in event and start is not None:
                end = _version(event["last_affected"])
                if affected and end is not None and version <= end:
                    return True
                affected = False
        if affected:
            return True  # introduced and never fixed
    return False


def load_index(database: Path) -> dict[str, list[tuple[Mapping[str, Any], Mapping[str, Any]]]]:
    """PyPI package name -> [(entry, affected block)] for every entry in the database."""
    index: dict[str, list[tuple[Mapping[str, Any], Mapping[str, Any]]]] = {}
    for entry in _entries(database):
        for affected in entry.get("affected", []):
            package = affected.get("package", {})
            if package.get("ecosystem") == "PyPI" and package.get("name"):
                index.setdefault(normalize(package["name"]), []).append((entry, affected))
    return index


def vulnerabilities(
    index: Mapping[str, Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]],
    name: str,
    version: str,
) -> list[Vulnerability]:
    """The entries that affect this exact package version."""
    parsed = _version(version)
    found = []
    for entry, affected in index.get(normalize(name), ()):
        hit = version in affected.get("versions", []) or (
            parsed is not None and in_ranges(parsed, affected.get("ranges", []))
        )
        if hit:
            fixed = tuple(
                e["fixed"]
                for r in affected.get("ranges", [])
                for e in r.get("events", [])
                if "fixed" in e
            )
            found.append(
                Vulnerability(
                    str(entry.get("id")),
                    tuple(entry.get("aliases", [])),
                    fixed,
                    str(entry.get("summary") or entry.get("details", ""))[:200],
                )
            )
    return found
