"""Maintenance mode as users and operators see it: pages, status page, banner, ops endpoints.

While maintenance is on, pages answer 503 with Retry-After and a maintenance page, while
``/healthz``, ``/status`` and ``/version`` keep answering and ``/status`` says
"maintenance". Before the window, a site banner announces it. After go-live, pages answer
again and ``/status`` says "operational".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from pytest_release.probes.findings import CheckResult, Finding, FindingStatus
from pytest_release.probes.schedule import Window

OK, PROBLEM, UNCHECKED = FindingStatus.OK, FindingStatus.PROBLEM, FindingStatus.NOT_CHECKED
OPS_PATHS = ("/healthz", "/status", "/version")
_BANNER = re.compile(r'class="[^"]*\bsite-banner\b[^"]*"(.*?)</div>', re.S)
_TIME = r'<time[^>]*class="[^"]*\b{cls}\b[^"]*"[^>]*datetime="([^"]+)"'


def read_status(client: httpx.Client) -> dict[str, Any] | None:
    """The JSON of /status, or None when it does not answer with a JSON object."""
    try:
        response = client.get("/status")
        data = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def in_maintenance(client: httpx.Client) -> bool | None:
    """True/False from /status; None when the status page does not say."""
    status = read_status(client)
    if status is None or "status" not in status:
        return None
    return str(status["status"]).lower() == "maintenance"


def _get(client: httpx.Client, path: str) -> httpx.Response | str:
    try:
        return client.get(path)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"


def check_enabled(client: httpx.Client, pages: Sequence[str]) -> CheckResult:
    """Maintenance mode is on and behaves: 503 + Retry-After + page; ops endpoints answer."""
    findings: list[Finding] = []
    status = read_status(client)
    if status is None:
        findings.append(Finding("/status", PROBLEM, "does not answer with JSON during maintenance"))
    elif str(status.get("status")).lower() != "maintenance":
        findings.append(
            Finding(
                "/status",
                PROBLEM,
                f"says {status.get('status')!r}, not 'maintenance': switch maintenance mode on "
                "(`pytest-release maintenance on`) or update the status page",
            )
        )
    else:
        findings.append(Finding("/status", OK, f"maintenance: {status.get('message', '')}"))
    for page in pages:
        answer = _get(client, page)
        if isinstance(answer, str):
            findings.append(Finding(page, PROBLEM, f"no answer: {answer}"))
            continue
        if answer.status_code != 503:
            findings.append(
                Finding(
                    page,
                    PROBLEM,
                    f"answers {answer.status_code}, not 503: users still reach the site while "
                    "it is being changed; enable maintenance mode",
                )
            )
            continue
        if "retry-after" not in answer.headers:
            findings.append(
                Finding(page, PROBLEM, "503 without Retry-After: add it so clients know when")
            )
        elif "maintenance" not in answer.text.lower():
            findings.append(
                Finding(page, PROBLEM, "503 but the body is not a maintenance page users can read")
            )
        else:
            findings.append(
                Finding(page, OK, f"503, Retry-After {answer.headers['retry-after']} s")
            )
    for path in OPS_PATHS:
        answer = _get(client, path)
        if isinstance(answer, str) or answer.status_code >= 500:
            detail = answer if isinstance(answer, str) else f"answers {answer.status_code}"
            findings.append(
                Finding(
                    path,
                    PROBLEM,
                    f"{detail} during maintenance: exempt it from the maintenance page, "
                    "operators need it now",
                )
            )
        else:
            findings.append(Finding(path, OK, f"answers {answer.status_code}"))
    return CheckResult(
        "maintenance mode enabled", client.base_url.host or "target", tuple(findings)
    )


def check_disabled(client: httpx.Client, pages: Sequence[str]) -> CheckResult:
    """Maintenance mode is off: pages answer, the status page says operational."""
    findings: list[Finding] = []
    status = read_status(client)
    if status is None:
        findings.append(Finding("/status", UNCHECKED, "no JSON status page to read"))
    elif str(status.get("status")).lower() != "operational":
        findings.append(
            Finding(
                "/status",
                PROBLEM,
                f"says {status.get('status')!r}, not 'operational': maintenance mode is still on; "
                "switch it off (`pytest-release maintenance off`) and update the status page",
            )
        )
    else:
        findings.append(Finding("/status", OK, "operational"))
    for page in pages:
        answer = _get(client, page)
        if isinstance(answer, str):
            findings.append(Finding(page, PROBLEM, f"no answer: {answer}"))
        elif answer.status_code == 503:
            findings.append(
                Finding(
                    page,
                    PROBLEM,
                    "still answers 503 (maintenance page): users cannot use the site; "
                    "disable maintenance mode",
                )
            )
        elif answer.status_code >= 400:
            findings.append(Finding(page, PROBLEM, f"answers {answer.status_code}"))
        else:
            findings.append(Finding(page, OK, f"answers {answer.status_code}"))
    return CheckResult(
        "maintenance mode disabled", client.base_url.host or "target", tuple(findings)
    )


def banner_window(html: str) -> tuple[datetime, datetime] | None:
    """The window a ``.site-banner`` announces (its window-start/window-end times), if any."""
    match = _BANNER.search(html)
    if match is None:
        return None
    start = re.search(_TIME.format(cls="window-start"), match.group(1))
    end = re.search(_TIME.format(cls="window-end"), match.group(1))
    if start is None or end is None:
        return None
    try:
        return datetime.fromisoformat(start.group(1)), datetime.fromisoformat(end.group(1))
    except ValueError:
        return None


def check_notified(
    client: httpx.Client, window: Window | None, now: datetime, page: str = "/"
) -> CheckResult:
    """Users were told: the banner announces the window (before it), the status page says so."""
    findings: list[Finding] = []
    status = read_status(client)
    during = window is not None and window.contains(now)
    if status is not None and str(status.get("status")).lower() == "maintenance":
        findings.append(Finding("status page", OK, f"maintenance: {status.get('message', '')}"))
    elif status is not None and isinstance(status.get("window"), dict):
        findings.append(Finding("status page", OK, f"announces {status['window']}"))
    else:
        findings.append(
            Finding(
                "status page",
                PROBLEM,
                "/status neither announces the window nor says 'maintenance': "
                "announce it (`pytest-release maintenance announce --start ... --end ...`)",
            )
        )
    if not during:
        answer = _get(client, page)
        html = "" if isinstance(answer, str) else answer.text
        shown = banner_window(html)
        if shown is None:
            findings.append(
                Finding(
                    f"banner on {page}",
                    PROBLEM,
                    "no .site-banner with the window's start and end: announce the maintenance "
                    "window on the site before it starts",
                )
            )
        elif window is not None and (shown[0] > window.start or shown[1] < window.end):
            findings.append(
                Finding(
                    f"banner on {page}",
                    PROBLEM,
                    f"announces {shown[0].isoformat()} to {shown[1].isoformat()}, which does "
                    f"not cover the scheduled window {window.start.isoformat()} to "
                    f"{window.end.isoformat()}: correct the announcement",
                )
            )
        else:
            findings.append(
                Finding(
                    f"banner on {page}", OK, f"{shown[0].isoformat()} to {shown[1].isoformat()}"
                )
            )
    return CheckResult("users notified", client.base_url.host or "target", tuple(findings))
