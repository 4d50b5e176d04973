"""A probe's CheckResult as a test outcome: evidence always, INCONCLUSIVE when unchecked."""

from __future__ import annotations

from pytest_release.evidence import EvidenceRecorder, safe_name
from pytest_release.outcomes import inconclusive
from pytest_release.probes.findings import CheckResult


def record(result: CheckResult, evidence: EvidenceRecorder) -> CheckResult:
    """Attach the findings (and the screenshot); stop INCONCLUSIVE if parts went unchecked.

    A result with problems is returned for the test to assert on: a definite failure
    outranks missing evidence.
    """
    name = safe_name(result.check.lower().replace(" ", "-"), 60)
    evidence.attach(name, result.to_json(), "json")
    if result.screenshot is not None:
        evidence.attach(f"screenshot-{safe_name(result.subject, 60)}", result.screenshot, "png")
    if not result.problems and result.not_checked:
        inconclusive(result.inconclusive_reason())
    return result


def record_all(results: list[CheckResult], evidence: EvidenceRecorder) -> list[CheckResult]:
    """Attach every result; return the failed ones (INCONCLUSIVE if none failed but some
    parts went unchecked)."""
    for result in results:
        name = safe_name(f"{result.check}-{result.subject}".lower().replace(" ", "-"), 80)
        evidence.attach(name, result.to_json(), "json")
    failed = [r for r in results if r.failed]
    unchecked = [r for r in results if r.not_checked]
    if not failed and unchecked:
        inconclusive("; ".join(r.inconclusive_reason() for r in unchecked))
    return failed
