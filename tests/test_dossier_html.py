"""dossier.html opened in real Chromium, offline: no console error, no request, the facts shown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.chromium import chromium_browser
from tests.dossier_runs import FIGURES_CONFTEST, cli, run_phases, write_checks


@pytest.fixture
def chromium() -> Iterator[Any]:
    yield from chromium_browser()


def test_dossier_html_in_chromium_offline(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str], chromium: Any
) -> None:
    write_checks(project)
    project.makeconftest(FIGURES_CONFTEST.format(p95=100.0, rps=50.0))
    run_phases(project, "1.0", extra=["--history", "hist"])
    write_checks(project, home_ok=False)
    project.makeconftest(FIGURES_CONFTEST.format(p95=260.0, rps=50.0))
    runs = run_phases(project, "1.1")
    code, _, err = cli(capsys, "dossier", *runs, "--history", "hist", "-o", "out/dossier.html")
    assert code == 0, err
    dossier = project.path / "out" / "dossier.json"
    cli(capsys, "keygen", "-o", "keys/qa", "--name", "Alex", "--role", "QA Lead")
    cli(capsys, "keygen", "-o", "stranger", "--name", "Mallory")
    risk = "rolling back at 23:50 is planned; signing the record of this night"
    for role, key in (("QA Lead", "keys/qa.key"), ("Security Officer", "stranger.key")):
        code, _, err = cli(
            capsys,
            "sign",
            dossier,
            "--role",
            role,
            "--name",
            "N",
            "--key",
            key,
            "--accept-risk",
            risk,
            "--trust",
            "keys",
        )
        assert code == 0, err

    context = chromium.new_context(offline=True, viewport={"width": 1300, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    html = project.path / "out" / "dossier.html"
    page.goto(html.as_uri())
    page.wait_for_selector("#verdict")

    assert page.get_attribute("#verdict", "data-verdict") == "ROLLBACK"
    assert "critical-functionality-broken" in page.inner_text("#verdict")
    statuses = page.eval_on_selector_all(
        "#signoff tbody tr", "rows => rows.map(r => [r.dataset.role, r.dataset.status])"
    )
    assert ["QA Lead", "verified"] in statuses
    assert ["Security Officer", "invalid"] in statuses
    assert ["Project Manager", "pending"] in statuses
    assert f"Accepted risk: {risk}" in page.inner_text("#signoff")
    assert "unknown key" in page.inner_text("#signoff")
    smoke = page.locator("#timeline tbody tr", has_text="Smoke testing").inner_text()
    assert "smoke NO-GO" in smoke.replace("\n", " ")
    predeploy = page.locator("#timeline tbody tr", has_text="Pre-deployment testing").inner_text()
    assert "predeploy GO" in predeploy.replace("\n", " ")
    assert page.locator("#checklist tr[data-status='fail']").count() == 1
    assert page.locator("#item-post\\.home").get_attribute("data-status") == "fail"
    comparison = page.inner_text("#comparison")
    assert "Previous release 1.0" in comparison
    assert "post.home: Home page loads" in comparison and "2.60×" in comparison
    assert page.locator("#comparison [data-status='significantly worse']").count() == 1
    assert page.evaluate("document.scripts.length") == 0
    assert problems == []
    assert requests == [html.as_uri()]
    context.close()
