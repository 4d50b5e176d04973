"""Production server meets system requirements: CPUs, memory, free disk, runtime versions.

Measures the host the run is on: run the predeploy phase on the production host (or one
built from the same image). ``[tool.pytest_release.predeploy.system]``: ``min_cpus``,
``min_memory_mb``, ``min_disk_free_mb``, ``disk_path`` and ``runtimes`` (``python =
">=3.11"``, ``php = ">=8.1"`` or ``{command = [...], version = "..."}``).
"""

from __future__ import annotations

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.predeploy_settings import area_config
from pytest_release.probes.system import check_system, system_config


@pytest.mark.checklist("pre.environment.system-requirements")
def test_system_requirements(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    config = area_config(request.config, "system", system_config)
    result = check_system(config)
    evidence.attach("system", result.evidence(), "json")
    if result.problems:
        pytest.fail("\n".join(result.problems), pytrace=False)
