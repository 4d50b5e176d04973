"""dossier.html: one self-contained page (inline CSS, no script, no remote resource)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from pytest_release.dossier.runs import PHASE_ORDER
from pytest_release.dossier.signing import RoleStatus

HEADLINES = {
    "GO": "Go: every phase that counts ended GO; nothing blocks the sign-off.",
    "NO-GO": "No go: a release criterion failed before go-live.",
    "ROLLBACK": "Roll back: the live release met a rollback criterion, or was rolled back.",
    "INCONCLUSIVE": "Inconclusive: a phase is missing or could not decide.",
}
STATUS_WORDS = {"manual": "attested", "na": "n/a", "not-run": "not run"}


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def badge(value: str, word: str | None = None) -> str:
    css = value.replace(" ", "-")
    text = word or STATUS_WORDS.get(value, value)
    return f'<span class="badge badge--{esc(css)}" data-status="{esc(value)}">{esc(text)}</span>'


def render(data: Mapping[str, Any], roles: Sequence[RoleStatus]) -> str:
    """The whole page."""
    css = resources.files("pytest_release.dossier").joinpath("dossier.css").read_text("utf-8")
    version = data["release"]["version"] or "(no release version)"
    parts = [
        _banner(data),
        _facts(data),
        _signoff(data, roles),
        _timeline(data),
        _checklist(data),
        _open_items(data),
        _comparison(data),
        _runs(data),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>Release dossier {esc(version)}: {esc(data['verdict'])}</title>"
        f"<style>{css}</style></head><body>"
        f"<h1>Release dossier: {esc(version)}</h1>{''.join(parts)}</body></html>\n"
    )


def _banner(data: Mapping[str, Any]) -> str:
    verdict = str(data["verdict"])
    css = {"GO": "go", "NO-GO": "nogo", "ROLLBACK": "rollback"}.get(verdict, "inconclusive")
    reasons = "".join(
        f"<li><code>{esc(r['rule'])}</code> {esc(r['detail'])}</li>"
        for r in data["verdict_reasons"]
    )
    warnings = "".join(
        f"<li><code>{esc(w['rule'])}</code> {esc(w['detail'])}</li>" for w in data["warnings"]
    )
    counts = ", ".join(
        f"{n} {STATUS_WORDS.get(s, s)}" for s, n in sorted(data["counts"].items()) if n
    )
    return (
        f'<section id="verdict" class="banner banner--{css}" data-verdict="{esc(verdict)}">'
        f'<div class="banner__decision">{esc(verdict)}</div><div class="banner__body">'
        f"<p><strong>{esc(HEADLINES.get(verdict, ''))}</strong></p>"
        f"{f'<ul>{reasons}</ul>' if reasons else ''}"
        f"{f'<p>Warnings:</p><ul>{warnings}</ul>' if warnings else ''}"
        f"<p>Checklist across phases: {esc(counts)}.</p></div></section>"
    )


def _facts(data: Mapping[str, Any]) -> str:
    phases = data["phases"]
    required = data["required_phases"]
    missing = [p for p in required if p not in phases]
    rows = [
        ("Release", data["release"]["version"] or "(none given)"),
        ("Test code commits", ", ".join(data["release"]["commits"]) or "(unknown)"),
        ("Target", ", ".join(data["target"]["urls"]) or "(no target recorded)"),
        ("Phases", ", ".join(f"{p}: {v['verdict']}" for p, v in phases.items())),
        (
            "Required phases",
            ", ".join(required) + (f" (missing: {', '.join(missing)})" if missing else ""),
        ),
        ("Runs merged", str(len(data["runs"]))),
        ("Created", data["created"]),
        ("Content sha256", data["integrity"]["content_sha256"]),
    ]
    facts = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    rules = "".join(f"<li>{esc(r)}</li>" for r in data["verdict_rules"])
    return (
        f'<dl class="facts">{facts}</dl>'
        f'<details id="verdict-rules"><summary>How the release verdict is reached</summary>'
        f'<ol class="rules">{rules}</ol></details>'
    )


def _signoff(data: Mapping[str, Any], roles: Sequence[RoleStatus]) -> str:
    declared = {str(s.get("role")): s for s in data.get("declared_signoffs", [])}
    lines: list[str] = []
    for row in roles:
        note = ""
        if row.role in declared:
            entry = declared[row.role]
            note = (
                f'<span class="muted">declared in the attestations file: '
                f"{esc(entry.get('name'))}, {esc(entry.get('date'))} (not a signature)</span>"
            )
        if not row.checks:
            lines.append(
                f'<tr data-role="{esc(row.role)}" data-status="pending"><td>{esc(row.role)}</td>'
                f'<td></td><td>{badge("pending")}</td><td><span class="sig-line"></span></td>'
                f"<td></td><td>{note}</td></tr>"
            )
            continue
        for check in row.checks:
            status = "verified" if check.ok else "invalid"
            why = [] if check.ok else [f'<span class="reason">{esc(check.reason)}</span>']
            if check.accept_risk:
                why.append(f'<span class="risk">Accepted risk: {esc(check.accept_risk)}</span>')
            if note:
                why.append(note)
            lines.append(
                f'<tr data-role="{esc(row.role)}" data-status="{status}"><td>{esc(row.role)}</td>'
                f"<td>{esc(check.name)}</td><td>{badge(status)}</td><td>{esc(check.signed_at)}"
                f"</td><td><code>{esc(check.key_id)}</code></td><td>{'<br>'.join(why)}</td></tr>"
            )
    done = sum(r.status == "verified" for r in roles)
    return (
        '<section id="signoff"><h2>Sign-off</h2>'
        f"<p>Verdict to sign: <strong>{esc(data['verdict'])}</strong> · {done} of {len(roles)} "
        "roles verified. Sign with <code>pytest-release sign dossier.json --role ROLE --name "
        "NAME --key KEY</code>; check with <code>pytest-release verify dossier.json</code>.</p>"
        "<table><thead><tr><th>Role</th><th>Name</th><th>Signature</th><th>Signed</th>"
        f"<th>Key</th><th>Note</th></tr></thead><tbody>{''.join(lines)}</tbody></table></section>"
    )


def _run_line(run: Mapping[str, Any]) -> str:
    superseded = ' <span class="muted">(superseded)</span>' if run["superseded"] else ""
    return (
        f'<span class="run"><a href="#run-{run["index"]}">{esc(run["phase"])}</a> '
        f"{badge(run['verdict'])} {esc(run['started'])} → {esc(run['finished'])}{superseded}</span>"
    )


def _timeline(data: Mapping[str, Any]) -> str:
    runs = data["runs"]
    signatures = len(data.get("signatures", []))
    lines = []
    for row in data["timeline"]:
        cells = "".join(_run_line(runs[i]) for i in row["runs"])
        if row["phase"] == "signoff":
            cells = (
                f'{signatures} signature(s) in this dossier; see <a href="#signoff">Sign-off</a>'
            )
        elif not cells:
            cells = (
                '<span class="muted">no run recorded</span>'
                if row["phase"]
                else '<span class="muted">a step for people; no run stands for it</span>'
            )
        css = "" if row["runs"] or row["phase"] else ' class="manual-step"'
        lines.append(
            f"<tr{css}><td>{esc(row['date'])}</td><td>{esc(row['time'])}</td>"
            f"<td>{esc(row['activity'])}</td><td>{esc(row['owner'])}</td>"
            f"<td>{esc(row['phase'] or '')}</td><td>{cells}</td></tr>"
        )
    return (
        '<section id="timeline"><h2>Timeline</h2><p class="muted">The schedule as planned, and '
        "the runs that stand for its steps (times are when they ran, UTC).</p>"
        "<table><thead><tr><th>Date</th><th>Time</th><th>Activity</th><th>Owner</th>"
        f"<th>Phase</th><th>Runs</th></tr></thead><tbody>{''.join(lines)}</tbody></table></section>"
    )


def _checklist(data: Mapping[str, Any]) -> str:
    phases = [p for p in PHASE_ORDER if p in data["phases"]]
    phases += [p for p in data["phases"] if p not in phases]
    head = "".join(f'<th class="phase-cell">{esc(p)}</th>' for p in phases)
    lines: list[str] = []
    section = None
    for item in data["checklist"]:
        if item["section"] != section:
            section = item["section"]
            lines.append(
                f'<tr class="section"><th colspan="{4 + len(phases)}">{esc(section)}</th></tr>'
            )
        judged = item["judged"]
        where = (
            f"{esc(judged['phase'])}, {esc(judged['at'])}"
            if judged
            else '<span class="muted">never</span>'
        )
        last_ok = item["last_ok"]
        if last_ok and judged and last_ok != judged:
            where += (
                f'<br><span class="muted">last fine: {esc(last_ok["phase"])}, '
                f"{esc(last_ok['at'])}</span>"
            )
        statuses = item["by_phase"]
        cells = "".join(
            f'<td class="phase-cell">{badge(statuses[p]) if p in statuses else ""}</td>'
            for p in phases
        )
        note = f'<br><span class="muted">{esc(item["note"])}</span>' if item["note"] else ""
        lines.append(
            f'<tr id="item-{esc(item["id"])}" data-status="{esc(item["status"])}">'
            f'<td>{esc(item["text"])}<span class="item-id">{esc(item["id"])}</span>{note}</td>'
            f'<td class="sev--{esc(item["severity"])}">{esc(item["severity"])}</td>'
            f"<td>{badge(item['status'])}</td><td>{where}</td>{cells}</tr>"
        )
    return (
        '<section id="checklist"><h2>Checklist: latest status of every item</h2>'
        '<p class="muted">Status: the latest run that judged the item. The phase columns show '
        "each phase's latest run.</p><table><thead><tr><th>Item</th><th>Severity</th>"
        f"<th>Status</th><th>Last judged</th>{head}</tr></thead>"
        f"<tbody>{''.join(lines)}</tbody></table></section>"
    )


def _table(
    title: str, anchor: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> str:
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return f'<h3 id="{anchor}">{esc(title)}</h3><p class="muted">None.</p>'
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    return (
        f'<h3 id="{anchor}">{esc(title)}</h3><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _open_items(data: Mapping[str, Any]) -> str:
    waivers = [
        (
            w.get("checklist"),
            w.get("reason"),
            w.get("by"),
            w.get("expires"),
            "EXPIRED: no longer counts" if w.get("expired") else "open",
        )
        for w in data["waivers"]
    ]
    attestations = [
        (a.get("checklist"), a.get("by"), a.get("at"), a.get("note") or "")
        for a in data["attestations"]
    ]
    not_applicable = [
        (n.get("checklist"), n.get("reason"), n.get("by") or "") for n in data["not_applicable"]
    ]
    return (
        '<section id="open-items"><h2>Waivers and attestations</h2>'
        + _table("Waivers", "waivers", ("Item", "Reason", "By", "Expires", "State"), waivers)
        + _table("Attestations", "attestations", ("Item", "By", "At", "Note"), attestations)
        + _table("Not applicable", "not-applicable", ("Item", "Reason", "By"), not_applicable)
        + "</section>"
    )


def _comparison(data: Mapping[str, Any]) -> str:
    history = data.get("history") or {}
    found = history.get("comparison")
    if not found:
        why = (
            f"no earlier release in the history directory {history.get('dir')}"
            if history.get("dir")
            else "no history directory given (--history DIR or [tool.pytest_release.history] dir)"
        )
        return (
            '<section id="comparison"><h2>Compared with the previous release</h2>'
            f'<p class="muted">Nothing to compare: {esc(why)}.</p></section>'
        )
    changes = ("Item", "Severity", "Before", "Now", "Judged in")
    regressed = [
        (c["id"] + ": " + c["text"], c["severity"], c["before"], c["now"], c["phase"] or "")
        for c in found["regressed"]
    ]
    fixed = [
        (c["id"] + ": " + c["text"], c["severity"], c["before"], c["now"], c["phase"] or "")
        for c in found["fixed"]
    ]
    failures = [
        (f["nodeid"], f["phase"], f["outcome"], f["message"] or "") for f in found["new_failures"]
    ]
    figures = "".join(
        f"<tr><td>{esc(f['name'])}</td><td>{esc(_number(f['before'], f['unit']))}</td>"
        f"<td>{esc(_number(f['now'], f['unit']))}</td><td>{esc(_ratio(f['ratio']))}</td>"
        f"<td>{esc(f['better'])} is better</td><td>{badge(f['assessment'])}</td></tr>"
        for f in found["performance"]
    )
    performance = (
        "<table><thead><tr><th>Figure</th><th>Previous</th><th>Now</th><th>Ratio</th>"
        f"<th></th><th>Assessment</th></tr></thead><tbody>{figures}</tbody></table>"
        if figures
        else '<p class="muted">No performance figures recorded in these runs.</p>'
    )
    return (
        '<section id="comparison"><h2>Compared with the previous release</h2>'
        f"<p>Previous release <strong>{esc(found['previous_version'])}</strong>, verdict "
        f"{badge(found['previous_verdict'])}: {len(found['regressed'])} item(s) regressed, "
        f"{len(found['fixed'])} fixed, {len(found['new_failures'])} new failing test(s).</p>"
        + _table("Regressed items", "regressed", changes, regressed)
        + _table("New failures", "new-failures", ("Test", "Phase", "Outcome", "Message"), failures)
        + _table("Fixed items", "fixed", changes, fixed)
        + f'<h3 id="performance">Performance figures</h3>{performance}</section>'
    )


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}×"


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.4g}"
    return f"{text} {unit}".strip()


def _runs(data: Mapping[str, Any]) -> str:
    lines = []
    for run in data["runs"]:
        counts = ", ".join(f"{n} {STATUS_WORDS.get(s, s)}" for s, n in run["counts"].items() if n)
        reasons = "; ".join(f"{r['rule']}: {r['detail']}" for r in run["verdict_reasons"])
        css = ' class="superseded"' if run["superseded"] else ""
        lines.append(
            f'<tr id="run-{run["index"]}"{css}><td>{esc(run["phase"])}'
            f"{' (superseded)' if run['superseded'] else ''}</td>"
            f"<td><code>{esc(run['markexpr'])}</code></td><td>{esc(run['started'])}<br>"
            f"{esc(run['duration_s'])} s</td><td>{badge(run['verdict'])}<br>{esc(reasons)}</td>"
            f"<td>{esc(counts)}</td><td>{esc(run['file'])}<br>"
            f"<code>sha256 {esc(run['sha256'][:16])}…</code></td></tr>"
        )
    return (
        '<section id="runs"><h2>Runs merged</h2><table><thead><tr><th>Phase</th><th>-m</th>'
        "<th>Started</th><th>Verdict</th><th>Items</th><th>results.json</th></tr></thead>"
        f"<tbody>{''.join(lines)}</tbody></table></section>"
    )
