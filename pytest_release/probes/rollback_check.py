"""After a rollback: the previous release is live, the data is the backup's, users were told.

The maintenance history comes from the application's log (``maintenance-changed`` events),
so a check run after the rollback can still tell whether users saw the maintenance page
during it, and what it said.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import httpx

from pytest_release.probes.backup_check import Backup, check_restores
from pytest_release.probes.deploy_state import read_json
from pytest_release.probes.findings import CheckResult, Finding, FindingStatus
from pytest_release.probes.logs import LogEntry

OK, PROBLEM, UNCHECKED = FindingStatus.OK, FindingStatus.PROBLEM, FindingStatus.NOT_CHECKED
MAINTENANCE_EVENT = "maintenance-changed"


def maintenance_events(entries: Sequence[LogEntry], since: datetime | None) -> list[LogEntry]:
    """The log's maintenance switches (on and off) since ``since``."""
    return [
        e
        for e in entries
        if e.data is not None
        and e.data.get("event") == MAINTENANCE_EVENT
        and (since is None or e.when is None or e.when >= since)
    ]


def check_maintenance_during(entries: Sequence[LogEntry], since: datetime | None) -> CheckResult:
    """Maintenance mode was switched on after ``since`` (the rollback began)."""
    events = [e for e in maintenance_events(entries, since) if (e.data or {}).get("enabled")]
    when = f"since {since:%Y-%m-%d %H:%M:%S %Z}" if since else "in the log"
    if not events:
        finding = Finding(
            "maintenance during rollback",
            PROBLEM,
            f"no maintenance-changed (enabled) event {when}: users reached the site while it "
            "was rolled back; switch maintenance mode on before restoring",
        )
    else:
        data = events[0].data or {}
        finding = Finding(
            "maintenance during rollback",
            OK,
            f"on at {data.get('timestamp')}: {data.get('message')!r}",
        )
    return CheckResult("maintenance during rollback", "log", (finding,))


def check_users_notified(
    client: httpx.Client, entries: Sequence[LogEntry], since: datetime | None
) -> CheckResult:
    """Users were told: a maintenance message was shown during the rollback, /status answers."""
    findings: list[Finding] = []
    shown = [
        (e.data or {}).get("message")
        for e in maintenance_events(entries, since)
        if (e.data or {}).get("enabled")
    ]
    if shown and shown[0]:
        findings.append(Finding("message shown", OK, str(shown[0])))
    else:
        findings.append(
            Finding(
                "message shown",
                PROBLEM,
                "no maintenance message was shown during the rollback: tell users what "
                'happened (`pytest-release maintenance on --message "..."`)',
            )
        )
    status = read_json(client, "/status")
    if isinstance(status, str):
        findings.append(Finding("/status", PROBLEM, status))
    else:
        findings.append(Finding("/status", OK, f"{status.get('status')}: {status.get('message')}"))
    return CheckResult("users notified of the rollback", "status page", tuple(findings))


def check_database_restored(backup: Backup, database_url: str | None) -> CheckResult:
    """The live database has the backup's schema and has lost none of its rows."""
    result = check_restores(backup, database_url)
    return CheckResult("database restored", result.subject, result.findings)


def check_rolled_back(
    client: httpx.Client, previous: str | None, pages: Sequence[str]
) -> CheckResult:
    """The previous version is live, healthy, and its pages answer."""
    findings: list[Finding] = []
    version = read_json(client, "/version")
    if previous is None:
        findings.append(
            Finding(
                "/version",
                UNCHECKED,
                "the previous release is unknown: set [tool.pytest_release.deploy] "
                "previous_version or PYTEST_RELEASE_PREVIOUS_VERSION",
            )
        )
    elif isinstance(version, str):
        findings.append(Finding("/version", PROBLEM, version))
    elif str(version.get("version")) != previous:
        findings.append(
            Finding(
                "/version",
                PROBLEM,
                f"live version is {version.get('version')!r}, not the previous release "
                f"{previous!r}: the rollback did not restore the code; redeploy {previous}",
            )
        )
    else:
        findings.append(Finding("/version", OK, f"previous release {previous} is live"))
    health = read_json(client, "/healthz")
    if isinstance(health, str) or health.get("status") != "ok":
        detail = health if isinstance(health, str) else f"status {health.get('status')!r}"
        findings.append(
            Finding("/healthz", PROBLEM, f"{detail}: the rolled-back service is not healthy")
        )
    else:
        findings.append(Finding("/healthz", OK, "ok"))
    for page in pages:
        try:
            code = client.get(page).status_code
        except httpx.HTTPError as exc:
            findings.append(Finding(page, PROBLEM, f"no answer ({type(exc).__name__})"))
            continue
        status = OK if code < 400 else PROBLEM
        findings.append(Finding(page, status, f"answers {code}"))
    return CheckResult("rollback verified", str(client.base_url), tuple(findings))
