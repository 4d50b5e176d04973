"""dossier.json: the merged release as plain data, the one model the HTML, sign and verify read."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_release import __version__
from pytest_release.dossier.canonical import CANONICAL_FORM, content_digest
from pytest_release.dossier.compare import Comparison
from pytest_release.dossier.merge import VERDICT_RULES, Finding, Judgement, Release
from pytest_release.dossier.runs import DossierError
from pytest_release.dossier.schedule import SCHEDULE_ROLES, Activity, phase_rows, unscheduled
from pytest_release.report.redaction import ReportRedactor

KIND = "pytest-release dossier"
DOSSIER_SCHEMA = 1


def build(
    release: Release,
    schedule: Sequence[Activity],
    comparison: Comparison | None,
    redactor: ReportRedactor,
    now: dt.datetime | None = None,
    history_dir: str | None = None,
) -> dict[str, Any]:
    """The dossier as JSON-ready data, redacted, with its integrity digest."""
    moment = now or dt.datetime.now(dt.UTC)
    latest = set(release.latest.values())
    runs = release.runs
    data: dict[str, Any] = {
        "kind": KIND,
        "schema": DOSSIER_SCHEMA,
        "tool": {"name": "pytest-release", "version": __version__},
        "created": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "release": {
            "version": release.version,
            "commits": sorted({r.commit for r in runs if r.commit}),
        },
        "target": {"urls": list(dict.fromkeys(r.target_url for r in runs if r.target_url))},
        "verdict": release.verdict,
        "verdict_reasons": [_finding(f) for f in release.reasons],
        "warnings": [_finding(f) for f in release.warnings],
        "verdict_rules": list(VERDICT_RULES),
        "required_phases": list(release.required_phases),
        "phases": {
            phase: {"run": index, "verdict": runs[index].verdict}
            for phase, index in sorted(release.latest.items(), key=lambda e: e[1])
        },
        "runs": [
            {
                "index": n,
                "file": run.path,
                "sha256": run.sha256,
                "phase": run.phase,
                "markexpr": run.markexpr,
                "started": run.started,
                "finished": run.finished,
                "duration_s": run.duration_s,
                "verdict": run.verdict,
                "verdict_reasons": [dict(r) for r in run.reasons],
                "counts": dict(run.counts),
                "target_url": run.target_url,
                "commit": run.commit,
                "superseded": n not in latest,
            }
            for n, run in enumerate(runs)
        ],
        "timeline": _timeline(release, schedule),
        "checklist": [
            {
                "id": s.item.id,
                "section": s.item.section,
                "text": s.item.text,
                "phase": s.item.phase,
                "category": s.item.category,
                "severity": s.item.severity,
                "status": s.status,
                "judged": _judgement(s.judged),
                "last_ok": _judgement(s.last_ok),
                "by_phase": dict(s.by_phase),
                "tests": list(s.item.tests) if s.judged else [],
                "note": s.item.note if s.judged else None,
            }
            for s in release.items
        ],
        "counts": _counts(s.status for s in release.items),
        "waivers": _unique(w for r in release.latest_runs for w in r.waivers),
        "attestations": _unique(a for r in release.latest_runs for a in r.attestations),
        "not_applicable": _unique(n for r in release.latest_runs for n in r.not_applicable),
        "declared_signoffs": _unique(s for r in release.latest_runs for s in r.signoffs),
        "roles": _roles(release),
        "history": {"dir": history_dir, "comparison": _comparison(comparison)},
    }
    data = redactor.strings(data)
    data["integrity"] = integrity(data)
    data["signatures"] = []
    return data


def integrity(data: Mapping[str, Any]) -> dict[str, str]:
    """The integrity block: the content digest and how it is computed."""
    return {
        "algorithm": "sha256",
        "canonical": CANONICAL_FORM,
        "content_sha256": content_digest(data),
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "detail": finding.detail,
        "phase": finding.phase,
        "checklist": list(finding.checklist),
    }


def _judgement(judgement: Judgement | None) -> dict[str, Any] | None:
    if judgement is None:
        return None
    return {
        "run": judgement.run,
        "phase": judgement.phase,
        "at": judgement.at,
        "status": judgement.status,
    }


def _timeline(release: Release, schedule: Sequence[Activity]) -> list[dict[str, Any]]:
    phases = list(dict.fromkeys(r.phase for r in release.runs))
    runs_of: dict[str, list[int]] = {}
    for n, run in enumerate(release.runs):
        runs_of.setdefault(run.phase, []).append(n)
    rows = phase_rows(schedule, phases)
    timeline = [
        {
            "date": a.date,
            "time": a.time,
            "activity": a.activity,
            "owner": a.owner,
            "phase": a.phase,
            "runs": runs_of.get(a.phase, []) if a.phase and rows.get(a.phase) == n else [],
        }
        for n, a in enumerate(schedule)
    ]
    for phase in unscheduled(schedule, phases):
        timeline.append(
            {
                "date": "",
                "time": "",
                "activity": "whole checklist, no -m (not in the schedule)"
                if phase == "all"
                else f"{phase} run (not in the schedule)",
                "owner": "",
                "phase": phase,
                "runs": runs_of[phase],
            }
        )
    return timeline


def _counts(statuses: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def _unique(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for entry in entries:
        seen.setdefault(json.dumps(entry, sort_keys=True, default=str), dict(entry))
    return list(seen.values())


def _roles(release: Release) -> list[str]:
    roles: dict[str, None] = {}
    for run in reversed(release.runs):
        roles.update(dict.fromkeys(run.roles))
    roles.update(dict.fromkeys(SCHEDULE_ROLES))
    for run in release.latest_runs:
        roles.update(dict.fromkeys(str(s.get("role")) for s in run.signoffs if s.get("role")))
    return list(roles)


def _comparison(comparison: Comparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    return {
        "previous_version": comparison.previous_version,
        "previous_verdict": comparison.previous_verdict,
        "previous_runs": list(comparison.previous_runs),
        "regressed": [_change(c) for c in comparison.regressed],
        "fixed": [_change(c) for c in comparison.fixed],
        "new_failures": [
            {
                "nodeid": f.nodeid,
                "phase": f.phase,
                "outcome": f.outcome,
                "message": f.message,
                "checklist": list(f.checklist),
            }
            for f in comparison.new_failures
        ],
        "performance": [
            {
                "name": f.name,
                "unit": f.unit,
                "better": f.better,
                "before": f.before if f.assessment != "new" else None,
                "now": f.now,
                "ratio": round(f.ratio, 4) if f.ratio is not None else None,
                "assessment": f.assessment,
            }
            for f in comparison.figures
        ],
    }


def _change(change: Any) -> dict[str, Any]:
    return {
        "id": change.id,
        "text": change.text,
        "severity": change.severity,
        "before": change.before,
        "now": change.now,
        "phase": change.phase,
    }


def read(path: Path) -> dict[str, Any]:
    """Read a dossier.json; anything else is a DossierError that says what the file is not."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DossierError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise DossierError(
            f"{path}: not JSON any more ({exc}); it was damaged or edited by hand: "
            "regenerate it with `pytest-release dossier`"
        ) from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise DossierError(
            f"{path}: not a pytest-release dossier.json (make one with `pytest-release dossier`)"
        )
    if data.get("schema") != DOSSIER_SCHEMA:
        raise DossierError(
            f"{path}: dossier schema {data.get('schema')!r}; this pytest-release reads "
            f"schema {DOSSIER_SCHEMA}"
        )
    if not isinstance(data.get("signatures"), list):
        raise DossierError(f"{path}: 'signatures' must be a list")
    return data


def write(path: Path, data: Mapping[str, Any]) -> None:
    """Write atomically, indented (a reviewer diffs it); signing reads it back, not the bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
