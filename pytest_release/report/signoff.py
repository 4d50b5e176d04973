"""The sign-off table: the checklist's roles, filled from [[signoff]] entries, pending otherwise."""

from __future__ import annotations

from collections.abc import Callable

from pytest_release.report.markup import esc
from pytest_release.report.model import signoff_rows
from pytest_release.results import RunRecord

Redact = Callable[[str], str]


def render_signoff(record: RunRecord, redact: Redact) -> str:
    rows = signoff_rows(record.checklist.roles, record.attestations.signoffs)
    if not rows:
        body = (
            '<p class="rel-muted">The checklist has no sign-off table (a table with Role and '
            "Signature columns), and nobody signed.</p>"
        )
    else:
        lines = []
        for row in rows:
            if row.pending:
                lines.append(
                    f'<tr class="rel-signoff--pending" data-role="{esc(row.role)}">'
                    f"<td>{esc(row.role)}</td><td></td>"
                    '<td><span class="rel-badge rel-badge--pending">pending</span>'
                    '<span class="rel-signature-line"></span></td><td></td><td></td></tr>'
                )
                continue
            for entry in row.signoffs:
                lines.append(
                    f'<tr class="rel-signoff--signed" data-role="{esc(row.role)}">'
                    f"<td>{esc(row.role)}</td><td>{esc(redact(entry.name))}</td>"
                    '<td><span class="rel-badge rel-badge--signed">signed</span></td>'
                    f"<td>{esc(entry.date)}</td><td>{esc(redact(entry.note or ''))}</td></tr>"
                )
        body = (
            '<table class="rel-table rel-signoff__table"><thead><tr><th>Role</th><th>Name</th>'
            "<th>Signature</th><th>Date</th><th>Note</th></tr></thead>"
            f"<tbody>{''.join(lines)}</tbody></table>"
        )
    signed = sum(not r.pending for r in rows)
    return (
        '<section class="rel-signoff" id="release-signoff"><h2>Sign-off</h2>'
        f'<p>Verdict to sign: <strong class="rel-signoff__verdict">'
        f"{esc(record.verdict.decision.value)}</strong> · {signed} of {len(rows)} roles signed"
        f"{' (from ' + esc(record.attestations.path) + ')' if record.attestations.path else ''}"
        f".</p>{body}</section>"
    )
