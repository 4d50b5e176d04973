"""The rehearsal as one results.json (schema 1) and one report.html: all checklist items.

Each item carries the status of the latest production run that judged it (a test ran, or
an attestation, waiver or not-applicable entry decided it), with one exception: a rollback
run re-checks smoke and functionality on the previous release, and those re-checks do not
replace what the failed release showed - they count only for the rollback items and for
items no earlier run judged. An item no run judged is "na" when it belongs to the
rollback plan and no rollback was needed, otherwise "skip" with the reason (not reached
before the rollback, or not run at all, e.g. predeploy with ``--quick``).

The staging e2e run is an input of the pre-deployment checks (its JUnit report), not a
verdict on production, so it judges no item here. ``run`` and ``report`` on each item say
where its status comes from; evidence paths are relative to the record's directory.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_release.rehearsal.run import RELEASE, PhaseRun

STATUSES = ("pass", "fail", "warn", "skip", "na", "manual", "waived", "uncovered")


def judged(item: Mapping[str, Any]) -> bool:
    return item["status"] != "skip" or bool(item.get("tests"))


def _rebased(paths: Iterable[str], run_dir: Path, base: Path) -> list[str]:
    prefix = Path(os.path.relpath(run_dir, base))
    return [(prefix / p).as_posix() for p in paths]


def choose(item_id: str, runs: Sequence[PhaseRun]) -> tuple[PhaseRun, dict[str, Any]]:
    """The run whose judgement of the item counts, and its item entry (rule in the docstring)."""
    entries = [(run, _entry(run, item_id)) for run in runs]
    seen = [(run, entry) for run, entry in entries if judged(entry)]
    before_rollback = [(run, entry) for run, entry in seen if run.phase != "rollback"]
    if item_id.startswith("rollback.") or not before_rollback:
        return seen[-1] if seen else entries[-1]
    return before_rollback[-1]


def _entry(run: PhaseRun, item_id: str) -> dict[str, Any]:
    return next(dict(i) for i in run.results["checklist"] if i["id"] == item_id)


def combined_record(
    runs: Sequence[PhaseRun],
    verdict: str,
    detail: str,
    rolled_back: bool,
    base: Path,
    summary: Path,
) -> dict[str, Any]:
    """results.json data for the whole rehearsal, paths relative to ``base``."""
    production = [r for r in runs if not r.on_staging]
    if not production:
        raise ValueError("no production run to combine")
    first, last = production[0].results, production[-1].results
    items = []
    for listed in first["checklist"]:
        run, entry = choose(listed["id"], production)
        if judged(entry):
            entry["evidence"] = _rebased(entry.get("evidence", []), run.report_dir, base)
            entry["run"], entry["report"] = (
                run.title,
                _rebased(["report.html"], run.report_dir, base)[0],
            )
        elif entry["id"].startswith("rollback.") and not rolled_back:
            entry.update(status="na", note="no rollback was needed in this rehearsal")
        elif rolled_back:
            entry.update(status="skip", note="not reached: the release was rolled back first")
        else:
            entry.update(status="skip", note="no run of this rehearsal judged it")
        items.append(entry)
    counts = dict.fromkeys(STATUSES, 0)
    for entry in items:
        counts[entry["status"]] += 1
    reasons = [
        {**reason, "detail": f"[{run.title}] {reason['detail']}"}
        for run in production
        if run.verdict != "GO"
        for reason in run.results.get("verdict_reasons", [])
    ]
    return {
        "schema": 1,
        "tool": first["tool"],
        "release": {"version": RELEASE, "commit": last["release"].get("commit")},
        "target": last["target"],
        "phase": "rehearsal",
        "markexpr": "",
        "started": runs[0].results["started"],
        "finished": last["finished"],
        "duration_s": round(sum(float(r.results["duration_s"]) for r in runs), 3),
        "verdict": verdict,
        "verdict_reasons": reasons if verdict != "GO" else [],
        "warnings": [w for r in production for w in r.results.get("warnings", [])],
        "counts": counts,
        "checklist": items,
        "tests": [
            {
                **test,
                "run": run.title,
                "evidence": _rebased(test.get("evidence", []), run.report_dir, base),
            }
            for run in production
            for test in run.results["tests"]
        ],
        **{key: _union(r.results.get(key, []) for r in runs) for key in _ENTRY_KEYS},
        "roles": last.get("roles", []),
        "checklist_path": last.get("checklist_path"),
        "files": {"results": "results.json", "html": "report.html"},
        "rehearsal": {
            "detail": detail,
            "rolled_back": rolled_back,
            "summary": Path(os.path.relpath(summary, base)).as_posix(),
            "runs": [
                {
                    "title": r.title,
                    "phase": r.phase,
                    "verdict": r.verdict,
                    "staging": r.on_staging,
                    "report": _rebased(["report.html"], r.report_dir, base)[0],
                }
                for r in runs
            ],
        },
    }


_ENTRY_KEYS = ("attestations", "waivers", "not_applicable", "signoffs")


def _union(lists: Iterable[list[Any]]) -> list[Any]:
    seen: dict[str, Any] = {}
    for entries in lists:
        for entry in entries:
            seen.setdefault(json.dumps(entry, sort_keys=True), entry)
    return list(seen.values())


def write_combined(data: Mapping[str, Any], base: Path) -> tuple[Path, Path]:
    """results.json and report.html in ``base``."""
    base.mkdir(parents=True, exist_ok=True)
    results = base / "results.json"
    results.write_text(json.dumps(data, indent=2), encoding="utf-8")
    page = base / "report.html"
    page.write_text(render_html(data), encoding="utf-8")
    return results, page


def render_html(data: Mapping[str, Any]) -> str:
    e = html.escape
    rehearsal = data["rehearsal"]
    runs = "".join(
        f"<tr><td>{e(r['title'])}{' (staging)' if r['staging'] else ''}</td>"
        f"<td class='v-{e(r['verdict'])}'>{e(r['verdict'])}</td>"
        f"<td><a href='{e(r['report'])}'>{e(r['report'])}</a></td></tr>"
        for r in rehearsal["runs"]
    )
    rows = "".join(
        f"<tr><td><code>{e(i['id'])}</code></td><td>{e(i['text'])}</td>"
        f"<td class='s-{e(i['status'])}'>{e(i['status'])}</td>"
        f"<td>{_link(i)}</td><td>{e(i.get('note') or '')}</td></tr>"
        for i in data["checklist"]
    )
    counts = ", ".join(f"{n} {s}" for s, n in data["counts"].items() if n)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Rehearsal {e(data['release']['version'] or '')}: {e(data['verdict'])}</title>"
        "<style>body{font:15px system-ui;margin:2em}td,th{border:1px solid #ccc;padding:4px 8px;"
        "vertical-align:top}table{border-collapse:collapse;margin:1em 0}.v-GO,.s-pass"
        "{background:#d4f7d4}.v-NO-GO,.v-ROLLBACK,.s-fail{background:#f9d0d0}.v-INCONCLUSIVE,"
        ".s-skip,.s-uncovered{background:#f7ecc4}.s-waived,.s-manual,.s-na{background:#e4e4f7}"
        "</style></head><body>"
        f"<h1>Rehearsal of release {e(data['release']['version'] or '')}: "
        f"{e(data['verdict'])}</h1><p>{e(rehearsal['detail'])}</p>"
        f"<p>{len(data['checklist'])} checklist items: {e(counts)}. Waived, attested and "
        "not-applicable items were not checked by a machine: their notes say why. "
        f"<a href='{e(rehearsal['summary'])}'>Rehearsal summary</a> · "
        "<a href='results.json'>results.json</a></p>"
        f"<table><tr><th>run</th><th>verdict</th><th>report</th></tr>{runs}</table>"
        "<table><tr><th>item</th><th>text</th><th>status</th><th>judged by</th><th>note</th>"
        f"</tr>{rows}</table></body></html>"
    )


def _link(item: Mapping[str, Any]) -> str:
    if "run" not in item:
        return "-"
    return f"<a href='{html.escape(item['report'])}'>{html.escape(item['run'])}</a>"
