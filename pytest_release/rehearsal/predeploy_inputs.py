"""What the pre-deployment checks need from the rehearsal, and what it cannot give them.

A team's pipeline hands ``pytest -m predeploy`` its inputs: the e2e report of the release
candidate on staging, the benchmark JSON, the database, the Redis, the backup location and
schedule, the host to scan. The rehearsal produces those for real (``staging.py``) and
writes them into ``predeploy.toml`` (``$PYTEST_RELEASE_PREDEPLOY_CONFIG``, merged over
``[tool.pytest_release.predeploy]``).

What no machine can judge here becomes an explicit entry of the rehearsal's
attestations file, by ``pytest-release rehearse``, saying what was and was not verified:
waivers that cover only an INCONCLUSIVE check (``covers = "inconclusive"``: when the check
does run, its result counts, a failure included) and expire the day after the rehearsal,
and a not-applicable entry for Redis when redis-server is not installed. The reports show
them as waived / not applicable, never as passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pytest_release.rehearsal.toml_text import array_of_tables, tables

BY = "pytest-release rehearse"
BACKUP_COMMAND_MARK = "pytest_release.cli backup create"


@dataclass(frozen=True, slots=True)
class PredeployInputs:
    """Everything the rehearsal measured or set up for the pre-deployment checks."""

    e2e_report: Path  # JUnit XML of the e2e (functionality) suite against staging
    benchmark_reports: Path  # directory of pytest-benchmark JSON files
    budgets: dict[str, dict[str, float]]
    database_url: str  # staging's database: production data migrated by the candidate
    backup_dir: Path
    backup_schedule: Path
    firewall_host: str
    allowed_ports: tuple[int, ...]
    redis_url: str | None  # None: no redis-server on this machine


def predeploy_config(inputs: PredeployInputs) -> dict[str, dict[str, Any]]:
    """The overlay tables (keys as in ``[tool.pytest_release.predeploy]``)."""
    config: dict[str, dict[str, Any]] = {
        "tests": {"e2e": {"reports": [str(inputs.e2e_report)]}},
        "benchmarks": {
            "reports": [str(inputs.benchmark_reports / "*.json")],
            "budgets": inputs.budgets,
        },
        "database": {"url": inputs.database_url},
        "backup": {
            "dir": str(inputs.backup_dir),
            "schedule": [str(inputs.backup_schedule)],
            "schedule_contains": BACKUP_COMMAND_MARK,
        },
        "firewall": {"host": inputs.firewall_host, "allowed": list(inputs.allowed_ports)},
    }
    if inputs.redis_url is not None:
        config["redis"] = {"url": inputs.redis_url}
    return config


HEADER = """\
# Written by `pytest-release rehearse`: the inputs its pipeline produced for
# `pytest -m predeploy` (merged over [tool.pytest_release.predeploy] in pyproject.toml).
# tests.e2e: the functionality suite run against the release candidate on a staging copy.
# benchmarks: benchmarks/bench_reference_requests.py run against staging; budgets from it.
# database: staging's SQLite database (production data, migrated by the release candidate).
# backup: the backups directory and the schedule whose command made the newest backup.
# firewall: loopback - the rehearsal host's common service ports; the app's port allowed.
# redis: the local redis-server the deployment caches in (absent: not applicable).
"""


def write_predeploy_config(path: Path, inputs: PredeployInputs) -> Path:
    path.write_text(HEADER + "\n" + tables(predeploy_config(inputs)), encoding="utf-8")
    return path


def write_backup_schedule(path: Path, python: str, data_dir: Path) -> tuple[str, ...]:
    """A cron entry for the nightly backup; return its command (the rehearsal runs it once)."""
    command = (python, "-m", "pytest_release.cli", "backup", "create", "--data-dir", str(data_dir))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `pytest-release rehearse`: the nightly backup of the reference deployment\n"
        "# (a real host installs its own in /etc/cron.d). The rehearsal runs this command once\n"
        "# before the pre-deployment checks, as cron would have the night before.\n"
        f"0 2 * * * app {' '.join(command)}\n",
        encoding="utf-8",
    )
    return command


def _waiver(item: str, reason: str, expires: Any) -> dict[str, Any]:
    return {"item": item, "reason": reason, "by": BY, "expires": expires, "covers": "inconclusive"}


def predeploy_entries(now: datetime, redis_missing: str | None) -> str:
    """The attestations-file entries for the pre-deployment items the rehearsal cannot judge."""
    expires = (now.astimezone(UTC) + timedelta(days=1)).date()
    waivers = [
        _waiver(
            "pre.code-quality.code-reviewed",
            "rehearsal only: NO human code review was verified. The check read git: commits "
            "since the last release tag without a merged pull request or a Reviewed-by/"
            "Approved-by trailer stay listed in its evidence; whether someone reviewed them is "
            "for a person to attest ([[attestation]] by the reviewer) before a real release.",
            expires,
        ),
        _waiver(
            "pre.code-quality.no-critical-bugs",
            "rehearsal only: NO bug list was read. The bundled reference deployment has no bug "
            "tracker; a real release sets source (a tracker export) or github_repo in "
            "[tool.pytest_release.predeploy.bugs], and open critical bugs then fail the check.",
            expires,
        ),
        _waiver(
            "pre.security.vulnerability-scan",
            "rehearsal only: when no vulnerability database can be reached (an offline machine: "
            "pip-audit then skips every package and still prints 'No known vulnerabilities "
            "found', which is NOT a pass), the dependency scan counts as not done and is "
            "accepted for this rehearsal. A scan that runs still fails on any finding.",
            expires,
        ),
        _waiver(
            "pre.security.audit",
            "rehearsal only: the audit summary may lack the components that could not be "
            "checked here (the dependency scan when offline, see "
            "pre.security.vulnerability-scan); bandit and the staging checks are in its "
            "evidence, and a failing component or an untriaged high finding still fails it.",
            expires,
        ),
    ]
    text = array_of_tables("waiver", waivers)
    if redis_missing is not None:
        text += array_of_tables(
            "not_applicable",
            [{"item": "pre.environment.redis", "reason": redis_missing, "by": BY}],
        )
    return text
