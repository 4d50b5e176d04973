"""HTTP probes of the run API and operations endpoints, against small live servers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from pytest_release.probes.findings import FindingStatus
from pytest_release.probes.run_api import (
    check_headers_present,
    check_malformed,
    check_page_accessible,
    check_run,
    normalize_output,
    server_trace,
)

TRACEBACK = """Traceback (most recent call last):
  File "/srv/app/.venv/lib/python3.11/site-packages/starlette/routing.py", line 74, in app
    response = await func(request)
TypeError: expected str"""


@pytest.mark.parametrize(
    "text",
    [
        TRACEBACK,
        "PHP Fatal error: Uncaught Error\nStack trace:\n#0 /var/www/index.php(3)",
        "TypeError: x is undefined\n    at Object.<anonymous> (/app/server.js:3:9)",
        "java.lang.NullPointerException\n\tat com.example.Run.main(Run.java:12)",
    ],
)
def test_server_traces_are_recognised(text: str) -> None:
    assert server_trace(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "ValueError: boom (line 1)",
        "Fatal error: Uncaught Exception: boom in main.php:1",
        "rejected: not an e-mail address: 'x'",
    ],
)
def test_user_errors_are_not_server_traces(text: str) -> None:
    assert server_trace(text) is None


def test_normalize_output() -> None:
    assert normalize_output("a  \r\nb\n\n") == normalize_output("\na\nb") == "a\nb"


class _Api(BaseHTTPRequestHandler):
    """A run API with two classic mistakes: a traceback for a non-string code, 200 for junk."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            data = json.loads(body)
        except ValueError:
            self._send(200, b'{"output": "", "error": null, "exit_code": 0, "duration_ms": 1}')
            return
        if not isinstance(data, dict) or "code" not in data:
            self._send(400, b'{"error": "send {\\"code\\": ...}"}')
        elif not isinstance(data["code"], str):
            self._send(500, TRACEBACK.encode(), "text/plain")
        elif data.get("language") != "python":
            self._send(422, b'{"error": "unknown language"}')
        elif len(body) > 1000:
            self._send(413, b'{"error": "too large"}')
        else:
            self._send(200, b'{"output": "hi\\n", "error": null, "exit_code": "0"}')

    def do_GET(self) -> None:
        if self.path == "/maintenance":
            self._send(503, b"<html>back soon</html>", "text/html", {"Retry-After": "600"})
        else:
            self._send(200, b"<html></html>", "text/html", {"X-Content-Type-Options": "nosniff"})

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.server_address[1]}") as c:
            yield c
    finally:
        server.shutdown()
        server.server_close()


def test_malformed_requests_find_the_traceback_and_the_accepted_junk(
    client: httpx.Client,
) -> None:
    result = check_malformed(client, "/api/run", max_body_bytes=1000, timeout_s=5)
    by_what = {f.what.split(" with ", 1)[1]: f for f in result.findings}
    assert by_what["'code' is not a string"].status is FindingStatus.PROBLEM
    assert "HTTP 500" in by_what["'code' is not a string"].detail
    assert "stack trace" in by_what["'code' is not a string"].detail
    assert by_what["not JSON"].status is FindingStatus.PROBLEM
    assert "instead of a 4xx" in by_what["not JSON"].detail
    ok = {w for w, f in by_what.items() if f.status is FindingStatus.OK}
    assert ok == {
        "a JSON array instead of an object",
        "missing 'code'",
        "unknown language",
        "a body over 1000 bytes",
    }
    assert result.failure_message().startswith("/api/run: POST /api/run with not JSON")


def test_run_contract_fields_are_checked(client: httpx.Client) -> None:
    result = check_run(
        client,
        "/api/run",
        subject="example 'x'",
        code="print('hi')",
        language="python",
        expected_output="hi",
        timeout_s=5,
    )
    assert [f.what for f in result.problems] == ["fields"]
    assert "exit_code, duration_ms" in result.problems[0].detail


def test_maintenance_page_is_not_accessible(client: httpx.Client) -> None:
    result = check_page_accessible(client, "/maintenance")
    assert result.failed
    assert "maintenance mode is still on" in result.failure_message()


def test_headers_present_names_each_missing_header(client: httpx.Client) -> None:
    result = check_headers_present(client, "/")
    missing = [f.what for f in result.problems]
    assert missing == ["content-security-policy", "referrer-policy", "frame protection"]
