"""Post-deployment monitoring suite (`pytest -m "postdeploy and monitoring"`)."""

from __future__ import annotations

from pytest_release.ops_fixtures import *  # noqa: F403  (the operations fixtures)
