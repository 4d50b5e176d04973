"""The target: reachability checked once and early; INCONCLUSIVE (not a hang) when it is down."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import results, statuses

USES_TARGET = """
import pytest

@pytest.mark.checklist("post.home")
def test_home(http, target):
    response = http.get("/")
    assert response.status_code == 200, f"/ answered {response.status_code}"

@pytest.mark.checklist("post.headers")
@pytest.mark.parametrize("n", range(5))
def test_headers(http, n):
    assert http.get("/").headers.get("x-content-type-options") == "nosniff"

@pytest.mark.checklist("pre.unit", "pre.lint", "post.search", "post.checkout")
def test_no_target(): pass
"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"version": "2025.07.25", "commit": "abc"}' if self.path == "/version" else b"ok"
        self.send_response(200)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def live_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_live_target_is_checked_and_its_version_recorded(
    project: pytest.Pytester, live_server: str
) -> None:
    project.makepyfile(test_target=USES_TARGET)
    result = project.runpytest("--target-url", live_server, "--release-version", "2025.07.25")
    result.assert_outcomes(passed=7)
    data = results(project)
    assert data["verdict"] == "GO"
    assert data["target"] == {"url": live_server, "version_seen": "2025.07.25"}
    assert data["release"]["version"] == "2025.07.25"


def test_unreachable_target_is_inconclusive_fast(project: pytest.Pytester) -> None:
    project.makepyfile(test_target=USES_TARGET)
    start = time.perf_counter()
    result = project.runpytest("--target-url", f"http://127.0.0.1:{_closed_port()}")
    elapsed = time.perf_counter() - start
    result.assert_outcomes(passed=1, skipped=6)
    assert elapsed < 10, f"an unreachable target took {elapsed:.1f} s to detect"
    result.stdout.fnmatch_lines(["VERDICT: INCONCLUSIVE - target-unreachable*"])
    data = results(project)
    assert data["verdict"] == "INCONCLUSIVE"
    reason = data["verdict_reasons"][0]
    assert reason["rule"] == "target-unreachable"
    assert "did not answer" in reason["detail"]
    assert sorted(reason["checklist"]) == ["post.headers", "post.home"]
    assert statuses(data)["post.home"] == "skip"


def test_garbage_answer_does_not_crash(project: pytest.Pytester) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]

        def serve_garbage() -> None:
            listener.settimeout(15)
            try:
                while True:
                    conn, _ = listener.accept()
                    with conn:
                        conn.recv(1024)
                        conn.sendall(b"\x00\xffnot http at all\r\n\r\n")
            except OSError:
                return

        threading.Thread(target=serve_garbage, daemon=True).start()
        project.makepyfile(test_target=USES_TARGET)
        result = project.runpytest("--target-url", f"http://127.0.0.1:{port}")
    assert result.ret == 1
    data = results(project)
    assert data["verdict"] == "INCONCLUSIVE"
    assert data["verdict_reasons"][0]["rule"] == "target-unreachable"


def test_bad_target_url_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--target-url", "staging.example.org")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*is not an http(s) URL*"])


def test_target_url_from_environment(
    project: pytest.Pytester, live_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_RELEASE_TARGET_URL", live_server)
    project.makepyfile(test_target=USES_TARGET)
    project.runpytest().assert_outcomes(passed=7)
