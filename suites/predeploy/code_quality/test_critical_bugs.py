"""No critical bugs remain open: from a tracker export or the GitHub issues API.

``[tool.pytest_release.predeploy.bugs]``: ``source`` (a JSON or CSV export, at most
``max_age_hours`` old) or ``github_repo`` with a token in ``$GITHUB_TOKEN``, plus the
mapping of what counts as critical (``critical_labels``, ``severity_field``,
``critical_severities``, ``closed_states``).
"""

from __future__ import annotations

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import area_config
from pytest_release.probes.bugs import BugSourceError, bugs_config, check_bugs


@pytest.mark.checklist("pre.code-quality.no-critical-bugs")
def test_no_open_critical_bugs(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    config = area_config(request.config, "bugs", bugs_config)
    if not config.configured:
        inconclusive(
            "no bug source is configured: set source = 'bugs.json' (a tracker export) or "
            "github_repo = 'owner/name' in [tool.pytest_release.predeploy.bugs]"
        )
    try:
        result = check_bugs(config)
    except BugSourceError as exc:
        inconclusive(f"could not read the open bugs: {exc}")
    evidence.attach("open-critical-bugs", result.evidence(), "json")
    if result.open_critical:
        lines = [
            f"{b.key} {b.title[:80]} ({result.why[b.key]}, state {b.state})"
            for b in result.open_critical
        ]
        pytest.fail(
            f"{len(lines)} critical bug(s) still open in {result.source}: fix or re-triage them "
            "before deploying\n" + "\n".join(lines[:20]),
            pytrace=False,
        )
