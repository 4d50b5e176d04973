"""Database is configured and optimized: reachable, version, indexes present and used, settings.

``[tool.pytest_release.predeploy.database]``: ``url`` or ``url_env`` (default
``DATABASE_URL``), ``min_version``, ``[[indexes]]`` (``table``, ``columns``, ``query``
that must use them) and ``settings`` (default: WAL for SQLite, a sane ``max_connections``
for PostgreSQL). Against the bundled reference deployment without a URL, its schema is
built by its own migrations in a scratch SQLite database and checked there.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import area_config
from pytest_release.probes.database import DatabaseUnreachable, check_database, database_config
from pytest_release.target import Target


def _reference_schema(scratch: Path) -> str:
    """A database migrated by the reference deployment's own code (pragmas included)."""
    from pytest_release.reference.db import Database

    url = f"sqlite:///{scratch / 'reference.db'}"
    database = Database(url)
    try:
        database.upgrade()
        database.ping()  # the connect hook sets the pragmas the app runs with
    finally:
        database.dispose()
    return url


@pytest.mark.checklist("pre.environment.database")
def test_database_configured(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    config = area_config(request.config, "database", database_config)
    url = config.url or os.environ.get(config.url_env)
    with tempfile.TemporaryDirectory(prefix="pytest-release-db-") as scratch:
        source = "configured"
        if not url:
            target: Target = request.getfixturevalue("target")
            if not target.reference:
                inconclusive(
                    f"no database URL: set url or ${config.url_env} in "
                    "[tool.pytest_release.predeploy.database] to check the production database"
                )
            url, source = _reference_schema(Path(scratch)), "reference deployment's migrations"
        try:
            result = check_database(config, url)
        except DatabaseUnreachable as exc:
            pytest.fail(
                f"the database is not reachable: {exc}; check the URL, the server and the "
                "credentials",
                pytrace=False,
            )
    evidence.attach("database", {"source": source, **result.evidence()}, "json")
    if result.problems:
        pytest.fail("\n".join(result.problems), pytrace=False)
