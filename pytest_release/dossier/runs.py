"""One phase run as the dossier sees it: a results.json file read back into plain values."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from pytest_release.results import SCHEMA_VERSION, load_schema

PHASE_ORDER = ("predeploy", "deploy", "smoke", "postdeploy", "rollback")
# Statuses that say "this item is fine" (checked, attested, not applicable or waived).
OK_STATUSES = frozenset({"pass", "manual", "na", "waived"})
FAILING_OUTCOMES = frozenset({"failed", "error"})


class DossierError(Exception):
    """Input the dossier cannot use; the message says which file and what to do."""


@dataclass(frozen=True, slots=True)
class ItemState:
    """One checklist item as one run left it."""

    id: str
    section: str
    text: str
    phase: str
    category: str
    severity: str
    status: str
    in_scope: bool
    tests: tuple[str, ...]
    note: str | None

    @property
    def judged(self) -> bool:
        """The run said something about the item (it was selected, or a test or person did)."""
        return self.in_scope or self.status != "skip"


@dataclass(frozen=True, slots=True)
class TestState:
    """One test of a run, reduced to what a comparison needs."""

    __test__ = False  # not a test class, whatever pytest's name rule says

    nodeid: str
    outcome: str
    checklist: tuple[str, ...]
    message: str | None


@dataclass(frozen=True, slots=True)
class Metric:
    """A performance figure a run recorded (results.json ``performance``)."""

    name: str
    value: float
    unit: str
    better: str  # "lower" or "higher"


@dataclass(frozen=True, slots=True)
class Run:
    """One results.json: which release, which phase, when, what it decided and found."""

    path: str
    sha256: str
    release_version: str | None
    commit: str | None
    target_url: str | None
    phase: str
    markexpr: str
    started: str
    finished: str
    duration_s: float
    verdict: str
    reasons: tuple[Mapping[str, Any], ...]
    warnings: tuple[Mapping[str, Any], ...]
    counts: Mapping[str, int]
    items: tuple[ItemState, ...]
    tests: tuple[TestState, ...]
    metrics: tuple[Metric, ...]
    waivers: tuple[Mapping[str, Any], ...]
    attestations: tuple[Mapping[str, Any], ...]
    not_applicable: tuple[Mapping[str, Any], ...]
    signoffs: tuple[Mapping[str, Any], ...]
    roles: tuple[str, ...]

    @property
    def order(self) -> tuple[str, int]:
        """Sort key: start time, then the phase's place in the schedule."""
        rank = PHASE_ORDER.index(self.phase) if self.phase in PHASE_ORDER else len(PHASE_ORDER)
        return (self.started, rank)


def resolve_inputs(paths: Sequence[Path]) -> list[Path]:
    """Files as given; a directory stands for the results.json inside it."""
    found: list[Path] = []
    for path in paths:
        candidate = path / "results.json" if path.is_dir() else path
        if not candidate.is_file():
            hint = " (a directory must hold a results.json)" if path.is_dir() else ""
            raise DossierError(f"{candidate}: no such file{hint}")
        found.append(candidate)
    return found


def load_run(path: Path) -> Run:
    """Read and validate one results.json."""
    try:
        raw = path.read_bytes()
        data = json.loads(raw)
    except OSError as exc:
        raise DossierError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise DossierError(f"{path}: not JSON ({exc}); give the results.json a run wrote") from None
    return run_from_json(data, str(path), hashlib.sha256(raw).hexdigest())


def run_from_json(data: Any, path: str, sha256: str) -> Run:
    """A Run from results.json data; a file that is not one is a DossierError naming it."""
    if not isinstance(data, dict) or "schema" not in data:
        raise DossierError(f"{path}: not a pytest-release results.json (no 'schema' key)")
    if data["schema"] != SCHEMA_VERSION:
        raise DossierError(
            f"{path}: results.json schema {data['schema']!r}, this pytest-release reads "
            f"schema {SCHEMA_VERSION}; use the pytest-release version that wrote it"
        )
    try:
        jsonschema.validate(data, load_schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise DossierError(f"{path}: not a valid results.json at {where}: {exc.message}") from None
    return Run(
        path=path,
        sha256=sha256,
        release_version=data["release"]["version"],
        commit=data["release"]["commit"],
        target_url=data["target"]["url"],
        phase=data["phase"],
        markexpr=data["markexpr"],
        started=data["started"],
        finished=data["finished"],
        duration_s=float(data["duration_s"]),
        verdict=data["verdict"],
        reasons=tuple(data["verdict_reasons"]),
        warnings=tuple(data.get("warnings", ())),
        counts=dict(data["counts"]),
        items=tuple(_item(i) for i in data["checklist"]),
        tests=tuple(
            TestState(t["nodeid"], t["outcome"], tuple(t["checklist"]), t["message"])
            for t in data["tests"]
        ),
        metrics=read_metrics(data.get("performance")),
        waivers=tuple(data["waivers"]),
        attestations=tuple(data["attestations"]),
        not_applicable=tuple(data.get("not_applicable", ())),
        signoffs=tuple(data.get("signoffs", ())),
        roles=tuple(data.get("roles", ())),
    )


def _item(data: Mapping[str, Any]) -> ItemState:
    return ItemState(
        id=data["id"],
        section=data["section"],
        text=data["text"],
        phase=data["phase"],
        category=str(data.get("category", "")),
        severity=data["severity"],
        status=data["status"],
        # Older files have no in_scope: anything but 'skip' was judged by the run.
        in_scope=bool(data.get("in_scope", data["status"] != "skip")),
        tests=tuple(data["tests"]),
        note=data["note"],
    )


def read_metrics(value: Any) -> tuple[Metric, ...]:
    """Performance figures from results.json ``performance``, in any of the shapes accepted.

    A list of ``{"name", "value", "unit"?, "better"?}`` (``better`` is ``lower`` or
    ``higher``, default ``lower``: latencies and sizes), ``{"metrics": [...]}`` around such a
    list, or a mapping ``name -> number`` / ``name -> {"value", "unit"?, "better"?}``.
    Entries without a numeric value are ignored: the field is optional and written by suites.
    """
    if isinstance(value, Mapping) and isinstance(value.get("metrics"), list):
        value = value["metrics"]
    entries: list[tuple[Any, Any]] = []
    if isinstance(value, list):
        entries = [(e.get("name"), e) for e in value if isinstance(e, Mapping)]
    elif isinstance(value, Mapping):
        entries = list(value.items())
    metrics: dict[str, Metric] = {}
    for name, entry in entries:
        spec = entry if isinstance(entry, Mapping) else {"value": entry}
        number = spec.get("value")
        if not isinstance(name, str) or isinstance(number, bool):
            continue
        if not isinstance(number, int | float):
            continue
        better = "higher" if spec.get("better") == "higher" else "lower"
        metrics[name] = Metric(name, float(number), str(spec.get("unit") or ""), better)
    return tuple(metrics.values())
