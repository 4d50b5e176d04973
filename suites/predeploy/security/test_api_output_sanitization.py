"""Output sanitization is implemented: program output full of HTML/JS stays text.

The run API must return it as data (JSON); the page, in real Chromium, must show it as
text: no element injected, no script run, no template evaluated. The same program also
fails with a payload in its error, so the error path is covered.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import pytest

from pytest_release.api_hardening import contract_for, fail_lines, hardening_for
from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.browser.example_page import ExamplePage
from pytest_release.probes.browser.log import BrowserLog
from pytest_release.probes.lanes import Lane, lane_client
from pytest_release.probes.sandbox.snippets import Snippets, snippets_for
from pytest_release.probes.sanitization import (
    SanitizationResult,
    check_output_api,
    check_output_page,
    install_tripwires,
)
from pytest_release.target import Target

if TYPE_CHECKING:
    from playwright.sync_api import Page

ITEM = "pre.security.output-sanitization"
FIX = (
    "treat program output as text everywhere: JSON in the API, textContent (never innerHTML) "
    "in the page, and a CSP without 'unsafe-inline' as the second line of defence"
)


def _snippets(request: pytest.FixtureRequest) -> Snippets:
    settings = hardening_for(request.config)
    found = snippets_for(settings.languages)
    if not found:
        inconclusive(f"no probe programs for {', '.join(settings.languages)}")
    return next(iter(found.values()))


def _judge(result: SanitizationResult, evidence: EvidenceRecorder, what: str) -> None:
    evidence.attach(f"output-sanitization-{result.where}", result.evidence(), "json")
    if result.problems:
        fail_lines(f"program output is not treated as text {what}", list(result.problems), FIX)
    if result.unchecked:
        inconclusive("; ".join(result.unchecked))


@pytest.mark.checklist(ITEM)
def test_api_returns_output_as_data(
    request: pytest.FixtureRequest, target: Target, evidence: EvidenceRecorder
) -> None:
    settings = hardening_for(request.config)
    if not settings.on("api-output"):
        pytest.skip("api-output is disabled in [tool.pytest_release.sandbox]")
    snippets = _snippets(request)
    with lane_client(target.url, Lane.SANITIZATION, enabled=settings.loopback_lanes) as client:
        result = check_output_api(client, settings.run_path, snippets, secrets.token_hex(4))
    _judge(result, evidence, "in the API answer")


@pytest.mark.checklist(ITEM)
def test_page_shows_output_as_text(
    request: pytest.FixtureRequest,
    target: Target,
    release_page: Page,
    release_log: BrowserLog,
    evidence: EvidenceRecorder,
) -> None:
    settings = hardening_for(request.config)
    if not settings.on("page-output"):
        pytest.skip("page-output is disabled in [tool.pytest_release.sandbox]")
    snippets = _snippets(request)
    contract = contract_for(request.config)
    page_path = settings.sanitization.page or contract.pages.paths[0]
    fired = install_tripwires(release_page)
    release_page.goto(target.join(page_path), wait_until="load")
    s = contract.selectors
    found = release_page.evaluate(
        """(a) => Array.from(document.querySelectorAll(a.example)).map((root) => {
            const box = root.querySelector(a.editor);
            return [root.getAttribute(a.idAttr), box ? box.getAttribute(a.langAttr) : null];
        })""",
        {
            "example": s.example,
            "editor": s.editor,
            "idAttr": s.example_id_attribute,
            "langAttr": s.language_attribute,
        },
    )
    ids = [str(i) for i, language in found if language == snippets.language and i]
    if not ids:
        inconclusive(f"no {snippets.language} example on {page_path} to run the payloads in")
    view = ExamplePage(release_page, contract, ids[0], release_log)
    result = check_output_page(
        view,
        target.join(page_path),
        snippets,
        secrets.token_hex(4),
        timeout_s=contract.pages.ready_timeout_s,
        fired=fired,
    )
    shot = view.screenshot()
    if shot:
        evidence.attach("output-sanitization-example", shot, "png")
    _judge(result, evidence, "on the page")
