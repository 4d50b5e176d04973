"""Rollback suite (`pytest -m rollback`): re-verification after a rollback, incident record."""

from __future__ import annotations

from pytest_release.ops_fixtures import *  # noqa: F403  (the operations fixtures)
