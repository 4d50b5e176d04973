"""The functionality and smoke suites against the real reference deployment, in real Chromium.

Healthy: every Functionality item passes and the verdict is GO. Each functionality fault
switch: exactly the matching item(s) fail, with a screenshot in the evidence, and the
verdict is ROLLBACK. One reference server per fault, shared by every test of that run;
fault runs check one example (all six checks) to stay fast on a two-core machine.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

# httpx imports httpcore lazily. If that first happens inside an in-process pytester run,
# pytester's sys.modules restore drops it, the next run imports a second copy, and httpx
# no longer recognises its exceptions (a raw httpcore.ConnectError instead of
# httpx.ConnectError breaks every "target unreachable" path). Import it once, up front.
import httpcore  # noqa: F401
import pytest

from pytest_release.browser import BrowserNotFound, find_chromium
from pytest_release.reference.launcher import ReferenceServer, start_reference_server
from tests.conftest import ROOT, SEED_CHECKLIST, results, statuses

FUNCTIONALITY = (
    "post.functionality.examples-load",
    "post.functionality.code-execution",
    "post.functionality.monaco-editor",
    "post.functionality.local-storage",
    "post.functionality.controls",
    "post.functionality.error-handling",
)
# fault -> the functionality items it must fail (and no others).
FAULT_ITEMS = {
    "monaco-missing": {"post.functionality.examples-load", "post.functionality.monaco-editor"},
    "no-persist": {"post.functionality.local-storage"},
    "console-error": {"post.functionality.examples-load"},
    "broken-asset": {"post.functionality.examples-load"},
    "run-500": {"post.functionality.code-execution"},
    "stack-trace": {"post.functionality.error-handling"},
}
# Faults the browser never meets (the page sends well-formed requests): the evidence is the
# HTTP findings, not a screenshot.
FOUND_OVER_HTTP = frozenset({"stack-trace"})
ONE_EXAMPLE = "user-model-python or malformed"  # Python runs wherever the reference does
START_TIMEOUT_S = 60.0  # a busy CI box can take long to import and migrate
SELECT = ("-m", "postdeploy and functionality", "-p", "no:randomly", "-p", "no:cacheprovider")


def _have_chromium() -> bool:
    try:
        find_chromium()
    except BrowserNotFound:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not _have_chromium(), reason="needs Chromium (apt install chromium)"
)


@pytest.fixture
def suite_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A temp project holding the seed checklist and copies of the suites."""
    shutil.copy(SEED_CHECKLIST, pytester.path / "checklist.md")
    for suite in ("postdeploy/functionality", "smoke"):
        source = ROOT / "suites" / suite
        destination = pytester.path / suite.replace("/", "_")
        destination.mkdir()
        for path in source.glob("*.py"):
            shutil.copy(path, destination / path.name)
    pytester.makepyprojecttoml('[tool.pytest_release]\nchecklist = "checklist.md"\n')
    return pytester


class Servers:
    """One reference server per fault combination, shared by every test in this module."""

    def __init__(self) -> None:
        self._running: dict[tuple[str, ...], ReferenceServer] = {}

    def get(self, *faults: str) -> ReferenceServer:
        key = tuple(sorted(faults))
        if key not in self._running:
            self._running[key] = start_reference_server(faults=key, timeout=START_TIMEOUT_S)
        return self._running[key]

    def stop(self) -> None:
        for server in self._running.values():
            server.stop()


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    running = Servers()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def healthy(servers: Servers) -> ReferenceServer:
    return servers.get()


def _item(data: dict[str, Any], item_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in data["checklist"] if i["id"] == item_id)
    return found


def _pngs(data: dict[str, Any], item_id: str) -> list[str]:  # screenshots of one item
    return [e for e in _item(data, item_id).get("evidence", []) if e.endswith(".png")]


def test_healthy_deployment_passes_every_functionality_item(
    suite_project: pytest.Pytester, healthy: ReferenceServer
) -> None:
    result = suite_project.runpytest(*SELECT, "--target-url", healthy.url)
    data = results(suite_project)
    failing = {k: v for k, v in statuses(data).items() if k in FUNCTIONALITY and v != "pass"}
    assert not failing, f"{failing}\n" + "\n".join(result.outlines[-40:])
    assert data["verdict"] == "GO"
    result.assert_outcomes(passed=3 * 7 + 1)  # 3 examples x 7 tests, + malformed requests
    report_dir = suite_project.path / "reports"
    shots = _pngs(data, "post.functionality.examples-load")
    assert len(shots) >= 3, "a screenshot per example"
    assert all((report_dir / s).stat().st_size > 1000 for s in shots)


@pytest.mark.parametrize("fault", sorted(FAULT_ITEMS))
def test_fault_fails_exactly_its_items(
    suite_project: pytest.Pytester, servers: Servers, fault: str
) -> None:
    server = servers.get(fault)
    result = suite_project.runpytest(*SELECT, "-k", ONE_EXAMPLE, "--target-url", server.url)
    data = results(suite_project)
    failed = {k for k, v in statuses(data).items() if v == "fail"}
    assert failed == FAULT_ITEMS[fault], "\n".join(result.outlines[-40:])
    assert data["verdict"] == "ROLLBACK"
    for item_id in failed:
        item = _item(data, item_id)
        assert item["note"], "a failing item says why"
        evidence = item.get("evidence", [])
        if fault in FOUND_OVER_HTTP:
            assert any(e.endswith(".json") for e in evidence), f"{item_id}: no findings"
            continue
        assert any(e.endswith(".png") for e in evidence), f"{item_id}: no screenshot"
        assert any(e.endswith(".zip") for e in evidence), f"{item_id}: no Playwright trace"
        assert any("browser-log" in e for e in evidence), f"{item_id}: no console/requests log"


def test_failure_message_says_what_a_person_sees(
    suite_project: pytest.Pytester, servers: Servers
) -> None:
    server = servers.get("run-500")
    result = suite_project.runpytest(
        *SELECT, "-k", "test_run_in_browser and user-model-python", "--target-url", server.url
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*example 'user-model-python'*API /api/run answered 500*"])


ISOLATION_PROBE = """
import pytest

@pytest.mark.checklist("post.functionality.local-storage")
def test_a_leaves_traces(release_page, target):
    release_page.goto(target.url + "/")
    release_page.evaluate("() => localStorage.setItem('left-behind', '1')")
    release_page.context.add_cookies([{"name": "c", "value": "1", "url": target.url}])

@pytest.mark.checklist("post.functionality.local-storage")
def test_b_sees_none(release_page, target):
    release_page.goto(target.url + "/")
    assert release_page.evaluate("() => localStorage.getItem('left-behind')") is None
    assert release_page.context.cookies() == []
"""


@pytest.mark.parametrize("isolation", ["context", "storage"])
def test_each_test_starts_with_no_site_data(
    pytester: pytest.Pytester, healthy: ReferenceServer, isolation: str
) -> None:
    shutil.copy(SEED_CHECKLIST, pytester.path / "checklist.md")
    pytester.makepyprojecttoml(
        '[tool.pytest_release]\nchecklist = "checklist.md"\n'
        f'[tool.pytest_release.browser]\nisolation = "{isolation}"\n'
    )
    pytester.makepyfile(test_isolation=ISOLATION_PROBE)
    pytester.runpytest("-p", "no:randomly", "--target-url", healthy.url).assert_outcomes(passed=2)


def test_warm_profile_passes_the_healthy_deployment(
    suite_project: pytest.Pytester, healthy: ReferenceServer
) -> None:
    """isolation = "storage": the faster mode keeps the verdict."""
    (suite_project.path / "pyproject.toml").write_text(
        '[tool.pytest_release]\nchecklist = "checklist.md"\n'
        '[tool.pytest_release.browser]\nisolation = "storage"\n'
    )
    result = suite_project.runpytest(*SELECT, "-k", ONE_EXAMPLE, "--target-url", healthy.url)
    result.assert_outcomes(passed=7 + 1)
    assert results(suite_project)["verdict"] == "GO"


def test_unreachable_target_is_one_inconclusive_test_per_check(
    suite_project: pytest.Pytester,
) -> None:
    result = suite_project.runpytest(*SELECT, "--target-url", "http://127.0.0.1:9")
    outcomes = result.parseoutcomes()
    assert "errors" not in outcomes, "no collection crash"
    assert outcomes.get("skipped") == 7 + 1  # one case per per-example test, + malformed
    data = results(suite_project)
    assert data["verdict"] == "INCONCLUSIVE"
    assert data["verdict_reasons"][0]["rule"] == "target-unreachable"


def test_missing_browser_is_inconclusive_with_the_fix(
    suite_project: pytest.Pytester, healthy: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_RELEASE_CHROMIUM", "/nonexistent/chromium")
    result = suite_project.runpytest(
        *SELECT, "-k", "test_monaco_editor or malformed", "--target-url", healthy.url
    )
    result.assert_outcomes(passed=1, skipped=3)
    data = results(suite_project)
    assert data["verdict"] == "INCONCLUSIVE"
    reasons = " ".join(r["detail"] for r in data["verdict_reasons"])
    assert "PYTEST_RELEASE_CHROMIUM" in reasons and "apt-get install chromium" in reasons


def test_smoke_is_go_on_the_healthy_deployment(
    suite_project: pytest.Pytester, healthy: ReferenceServer
) -> None:
    result = suite_project.runpytest(
        "-m", "smoke", "-p", "no:randomly", "--target-url", healthy.url
    )
    result.assert_outcomes(passed=5)
    data = results(suite_project)
    assert data["verdict"] == "GO"
    assert data["phase"] == "smoke"
    assert statuses(data)["deploy.verification.critical-functionality"] == "pass"


def test_smoke_fails_when_the_run_api_is_down(
    suite_project: pytest.Pytester, servers: Servers
) -> None:
    server = servers.get("run-500")
    suite_project.runpytest("-m", "smoke", "-p", "no:randomly", "--target-url", server.url)
    data = results(suite_project)
    assert data["verdict"] == "NO-GO"
    failed = {k for k, v in statuses(data).items() if v == "fail"}
    assert failed == {
        "deploy.verification.api-endpoints",
        "deploy.verification.critical-functionality",
        "deploy.verification.smoke-tests",
    }


class _Counter(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(("markexpr", "discovers"), [("predeploy", False), ("functionality", True)])
def test_discovery_only_for_selected_tests(
    suite_project: pytest.Pytester, markexpr: str, discovers: bool
) -> None:
    """`-m predeploy` must not list examples (nor start the reference deployment)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Counter.hits.clear()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        suite_project.runpytest("-m", markexpr, "--collect-only", "-q", "--target-url", url)
    finally:
        server.shutdown()
        server.server_close()
    assert ("/" in _Counter.hits) is discovers, _Counter.hits
