"""Sandbox isolation is effective: one test per escape, each tried in every language.

The whole probe pack (``pytest_release.probes.sandbox``) runs once per module, probes side
by side where they do not interfere; each test then judges one probe across the languages
and attaches the code it sent, the answers and the timing. Configure languages, limits and
the probe list in ``[tool.pytest_release.sandbox]``.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_release.api_hardening import fail_lines, hardening_for
from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.sandbox import PackPlan, PackReport, Verdict, run_sandbox_pack
from pytest_release.probes.sandbox.judge import SPECS
from pytest_release.sandbox_settings import SANDBOX_PROBES
from pytest_release.settings import ConfigError
from pytest_release.target import Target

ITEM = "post.security.sandbox-isolation"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "probe" not in metafunc.fixturenames:
        return
    try:
        settings = hardening_for(metafunc.config)
        chosen = [p for p in SANDBOX_PROBES if settings.on(p)]
    except (ConfigError, KeyError, pytest.fail.Exception):
        chosen = list(SANDBOX_PROBES)  # the fixture reports the bad setting
    metafunc.parametrize("probe", chosen)


@pytest.fixture(scope="module")
def sandbox_pack(request: pytest.FixtureRequest, target: Target) -> PackReport:
    settings = hardening_for(request.config)
    plan = PackPlan(
        base_url=target.url,
        run_path=settings.run_path,
        health_path=settings.health_path,
        languages=settings.languages,
        probes=tuple(p for p in SANDBOX_PROBES if settings.on(p)),
        expect=settings.expect,
        app_paths=settings.app_paths,
        concurrency=settings.concurrency,
        loopback_lanes=settings.loopback_lanes,
    )
    return run_sandbox_pack(plan)


@pytest.mark.checklist(ITEM)
def test_sandbox_confines(probe: str, sandbox_pack: PackReport, evidence: EvidenceRecorder) -> None:
    spec = SPECS[probe]
    results = sandbox_pack.for_probe(probe)
    record: dict[str, Any] = {
        "probe": probe,
        "expected": spec.title,
        "results": [r.evidence() for r in results],
    }
    if probe == "server-health":
        record["pack"] = sandbox_pack.summary()
    evidence.attach(f"sandbox-{probe}", record, "json")
    escaped = [r.line() for r in results if r.verdict is Verdict.ESCAPED]
    if escaped:
        fail_lines(f"sandbox escape ({spec.title})", escaped, f"fix: {spec.fix}")
    unclear = [r.line() for r in results if r.verdict is Verdict.INCONCLUSIVE]
    if unclear:
        inconclusive(f"sandbox probe {probe} could not judge: {'; '.join(unclear)}")
    if not results or all(r.verdict is Verdict.SKIPPED for r in results):
        reasons = "; ".join(r.line() for r in results) or "no language could run it"
        inconclusive(f"sandbox probe {probe} ran for no language: {reasons}")
