"""An MDN HTTP Observatory-compatible grader for HTTP security headers.

`analyze()` grades responses you already have (pure and fast); `scan()` fetches them
with an httpx client first. The rules, result ids and score table are those of the
MDN HTTP Observatory, ALGORITHM_VERSION 6 (mdn/mdn-http-observatory, MPL-2.0).
"""

from __future__ import annotations

from pytest_release.probes.headers.analyzer import analyze, analyze_csp_only
from pytest_release.probes.headers.csp import CspAnalysis, CspFlags
from pytest_release.probes.headers.grading import (
    GRADES,
    MINIMUM_SCORE_FOR_EXTRA_CREDIT,
    SCORE_TABLE,
    grade_at_least,
    grade_for_score,
    score_modifier,
    total_score,
)
from pytest_release.probes.headers.model import (
    ALGORITHM_VERSION,
    OBSERVATORY_ORIGIN,
    CheckResult,
    PreloadEntry,
    Redirect,
    Report,
    Result,
    ScanContext,
    TestName,
    status_is_gradeable,
)
from pytest_release.probes.headers.scan import ScanError, scan

__all__ = [
    "ALGORITHM_VERSION",
    "GRADES",
    "MINIMUM_SCORE_FOR_EXTRA_CREDIT",
    "OBSERVATORY_ORIGIN",
    "SCORE_TABLE",
    "CheckResult",
    "CspAnalysis",
    "CspFlags",
    "PreloadEntry",
    "Redirect",
    "Report",
    "Result",
    "ScanContext",
    "ScanError",
    "TestName",
    "analyze",
    "analyze_csp_only",
    "grade_at_least",
    "grade_for_score",
    "scan",
    "score_modifier",
    "status_is_gradeable",
    "total_score",
]
