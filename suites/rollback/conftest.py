"""Rollback suite (`pytest -m rollback`): re-verification after a rollback, incident record."""

from __future__ import annotations

from pytest_release.ops_fixtures import (  # noqa: F401  (fixtures for this suite)
    backup_dir,
    data_dir,
    database_url,
    deploy_started,
    log_source,
    migrations_dir,
    now,
    ops_http,
    ops_settings,
    schedule_position,
    schedule_steps,
    scheduled_window,
)
