"""The rehearsal's summary: one line per phase run with its verdict and report, the outcome,
and the Deployment Steps / Monitoring / Rollback items across all runs; next to it the
combined record of every checklist item (``combined.py``: results.json, report.html)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_release.rehearsal.combined import combined_record, write_combined
from pytest_release.rehearsal.run import PREVIOUS, RELEASE, PhaseRun, Rehearsal

OPS_PREFIXES = ("deploy.", "post.monitoring.", "rollback.")
_RANK = {
    "fail": 0,
    "warn": 1,
    "skip": 2,
    "uncovered": 3,
    "waived": 4,
    "manual": 5,
    "na": 6,
    "pass": 7,
}


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: str
    detail: str
    ok: bool


def outcome(runs: Sequence[PhaseRun], rolled_back: bool, aborted: str | None = None) -> Outcome:
    """GO when every run is GO; after a rollback, whether the rollback itself verified."""
    if aborted is not None:
        return Outcome("INCONCLUSIVE", f"the rehearsal stopped: {aborted}", False)
    if rolled_back:
        last = runs[-1]
        if last.verdict == "GO":
            return Outcome("ROLLBACK", f"verified: {PREVIOUS} is live again, data restored", True)
        return Outcome("ROLLBACK", f"NOT verified: the rollback run says {last.verdict}", False)
    worst = next(
        (v for v in ("ROLLBACK", "NO-GO", "INCONCLUSIVE") if any(r.verdict == v for r in runs)),
        "GO",
    )
    if worst == "GO":
        return Outcome("GO", f"release {RELEASE} is live; every phase ended GO", True)
    bad = ", ".join(f"{r.title} {r.verdict}" for r in runs if r.verdict != "GO")
    return Outcome(worst, bad, False)


def item_table(runs: Sequence[PhaseRun], rolled_back: bool) -> dict[str, dict[str, Any]]:
    """Each operations item: its text, every run that judged it, and the overall status."""
    table: dict[str, dict[str, Any]] = {}
    for run in runs:
        for item in run.results["checklist"]:
            if not item["id"].startswith(OPS_PREFIXES):
                continue
            entry = table.setdefault(item["id"], {"text": item["text"], "runs": [], "status": None})
            if item["status"] != "skip" or item.get("tests"):
                entry["runs"].append(
                    {"run": run.title, "status": item["status"], "note": item.get("note")}
                )
    for item_id, entry in table.items():
        statuses = [r["status"] for r in entry["runs"]]
        if statuses:
            # A rollback run re-judges what the failed release broke; before it, the worst counts.
            final = (
                statuses[-1]
                if rolled_back and item_id.startswith("rollback.")
                else min(statuses, key=lambda s: _RANK.get(s, 2))
            )
            entry["status"] = final
        elif item_id.startswith("rollback.") and not rolled_back:
            entry["status"] = "na"
            entry["runs"].append({"run": "-", "status": "na", "note": "no rollback was needed"})
        else:
            entry["status"] = "skip"
    return table


def write_summary(rehearsal: Rehearsal) -> tuple[Outcome, Path]:
    """summary.json, summary.md and summary.html in the work directory; return the outcome."""
    runs = rehearsal.runs
    result = outcome(runs, rehearsal.rolled_back, rehearsal.aborted)
    items = item_table(runs, rehearsal.rolled_back)
    work = rehearsal.o.work
    data = {
        "release": RELEASE,
        "previous": PREVIOUS,
        "faults": list(rehearsal.o.faults),
        "verdict": result.verdict,
        "detail": result.detail,
        "rolled_back": rehearsal.rolled_back,
        "incident": str(rehearsal.incident.report_dir / "results.json")
        if rehearsal.incident
        else None,
        "runs": [
            {
                "title": r.title,
                "step": r.step,
                "phase": r.phase,
                "verdict": r.verdict,
                "report": str(r.report_dir.relative_to(work)),
                "reasons": [
                    x.get("detail", "")[:300] for x in r.results.get("verdict_reasons", [])
                ],
            }
            for r in runs
        ],
        "items": items,
    }
    (work / "summary.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    (work / "summary.md").write_text(_markdown(data), encoding="utf-8")
    (work / "summary.html").write_text(_html(data), encoding="utf-8")
    if any(not r.on_staging for r in runs):  # every checklist item, in one record
        record = combined_record(
            runs, result.verdict, result.detail, rehearsal.rolled_back, work, work / "summary.html"
        )
        write_combined(record, work)
    return result, work / "summary.html"


def _markdown(data: dict[str, Any]) -> str:
    lines = [
        f"# Rehearsal of release {data['release']}: {data['verdict']}",
        "",
        data["detail"],
        "",
        f"Faults in the new release: {', '.join(data['faults']) or 'none'}",
        "",
        "| run | schedule step | verdict | report |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['title']} | {r['step']} | {r['verdict']} "
        f"| [{r['report']}]({r['report']}/report.html) |"
        for r in data["runs"]
    ]
    lines += ["", "| item | status | judged by |", "|---|---|---|"]
    for item_id, entry in sorted(data["items"].items()):
        runs = "; ".join(f"{r['run']}: {r['status']}" for r in entry["runs"])
        lines.append(f"| `{item_id}` {entry['text']} | {entry['status']} | {runs} |")
    return "\n".join(lines) + "\n"


def _html(data: dict[str, Any]) -> str:
    e = html.escape
    runs = "".join(
        f"<tr><td>{e(r['title'])}</td><td>{e(r['step'])}</td><td class='v-{e(r['verdict'])}'>"
        f"{e(r['verdict'])}</td><td><a href='{e(r['report'])}/report.html'>report</a> · "
        f"<a href='{e(r['report'])}/results.json'>results.json</a></td></tr>"
        for r in data["runs"]
    )
    items = "".join(
        f"<tr><td><code>{e(i)}</code> {e(entry['text'])}</td><td>{e(str(entry['status']))}</td>"
        f"<td>{e('; '.join(r['run'] + ': ' + r['status'] for r in entry['runs']))}</td></tr>"
        for i, entry in sorted(data["items"].items())
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Rehearsal {e(data['release'])}: {e(data['verdict'])}</title>"
        "<style>body{font:15px system-ui;margin:2em}td,th{border:1px solid #ccc;padding:4px 8px}"
        "table{border-collapse:collapse;margin:1em 0}.v-GO{background:#d4f7d4}"
        ".v-NO-GO,.v-ROLLBACK{background:#f9d0d0}.v-INCONCLUSIVE{background:#f7ecc4}</style>"
        f"</head><body><h1>Rehearsal of release {e(data['release'])}: {e(data['verdict'])}</h1>"
        f"<p>{e(data['detail'])}</p><p>Faults in the new release: "
        f"{e(', '.join(data['faults']) or 'none')}</p>"
        f"<table><tr><th>run</th><th>schedule step</th><th>verdict</th><th>report</th></tr>{runs}"
        f"</table><h2>Deployment steps, monitoring, rollback</h2><table><tr><th>item</th>"
        f"<th>status</th><th>judged by</th></tr>{items}</table></body></html>"
    )
