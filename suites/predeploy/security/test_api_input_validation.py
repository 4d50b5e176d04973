"""Input validation is thorough: every malformed request to the run API gets a 4xx JSON error.

Malformed JSON, wrong types, missing fields, unknown languages, wrong content types,
oversized bodies and code, naughty strings (BLNS, sent as data), header injection: never
a 5xx, never a stack trace. With an OpenAPI document on the target, schemathesis fuzzes
it too (``[tool.pytest_release.sandbox.validation]``). One test per kind of input.
"""

from __future__ import annotations

import pytest

from pytest_release.api_hardening import fail_lines, hardening_for
from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.lanes import Lane, lane_client
from pytest_release.probes.naughty_strings import attribution
from pytest_release.probes.schema_fuzz import SchemaReport, run_schemathesis
from pytest_release.probes.validation import (
    ValidationReport,
    build_cases,
    judge_answer,
    probe_validation,
)
from pytest_release.sandbox_settings import VALIDATION_PROBES
from pytest_release.settings import ConfigError
from pytest_release.target import Target

ITEM = "pre.security.input-validation"
FIX = (
    "validate the body before using it and answer 400/413/415 with a JSON "
    '{"error": "..."}; catch everything else in one handler that never shows a traceback'
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "kind" not in metafunc.fixturenames:
        return
    try:
        settings = hardening_for(metafunc.config)
        chosen = [p for p in VALIDATION_PROBES if settings.on(p) and p != "schemathesis"]
    except (ConfigError, KeyError, pytest.fail.Exception):
        chosen = [p for p in VALIDATION_PROBES if p != "schemathesis"]
    metafunc.parametrize("kind", chosen)


@pytest.fixture(scope="module")
def validation(request: pytest.FixtureRequest, target: Target) -> ValidationReport:
    settings = hardening_for(request.config)
    cases = build_cases(settings.languages[0], settings.max_body_bytes)
    with lane_client(target.url, Lane.VALIDATION, enabled=settings.loopback_lanes) as client:
        return probe_validation(client, settings.run_path, cases, enabled=settings.on)


@pytest.fixture(scope="module")
def schema_report(request: pytest.FixtureRequest, target: Target) -> SchemaReport:
    settings = hardening_for(request.config)
    with lane_client(target.url, Lane.SCHEMATHESIS, enabled=settings.loopback_lanes) as client:
        return run_schemathesis(
            client,
            settings.validation.openapi_paths,
            max_examples=settings.validation.max_examples,
            judge=judge_answer,
        )


@pytest.mark.checklist(ITEM)
def test_bad_input_is_refused_cleanly(
    kind: str, validation: ValidationReport, evidence: EvidenceRecorder
) -> None:
    results = [r for r in validation.results if r.case.probe == kind]
    record = {"kind": kind, "cases": [r.evidence() for r in results]}
    if kind == "naughty-strings":
        record["strings"] = attribution()
    evidence.attach(f"input-validation-{kind}", record, "json")
    problems = [f"{r.case.name}: {r.problem}" for r in results if r.problem]
    if problems:
        fail_lines(f"the run API mishandles {kind.replace('-', ' ')}", problems, FIX)
    unchecked = [f"{r.case.name}: {r.unchecked}" for r in results if r.unchecked]
    if unchecked or not results:
        inconclusive("; ".join(unchecked) or f"no {kind} case was sent")


@pytest.mark.checklist(ITEM)
def test_openapi_operations_survive_schemathesis(
    request: pytest.FixtureRequest, evidence: EvidenceRecorder
) -> None:
    if not hardening_for(request.config).on("schemathesis"):
        pytest.skip("schemathesis is disabled in [tool.pytest_release.sandbox]")
    report: SchemaReport = request.getfixturevalue("schema_report")
    evidence.attach("input-validation-schemathesis", report.evidence(), "json")
    if report.document is None:
        pytest.skip(
            f"the target publishes no OpenAPI document (looked at {', '.join(report.looked_at)})"
        )
    if report.problems:
        fail_lines("schemathesis found a bad answer", list(report.problems), FIX)
    if report.unchecked or not report.calls:
        inconclusive("; ".join(report.unchecked) or "schemathesis made no call")
