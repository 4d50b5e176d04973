"""report.html rendered from real runs and opened in real Chromium (Playwright).

Checks what a reviewer relies on: the verdict banner and its criterion, the checklist table
with the right counts, links that land, evidence that shows, no console errors and no request
leaving the file; and that no secret reaches any file under the report dir.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_release.report.attachments import Attachments, Budget
from pytest_release.report.redaction import ReportRedactor
from tests.chromium import chromium_browser
from tests.conftest import SEED_CHECKLIST, results


def png(width: int = 64, height: int = 40, seed: int = 1) -> bytes:
    """A real PNG (RGB, a colour ramp), written without any imaging library."""
    rows = b"".join(
        b"\x00" + bytes(((x * 5 + y * 3 + seed * 17) % 256) for x in range(width * 3))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


SEED_TESTS = """
import pathlib
import pytest

PNG = pathlib.Path("screenshot.png").read_bytes()
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="20">'
    '<rect width="80" height="20" fill="teal"/></svg>'
)

@pytest.mark.checklist("post.security.headers")
def test_headers(evidence):
    evidence.attach("response-headers", {"content-type": "text/html", "x-frame-options": "DENY"})
    evidence.attach("home", PNG, "png")
    evidence.attach("latency", SVG, "svg")
    evidence.attach("trace", b"PK\\x03\\x04not-really-a-trace", "trace")

@pytest.mark.checklist("post.functionality.code-execution")
def test_run(evidence):
    evidence.attach("editor-after-run", PNG, "png")
    assert False, "run API answered 500: restart the sandbox service"

@pytest.mark.checklist("post.functionality.examples-load")
@pytest.mark.parametrize("page", ["intro page", "loops/while"])
def test_examples(page):
    pass

@pytest.mark.checklist("post.functionality.monaco-editor")
@pytest.mark.skip(reason="editor check needs a browser")
def test_editor():
    pass
"""


@dataclass
class Opened:
    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium_browser()


@pytest.fixture
def open_report(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def opener(path: Path) -> Opened:
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)
        page.on(
            "console",
            lambda m: opened.errors.append(m.text) if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        page.on("request", lambda r: opened.requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_selector("#results-table tbody.results-table-row")
        return opened

    yield opener
    for context in contexts:
        context.close()


def seed_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makefile(".md", checklist=SEED_CHECKLIST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_seed=SEED_TESTS)
    (pytester.path / "screenshot.png").write_bytes(png(1280, 720))
    return pytester.runpytest("--checklist", "checklist.md", "-m", "postdeploy", *args)


def test_seed_report_opens_clean_with_banner_table_and_evidence(
    pytester: pytest.Pytester, open_report: Any
) -> None:
    seed_run(pytester)
    report = pytester.path / "reports" / "report.html"
    data = results(pytester)
    opened = open_report(report)
    page = opened.page
    assert opened.errors == []
    assert opened.requests == [report.as_uri()], "the report must not load anything else"

    banner = page.locator("#release-verdict")
    assert banner.get_attribute("data-verdict") == "ROLLBACK" == data["verdict"]
    assert "Roll back" in banner.inner_text()
    fired = banner.locator('[data-rule="critical-functionality-broken"]')
    assert "Critical functionality is broken" in fired.inner_text()
    assert fired.locator('a[href="#item-post.functionality.code-execution"]').count() == 1
    shown = {
        name: int(page.locator(f'#release-verdict [data-count="{name}"]').inner_text())
        for name, n in data["counts"].items()
        if n
    }
    assert shown == {k: v for k, v in data["counts"].items() if v}
    assert page.locator("title").inner_text().startswith("ROLLBACK")

    rows = page.locator("#release-checklist tr.rel-item")
    assert rows.count() == 82
    for status, n in data["counts"].items():
        assert page.locator(f'#release-checklist tr.rel-item[data-status="{status}"]').count() == n
    failing = page.locator('[id="item-post.functionality.code-execution"]')
    assert failing.get_attribute("data-status") == "fail"
    assert "run API answered 500" in failing.locator(".rel-why").inner_text()
    total = page.locator(".rel-coverage--total")
    assert total.locator('[data-coverage="total"]').inner_text() == "82"
    assert total.locator('[data-coverage="automated"]').inner_text() == "4"
    functionality = page.locator('tbody[data-section="Post-Deployment Checks / Functionality"]')
    assert functionality.locator('[data-coverage="automated"]').inner_text() == "3"
    assert functionality.locator('[data-coverage="uncovered"]').inner_text() == "3"
    assert page.locator("#release-signoff tr.rel-signoff--pending").count() == 5
    assert "postdeploy" in page.locator("#release-run").inner_text()

    # The failing test's row is expanded by pytest-html: its screenshot is visible and enlarges.
    shot = page.locator("tbody.failed .rel-shot img").first
    shot.scroll_into_view_if_needed()
    assert shot.is_visible()
    shot.evaluate("img => img.decode()")  # lazy: loads once near the viewport
    assert shot.evaluate("img => img.complete && img.naturalWidth") == 1280
    small = shot.bounding_box()
    shot.click()
    big = page.locator("tbody.failed .rel-shot:target img").bounding_box()
    assert small is not None and big is not None and big["width"] > 4 * small["width"]
    page.mouse.click(5, 5)
    assert page.locator(".rel-shot:target").count() == 0
    assert opened.errors == []


def test_every_link_in_the_report_lands(pytester: pytest.Pytester, open_report: Any) -> None:
    seed_run(pytester)
    opened = open_report(pytester.path / "reports" / "report.html")
    page = opened.page
    page.click("#show_all_details")
    missing = page.evaluate(
        """() => [...document.querySelectorAll('a[href^="#"]')]
            .map(a => a.getAttribute('href'))
            .filter(h => h !== '#_')
            .filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))"""
    )
    assert missing == []
    # From the checklist to a parametrized test with a space and a slash in its id, and back.
    page.click('#release-checklist a.rel-test[title^="test_seed.py::test_examples[loops/while]"]')
    target = page.evaluate("decodeURIComponent(location.hash.slice(1))")
    assert target == "test_seed.py::test_examples[loops/while]"
    row = page.locator(f'tbody[id="{target}"]')
    assert row.count() == 1
    row.locator('.col-checklist a[href="#item-post.functionality.examples-load"]').click()
    assert page.evaluate("location.hash") == "#item-post.functionality.examples-load"
    # Evidence of the passing test: JSON shown, SVG inline, the trace only as a file link.
    headers = page.locator('tbody[id="test_seed.py::test_headers"]')
    assert '"x-frame-options": "DENY"' in headers.locator(".rel-ev__text--json pre").inner_text()
    assert headers.locator('img[src^="data:image/svg+xml;base64,"]').is_visible()
    trace = headers.locator(".rel-ev__file a")
    assert trace.get_attribute("href") == "evidence/test_seed.py_test_headers/trace.zip"
    assert opened.errors == []


def test_go_run_shows_attestations_waivers_and_signoffs(
    project: pytest.Pytester, open_report: Any
) -> None:
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    project.makefile(
        ".toml",
        attestations=f"""
[[attestation]]
item = "post.checkout"
by = "Alex (QA Lead)"
at = 2025-07-25T23:40:00Z
note = "checked by hand with a test card"

[[waiver]]
item = "post.search"
reason = "search index rebuilds overnight"
by = "Sam (Project Manager)"
expires = {future}

[[not_applicable]]
item = "pre.lint"
reason = "no linter for this service"

[[signoff]]
role = "QA Lead"
name = "Alex"
date = 2025-07-26
note = "reviewed every red line"
""",
    )
    project.makepyfile(
        test_checks="""
import pytest

@pytest.mark.checklist("pre.unit")
def test_unit(): pass

@pytest.mark.checklist("post.home")
def test_home(): pass

@pytest.mark.checklist("post.headers")
def test_headers(): pass

@pytest.mark.checklist("post.search")
def test_search(): assert False, "search answered 503"
"""
    )
    project.runpytest("--attestations", "attestations.toml", "--release-version", "2.4.1")
    data = results(project)
    assert data["verdict"] == "GO"
    opened = open_report(project.path / "reports" / "report.html")
    page = opened.page
    assert page.locator("#release-verdict").get_attribute("data-verdict") == "GO"
    assert page.locator("title").inner_text().startswith("GO · release 2.4.1")
    checkout = page.locator('[id="item-post.checkout"]')
    assert checkout.get_attribute("data-status") == "manual"
    assert "attested by Alex (QA Lead)" in checkout.inner_text()
    assert "checked by hand with a test card" in checkout.inner_text()
    search = page.locator('[id="item-post.search"]')
    assert search.get_attribute("data-status") == "waived"
    assert f"waived by Sam (Project Manager) until {future}" in search.inner_text()
    assert "not applicable" in page.locator('[id="item-pre.lint"]').inner_text()
    signed = page.locator('#release-signoff tr[data-role="QA Lead"]')
    assert "Alex" in signed.inner_text()
    assert "2025-07-26" in signed.inner_text()
    assert "signed" in signed.inner_text()
    pending = page.locator('#release-signoff tr[data-role="DevOps Engineer"]')
    assert "pending" in pending.inner_text()
    assert opened.errors == []


def test_failing_critical_item_banner_and_filled_checklist(
    project: pytest.Pytester, open_report: Any
) -> None:
    project.makepyfile(
        test_checks="""
import pytest

@pytest.mark.checklist("post.home")
def test_home(): assert False, "home page answered 500"

@pytest.mark.checklist("post.headers")
def test_headers(): pass
"""
    )
    project.runpytest("-m", "postdeploy")
    page = open_report(project.path / "reports" / "report.html").page
    banner = page.locator("#release-verdict")
    assert banner.get_attribute("data-verdict") == "ROLLBACK"
    reason = banner.locator(".rel-reason--blocking").first
    assert reason.get_attribute("data-rule") == "critical-functionality-broken"
    assert "Home page loads" in reason.inner_text()
    assert "home page answered 500" in reason.inner_text()

    filled = (project.path / "reports" / "checklist.md").read_text(encoding="utf-8")
    lines = filled.splitlines()
    home = lines.index("- [ ] Home page loads <!-- id: post.home; severity: critical -->")
    assert lines[home + 1] == "  - **FAIL** · 1 test · AssertionError: home page answered 500"
    assert "- [x] Security headers are present <!-- id: post.headers; severity: critical -->" in (
        lines
    )
    assert "verdict **ROLLBACK**" in lines[-1]
    assert results(project)["files"]["checklist"] == "checklist.md"


def test_print_layout_hides_controls_and_keeps_the_banner(
    pytester: pytest.Pytester, open_report: Any
) -> None:
    seed_run(pytester)
    page = open_report(pytester.path / "reports" / "report.html").page
    page.emulate_media(media="print")
    assert page.locator("#release-verdict").is_visible()
    assert not page.locator(".controls").is_visible()
    assert page.locator("#release-signoff .rel-signature-line").first.is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


SECRET_TESTS = """
import logging
import pytest
import pytest_html

@pytest.fixture
def noisy():
    yield
    print("teardown says Cookie: sid=td-LLL222")

@pytest.mark.checklist("post.security.headers")
def test_headers(evidence, extras, noisy):
    evidence.attach("request", {"url": "https://api.test/v1?access_token=tok-AAA111",
                                "headers": {"Authorization": "Bearer hdr-BBB222xyz",
                                            "Cookie": "sid=ck-CCC333"}})
    evidence.attach("log", "GET /?token=tok-DDD444 HTTP/1.1\\nSet-Cookie: sid=ck-EEE555\\n", "text")
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>corp-777001</text></svg>'
    evidence.attach("chart", svg, "svg")
    extras.append(pytest_html.extras.text("Authorization: Basic ex-FFF666", name="raw"))
    print("calling https://api.test/?api_key=out-GGG777 with Cookie: sid=out-HHH888")
    logging.getLogger("app").warning("headers={'set-cookie': 'log-III999'} corp-777002")

@pytest.mark.checklist("post.functionality.code-execution")
def test_run():
    headers = {"authorization": "Bearer msg-JJJ000abc"}
    assert False, f"https://x.test/run?token=msg-KKK111 failed with {headers} corp-777003"
"""
SECRETS = [
    "tok-AAA111",
    "hdr-BBB222xyz",
    "ck-CCC333",
    "tok-DDD444",
    "ck-EEE555",
    "ex-FFF666",
    "out-GGG777",
    "out-HHH888",
    "log-III999",
    "msg-JJJ000abc",
    "msg-KKK111",
    "corp-777001",
    "corp-777002",
    "corp-777003",
    "td-LLL222",
]


def test_planted_secrets_reach_no_file_under_the_report_dir(
    pytester: pytest.Pytester, open_report: Any
) -> None:
    pytester.makefile(".md", checklist=SEED_CHECKLIST.read_text(encoding="utf-8"))
    pytester.makepyprojecttoml(
        '[tool.pytest_release]\nchecklist = "checklist.md"\nsecret_patterns = ["corp-[0-9]{6}"]\n'
    )
    pytester.makepyfile(test_secrets=SECRET_TESTS)
    result = pytester.runpytest("-m", "postdeploy", "-rA")
    result.assert_outcomes(passed=1, failed=1)
    report_dir = pytester.path / "reports"
    written = sorted(p for p in report_dir.rglob("*") if p.is_file())
    names = {p.name for p in written}
    assert {"report.html", "results.json", "junit.xml", "checklist.md", "request.json"} <= names
    for path in written:
        raw = path.read_bytes()
        text = raw.decode("utf-8", errors="replace")
        decoded = _decode_data_uris(text)
        for secret in SECRETS:
            assert secret not in text, f"{secret} in {path}"
            assert secret not in decoded, f"{secret} in a data URI of {path}"
    page = open_report(report_dir / "report.html").page
    page.click("#show_all_details")
    body = page.locator("body").inner_text()
    assert "[REDACTED]" in body
    for secret in SECRETS:
        assert secret not in body


def _decode_data_uris(text: str) -> str:
    import re

    parts = []
    for match in re.finditer(r"base64,([A-Za-z0-9+/=]+)", text):
        try:
            parts.append(base64.b64decode(match.group(1)).decode("utf-8", errors="replace"))
        except ValueError:
            continue
    return "\n".join(parts)


def test_evidence_over_the_budget_is_linked_and_failures_come_first(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    folder = report_dir / "evidence" / "t"
    folder.mkdir(parents=True)
    for n in range(4):
        image = png(120, 80, seed=n)
        (folder / f"shot{n}.png").write_bytes(image + b"\x00" * (6000 - len(image)))
    (folder / "trace.zip").write_bytes(b"PK" + b"\x00" * 100)
    one = len(base64.b64encode((folder / "shot0.png").read_bytes()))
    budget = Budget(total=3 * one, per_file=2 * one, passing=one)
    attachments = Attachments(report_dir, report_dir, ReportRedactor(), budget)
    passing = attachments.render(["evidence/t/shot0.png", "evidence/t/shot1.png"], failed=False)
    assert passing.count("data:image/png;base64,") == 1
    assert 'href="evidence/t/shot1.png"' in passing
    assert "over the report's size budget" in passing
    failing = attachments.render(["evidence/t/shot2.png", "evidence/t/shot3.png"], failed=True)
    assert failing.count("data:image/png;base64,") == 2
    trace = attachments.render(["evidence/t/trace.zip"], failed=True)
    assert "base64" not in trace
    assert 'href="evidence/t/trace.zip"' in trace
    assert attachments.usage.inlined == 3
    assert attachments.usage.linked == 2
    assert attachments.usage.inlined_bytes == 3 * one
    missing = attachments.render(["evidence/t/gone.json"], failed=False)
    assert "missing" in missing


def test_report_under_xdist_has_rows_evidence_and_the_verdict(
    pytester: pytest.Pytester, open_report: Any
) -> None:
    seed_run(pytester, "-n", "2", "-p", "no:randomly")
    report = pytester.path / "reports" / "report.html"
    opened = open_report(report)
    page = opened.page
    assert page.locator("#release-verdict").get_attribute("data-verdict") == "ROLLBACK"
    assert page.locator("#results-table tbody.results-table-row").count() == 5
    assert page.locator("tbody.failed .rel-shot img").first.is_visible()
    data = json.loads((pytester.path / "reports" / "results.json").read_text(encoding="utf-8"))
    assert data["counts"]["fail"] == 1
    assert opened.errors == []
