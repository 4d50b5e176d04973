"""The run as plain data (RunRecord) and its results.json view, validated by a shipped schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_release import __version__
from pytest_release.attestations import Attestations, Waiver
from pytest_release.checklist.model import Checklist
from pytest_release.status import ItemResult, TestRecord, count_statuses
from pytest_release.verdict import Reason, Verdict

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class RunRecord:
    """Everything one run found out: the single model behind every view."""

    checklist: Checklist
    items: tuple[ItemResult, ...]
    tests: tuple[TestRecord, ...]
    verdict: Verdict
    attestations: Attestations
    phase: str
    markexpr: str
    started: str
    finished: str
    duration_s: float
    release_version: str | None = None
    commit: str | None = None
    target_url: str | None = None
    target_version: str | None = None
    files: dict[str, str] = field(default_factory=dict)


def load_schema() -> dict[str, Any]:
    """The JSON Schema of results.json shipped in the package."""
    text = resources.files("pytest_release").joinpath("results.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _reason(reason: Reason) -> dict[str, Any]:
    return {
        "rule": reason.rule,
        "checklist": list(reason.checklist),
        "detail": reason.detail,
        "kind": reason.kind.value,
    }


def _waiver(waiver: Waiver, expired: bool) -> dict[str, Any]:
    return {
        "checklist": waiver.item,
        "reason": waiver.reason,
        "expires": waiver.expires.isoformat(),
        "by": waiver.by,
        "expired": expired,
        "covers": waiver.covers,
    }


def to_json(record: RunRecord) -> dict[str, Any]:
    """results.json as a dict (see RESULTS_SCHEMA.md)."""
    att = record.attestations
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "pytest-release", "version": __version__},
        "release": {"version": record.release_version, "commit": record.commit},
        "target": {"url": record.target_url, "version_seen": record.target_version},
        "phase": record.phase,
        "markexpr": record.markexpr,
        "started": record.started,
        "finished": record.finished,
        "duration_s": round(record.duration_s, 3),
        "verdict": record.verdict.decision.value,
        "verdict_reasons": [_reason(r) for r in record.verdict.reasons],
        "warnings": [_reason(r) for r in record.verdict.warnings],
        "counts": dict(count_statuses(record.items)),
        "checklist": [
            {
                "id": r.item.id,
                "section": r.item.section,
                "text": r.item.text,
                "phase": r.item.phase.value,
                "category": r.item.category,
                "severity": r.item.severity.value,
                "criterion": r.item.criterion.value,
                "status": r.status.value,
                "in_scope": r.in_scope,
                "tests": list(r.tests),
                "evidence": list(r.evidence),
                "note": r.note,
                "line": r.item.line,
            }
            for r in record.items
        ],
        "tests": [
            {
                "nodeid": t.nodeid,
                "outcome": t.outcome.value,
                "duration_s": round(t.duration_s, 4),
                "checklist": list(t.checklist),
                "severity": t.severity,
                "message": t.message,
                "evidence": list(t.evidence),
            }
            for t in record.tests
        ],
        "attestations": [
            {"checklist": a.item, "by": a.by, "at": a.at, "note": a.note} for a in att.attestations
        ],
        "waivers": [_waiver(w, False) for w in att.waivers]
        + [_waiver(w, True) for w in att.expired_waivers],
        "not_applicable": [
            {"checklist": n.item, "reason": n.reason, "by": n.by} for n in att.not_applicable
        ],
        "signoffs": [
            {"role": s.role, "name": s.name, "date": s.date, "note": s.note} for s in att.signoffs
        ],
        "roles": list(record.checklist.roles),
        "checklist_path": record.checklist.path,
        "files": dict(record.files),
    }


_ENCODER = json.JSONEncoder(ensure_ascii=False)


def readable_json(data: dict[str, Any]) -> str:
    """One top-level key per line and one list element per line: diffable, and fast to write
    (json's indent= switches to its slow pure-Python encoder, which dominated big runs)."""
    encode = _ENCODER.encode  # json.dumps(..., ensure_ascii=False) builds an encoder per call
    lines = ["{"]
    for n, (key, value) in enumerate(data.items()):
        comma = "," if n < len(data) - 1 else ""
        name = encode(key)
        if isinstance(value, list) and value:
            elements = ",\n    ".join(map(encode, value))
            lines.append(f"  {name}: [\n    {elements}\n  ]{comma}")
        else:
            lines.append(f"  {name}: {encode(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(readable_json(data), encoding="utf-8")
    tmp.replace(path)
