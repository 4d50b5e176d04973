"""No sensitive information is exposed: files, version banners, stack traces, secrets.

One bounded probe (``pytest_release.probes.exposure``) runs per module; each test judges
one kind of exposure so the report says which kind went wrong.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.exposure import ExposureReport, Kind, probe_exposure
from pytest_release.security_settings import settings_for
from pytest_release.target import Target, make_client

ITEM = "post.security.sensitive-information"


@pytest.fixture(scope="module")
def exposure(request: pytest.FixtureRequest, target: Target) -> Iterator[ExposureReport]:
    security = settings_for(request.config)
    with make_client(target.url) as client:
        yield probe_exposure(
            client,
            target.url,
            pages=security.pages,
            api_paths=security.api_paths,
            extra_paths=security.extra_exposed_paths,
        )


def _judge(
    report: ExposureReport, kinds: tuple[Kind, ...], evidence: EvidenceRecorder, what: str
) -> None:
    if report.answered == 0:
        inconclusive("the target answered none of the exposure probe's requests")
    found = [f for f in report.findings if f.kind in kinds]
    evidence.attach(
        what.replace(" ", "-"),
        {
            "findings": [
                {"kind": f.kind.value, "where": f.where, "what": f.what, "fix": f.fix}
                for f in found
            ],
            "requests": report.evidence()["requests"],
        },
        "json",
    )
    if found:
        lines = [f.message() for f in found]
        more = f" (+{len(lines) - 1} more below)" if len(lines) > 1 else ""
        pytest.fail(f"{what}: {lines[0]}{more}\n" + "\n".join(lines[1:]), pytrace=False)


@pytest.mark.checklist(ITEM)
def test_no_exposed_files(exposure: ExposureReport, evidence: EvidenceRecorder) -> None:
    _judge(
        exposure, (Kind.EXPOSED_PATH, Kind.SOURCE_MAP), evidence, "files that must not be served"
    )


@pytest.mark.checklist(ITEM)
def test_no_version_banners(exposure: ExposureReport, evidence: EvidenceRecorder) -> None:
    _judge(exposure, (Kind.VERSION_BANNER,), evidence, "software versions in headers")


@pytest.mark.checklist(ITEM)
def test_no_stack_traces(exposure: ExposureReport, evidence: EvidenceRecorder) -> None:
    traces = [f for f in exposure.findings if f.kind is Kind.STACK_TRACE]
    if exposure.unchecked and not traces:
        inconclusive("; ".join(exposure.unchecked))
    _judge(exposure, (Kind.STACK_TRACE,), evidence, "stack traces in error answers")


@pytest.mark.checklist(ITEM)
def test_no_secrets_in_pages(exposure: ExposureReport, evidence: EvidenceRecorder) -> None:
    _judge(exposure, (Kind.SECRET,), evidence, "secrets in pages and scripts")
