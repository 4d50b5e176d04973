"""Backup system is in place: a schedule exists and the newest backup is fresh and not empty.

``[tool.pytest_release.predeploy.backup]``: ``dir`` and ``pattern`` of the backups,
``max_age_hours`` (default 26), ``min_size_bytes``, ``schedule`` (files such as
``/etc/cron.d/app-backup``) and ``schedule_contains`` (the backup command they must run).
"""

from __future__ import annotations

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import area_config
from pytest_release.probes.backup_system import backup_config, check_backups


@pytest.mark.checklist("pre.environment.backup-system")
def test_backup_system_in_place(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    config = area_config(request.config, "backup", backup_config)
    if not config.configured:
        inconclusive(
            "no backup location or schedule is configured: set dir (where backups land) and "
            "schedule (the cron entry or timer) in [tool.pytest_release.predeploy.backup]"
        )
    result = check_backups(config)
    evidence.attach("backups", result.evidence(), "json")
    if result.problems:
        pytest.fail("\n".join(result.problems), pytrace=False)
