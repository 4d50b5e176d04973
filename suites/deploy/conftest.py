"""Deployment steps suite (`pytest -m deploy`): backup, maintenance, deploy, verify, go live."""

from __future__ import annotations

from pytest_release.ops_fixtures import *  # noqa: F403  (the operations fixtures)
