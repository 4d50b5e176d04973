"""Open critical bugs, from a tracker export (JSON or CSV) or the GitHub issues API.

Which bugs are critical is the team's mapping, not ours: a severity field value or a label
from the configured lists makes a bug critical; a state outside ``closed_states`` keeps it
open. An export older than ``max_age_hours`` says nothing about tonight, so it is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pytest_release.config_table import Table
from pytest_release.settings import ConfigError

DEFAULT_CRITICAL_LABELS = ("critical", "severity: critical", "severity/critical", "blocker", "p0")
DEFAULT_CRITICAL_SEVERITIES = ("critical", "blocker", "p0", "s1", "highest")
DEFAULT_CLOSED_STATES = (
    "closed", "resolved", "done", "fixed", "verified", "released",
    "won't fix", "wontfix", "duplicate", "invalid", "rejected", "cancelled",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BugsConfig:
    """``[tool.pytest_release.predeploy.bugs]``: one source and the severity mapping."""

    source: Path | None = None
    github_repo: str | None = None
    github_api: str = "https://api.github.com"
    token_env: str = "GITHUB_TOKEN"
    critical_labels: tuple[str, ...] = DEFAULT_CRITICAL_LABELS
    critical_severities: tuple[str, ...] = DEFAULT_CRITICAL_SEVERITIES
    severity_field: str = "severity"
    state_field: str = "state"
    labels_field: str = "labels"
    closed_states: tuple[str, ...] = DEFAULT_CLOSED_STATES
    max_age_hours: float = 24.0

    @property
    def configured(self) -> bool:
        return self.source is not None or self.github_repo is not None


def bugs_config(table: Table) -> BugsConfig:
    repo = table.optional_text("github_repo")
    if repo is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise ConfigError(f"{table.name} github_repo = {repo!r}: write it as 'owner/name'")
    config = BugsConfig(
        source=table.path("source"),
        github_repo=repo,
        github_api=table.text("github_api", "https://api.github.com").rstrip("/"),
        token_env=table.text("token_env", "GITHUB_TOKEN"),
        critical_labels=table.texts("critical_labels", DEFAULT_CRITICAL_LABELS),
        critical_severities=table.texts("critical_severities", DEFAULT_CRITICAL_SEVERITIES),
        severity_field=table.text("severity_field", "severity"),
        state_field=table.text("state_field", "state"),
        labels_field=table.text("labels_field", "labels"),
        closed_states=table.texts("closed_states", DEFAULT_CLOSED_STATES),
        max_age_hours=table.number("max_age_hours", 24.0),
    )
    if config.source is not None and config.github_repo is not None:
        raise ConfigError(f"{table.name}: set either source or github_repo, not both")
    return config


class BugSourceError(RuntimeError):
    """The bug source could not be read; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Bug:
    key: str
    title: str
    state: str
    severity: str
    labels: tuple[str, ...]
    url: str = ""


@dataclass(frozen=True, slots=True)
class BugsResult:
    """Every bug read and the open critical ones among them."""

    source: str
    total: int
    open_critical: tuple[Bug, ...]
    why: Mapping[str, str]  # bug key -> what made it critical

    def evidence(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "bugs_read": self.total,
            "open_critical": [
                {
                    "key": b.key,
                    "title": b.title,
                    "state": b.state,
                    "why": self.why[b.key],
                    "url": b.url,
                }
                for b in self.open_critical
            ],
        }


def _labels(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in re.split(r"[;,|]", value) if v.strip())
    if isinstance(value, Iterable):
        out = []
        for label in value:
            name = label.get("name") if isinstance(label, Mapping) else label
            if name:
                out.append(str(name))
        return tuple(out)
    return ()


def to_bug(row: Mapping[str, Any], config: BugsConfig) -> Bug:
    """One exported row (JSON object or CSV row) as a Bug."""
    key = next(
        (str(row[k]) for k in ("key", "number", "id", "ID", "Key", "Issue key") if row.get(k)), "?"
    )
    title = next((str(row[k]) for k in ("title", "summary", "Summary", "Title") if row.get(k)), "")
    return Bug(
        key=key,
        title=title,
        state=str(row.get(config.state_field) or "open"),
        severity=str(row.get(config.severity_field) or ""),
        labels=_labels(row.get(config.labels_field)),
        url=str(row.get("html_url") or row.get("url") or ""),
    )


def critical_reason(bug: Bug, config: BugsConfig) -> str | None:
    """Why this bug counts as an open critical one, or None."""
    if bug.state.strip().lower() in {s.lower() for s in config.closed_states}:
        return None
    if bug.severity.strip().lower() in {s.lower() for s in config.critical_severities}:
        return f"{config.severity_field} = {bug.severity}"
    wanted = {label.lower() for label in config.critical_labels}
    label = next((lb for lb in bug.labels if lb.strip().lower() in wanted), None)
    return f"label {label!r}" if label else None


def read_export(path: Path) -> list[Mapping[str, Any]]:
    """Rows of a JSON (a list, or an object with an issues/bugs/items list) or CSV export."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BugSourceError(f"cannot read the bug export {path}: {exc.strerror or exc}") from exc
    if path.suffix.lower() == ".csv":
        return list(csv.DictReader(io.StringIO(text)))
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BugSourceError(f"the bug export {path} is not valid JSON: {exc}") from exc
    if isinstance(data, Mapping):
        data = next(
            (data[k] for k in ("issues", "bugs", "items", "data") if isinstance(data.get(k), list)),
            None,
        )
    if not isinstance(data, list) or not all(isinstance(row, Mapping) for row in data):
        raise BugSourceError(
            f"the bug export {path} is not a list of bug objects "
            "(or an object with an 'issues' list)"
        )
    return data


def github_issues(
    config: BugsConfig, token: str, client: httpx.Client | None = None
) -> list[Mapping[str, Any]]:
    """Open issues of the repository (pull requests left out), every page."""
    own = client is None
    http = client or httpx.Client(timeout=20.0)
    url: str | None = (
        f"{config.github_api}/repos/{config.github_repo}/issues?state=open&per_page=100"
    )
    rows: list[Mapping[str, Any]] = []
    try:
        while url is not None and len(rows) < 10_000:
            try:
                response = http.get(
                    url,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Accept": "application/vnd.github+json",
                        "X-GitHub-Api-Version": "2022-11-28",
                    },
                )
            except httpx.HTTPError as exc:
                raise BugSourceError(
                    f"the GitHub API did not answer: {type(exc).__name__}: {exc}"
                ) from exc
            if response.status_code != 200:
                raise BugSourceError(
                    f"the GitHub API answered {response.status_code} for the issues of "
                    f"{config.github_repo} "
                    f"({response.text[:200]}): check the token in ${config.token_env} "
                    "and the repository name"
                )
            rows.extend(
                i for i in response.json() if isinstance(i, Mapping) and "pull_request" not in i
            )
            url = response.links.get("next", {}).get("url")
    finally:
        if own:
            http.close()
    return rows


def check_bugs(
    config: BugsConfig,
    now: dt.datetime | None = None,
    environ: Mapping[str, str] = os.environ,
    client: httpx.Client | None = None,
) -> BugsResult:
    """Read the configured source and pick the open critical bugs."""
    if config.source is not None:
        if not config.source.is_file():
            raise BugSourceError(
                f"the bug export {config.source} does not exist: export it from the tracker first"
            )
        age_h = (
            (now or dt.datetime.now(dt.UTC)).timestamp() - config.source.stat().st_mtime
        ) / 3600
        if age_h > config.max_age_hours:
            raise BugSourceError(
                f"the bug export {config.source} is {age_h:.0f} h old "
                f"(limit {config.max_age_hours:g} h): "
                "export the open bugs again tonight"
            )
        rows = read_export(config.source)
        source = str(config.source)
    elif config.github_repo is not None:
        token = environ.get(config.token_env, "")
        if not token:
            raise BugSourceError(
                f"github_repo is set but ${config.token_env} is empty: "
                "export a token that can read issues"
            )
        rows = github_issues(config, token, client)
        source = f"{config.github_api}/repos/{config.github_repo}/issues"
    else:
        raise BugSourceError("no bug source is configured")
    bugs = [to_bug(row, config) for row in rows]
    why = {b.key: reason for b in bugs if (reason := critical_reason(b, config))}
    return BugsResult(source, len(bugs), tuple(b for b in bugs if b.key in why), why)
