"""The healthy reference deployment against ../shared/TARGET_CONTRACT.md, over real HTTP.

One app per module (real Sandbox, real SQLite, real uvicorn on a loopback port); every
test talks to it the way a suite would.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_release.reference.app import create_app
from pytest_release.reference.assets import ensure_monaco
from pytest_release.reference.examples import PAGES
from pytest_release.reference.inprocess import serve_in_thread, serve_reference
from pytest_release.reference.logging_json import JsonFormatter
from pytest_release.reference.settings import (
    ADMIN_PASSWORD_ENV,
    ReferenceSettings,
    build_settings,
)

PASSWORD = "correct-horse-battery-staple"
ALLOWED_ORIGIN = "https://docs.example.com"
EVIL_ORIGIN = "https://evil.example.net"
BUTTONS = {"run", "reset", "copy", "format", "fullscreen", "clear-output"}


def make_settings(data_dir: Path, **overrides: Any) -> ReferenceSettings:
    """Settings for a test app: fixed password, one allowed origin, the local Monaco."""
    options: dict[str, Any] = {
        "data_dir": data_dir,
        "cors_origins": ALLOWED_ORIGIN,
        "monaco_dir": ensure_monaco(),
        "environ": {ADMIN_PASSWORD_ENV: PASSWORD},
        **overrides,
    }
    return build_settings(**options)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("contract"))
    with serve_reference(settings) as url:
        yield url


@pytest.fixture(scope="module")
def client(site: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site, timeout=15) as http:
        yield http


class DomCollector(HTMLParser):
    """Elements with their attributes and classes, plus parent links: enough for selectors."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[dict[str, Any]] = []
        self._stack: list[int] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        element = {
            "tag": tag,
            "attrs": attributes,
            "classes": set(attributes.get("class", "").split()),
            "parents": list(self._stack),
        }
        self.elements.append(element)
        if tag == "script":
            self._in_script = "src" not in attributes
        if tag not in {"meta", "link", "br", "img", "input", "hr"}:
            self._stack.append(len(self.elements) - 1)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        while self._stack:
            if self.elements[self._stack.pop()]["tag"] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def by_class(self, name: str, within: int | None = None) -> list[int]:
        return [
            i
            for i, el in enumerate(self.elements)
            if name in el["classes"] and (within is None or within in el["parents"])
        ]


def dom(html: str) -> DomCollector:
    collector = DomCollector()
    collector.feed(html)
    return collector


# --- pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(PAGES))
def test_pages_carry_the_contract_dom(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = dom(response.text)
    examples = page.by_class("interactive-code-example")
    assert len(examples) == len(PAGES[path].examples)
    for index in examples:
        example = page.elements[index]
        assert example["attrs"]["data-example-id"], "every example needs data-example-id"
        editors = page.by_class("monaco-editor", within=index)
        assert len(editors) == 1
        editor = page.elements[editors[0]]["attrs"]
        assert editor["data-language"] in {"php", "python"}
        assert editor["data-code"].strip()
        assert "data-expected-output" in editor
        assert page.by_class("editor-status", within=index)
        actions = {
            page.elements[i]["attrs"].get("data-action")
            for i, el in enumerate(page.elements)
            if el["tag"] == "button" and index in el["parents"]
        }
        assert actions == BUTTONS
        panels = page.by_class("output-panel", within=index)
        assert len(panels) == 1
        assert page.by_class("output-content", within=panels[0])
    assert any(el["attrs"].get("data-action") == "toggle-theme" for el in page.elements)
    assert any(el["attrs"].get("aria-live") == "polite" for el in page.elements)


@pytest.mark.parametrize("path", sorted(PAGES))
def test_pages_use_only_same_origin_script_files(client: httpx.Client, path: str) -> None:
    page = dom(client.get(path).text)
    assert page.inline_scripts == 0, "inline scripts would need 'unsafe-inline' in the CSP"
    sources = [el["attrs"]["src"] for el in page.elements if el["tag"] == "script"]
    assert "/static/monaco/vs/loader.js" in sources
    links = [el["attrs"]["href"] for el in page.elements if el["tag"] == "link"]
    for url in [*sources, *links]:
        assert url.startswith("/"), f"{url} is not served by this origin (no CDN)"
        assert client.get(url).status_code == 200, f"{url} does not load"
    assert not any(el["attrs"].get("style") for el in page.elements)


def test_monaco_is_the_local_npm_package(client: httpx.Client) -> None:
    loader = client.get("/static/monaco/vs/loader.js")
    assert loader.status_code == 200
    main = client.get("/static/monaco/vs/editor/editor.main.js")
    assert main.status_code == 200
    assert 'define("vs/editor/editor.main"' in main.text
    assert "max-age" in main.headers["cache-control"]


def test_examples_print_their_expected_output(client: httpx.Client) -> None:
    page = dom(client.get("/").text)
    for index in page.by_class("monaco-editor"):
        attrs = page.elements[index]["attrs"]
        answer = client.post(
            "/api/run", json={"code": attrs["data-code"], "language": attrs["data-language"]}
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["error"] is None, body
        assert body["output"] == attrs["data-expected-output"]


def test_favicon_exists(client: httpx.Client) -> None:
    # Browsers ask for it; a 404 would count as a failed same-origin request.
    assert client.get("/favicon.ico").status_code == 200


# --- code execution API ----------------------------------------------------------------


def test_run_returns_the_contract_shape(client: httpx.Client) -> None:
    response = client.post("/api/run", json={"code": "print('hello')", "language": "python"})
    assert response.status_code == 200
    body = response.json()
    assert body["output"] == "hello\n"
    assert body["error"] is None
    assert body["exit_code"] == 0
    assert isinstance(body["duration_ms"], (int, float))


def test_code_that_raises_is_a_200_with_an_error(client: httpx.Client) -> None:
    response = client.post(
        "/api/run", json={"code": "raise ValueError('no such user')", "language": "python"}
    )
    assert response.status_code == 200
    body = response.json()
    assert "no such user" in body["error"]
    assert body["exit_code"] != 0
    assert "site-packages" not in response.text and "/work/" not in response.text


def test_php_runs_when_installed(client: httpx.Client) -> None:
    languages = client.get("/healthz").json()["checks"]["sandbox"]["languages"]
    if "php" not in languages:
        pytest.skip("php-cli is not installed on this machine")
    response = client.post("/api/run", json={"code": "<?php echo 1 + 1;", "language": "php"})
    assert response.json()["output"] == "2"


MALFORMED: dict[str, tuple[dict[str, str], bytes, int]] = {
    "not-json": ({"content-type": "application/json"}, b"{not json", 400),
    "json-array": ({"content-type": "application/json"}, b"[1, 2]", 400),
    "missing-code": ({"content-type": "application/json"}, b'{"language": "python"}', 400),
    "missing-language": ({"content-type": "application/json"}, b'{"code": "print(1)"}', 400),
    "unknown-language": (
        {"content-type": "application/json"},
        b'{"code": "1", "language": "cobol"}',
        400,
    ),
    "code-not-string": (
        {"content-type": "application/json"},
        b'{"code": 123, "language": "python"}',
        400,
    ),
    "bad-example-id": (
        {"content-type": "application/json"},
        b'{"code": "1", "language": "python", "example_id": 5}',
        400,
    ),
    "form-encoded": ({"content-type": "application/x-www-form-urlencoded"}, b"code=1", 415),
    "invalid-utf8": ({"content-type": "application/json"}, b'{"code": "\xff"}', 400),
    "empty-body": ({"content-type": "application/json"}, b"", 400),
    "oversized": (
        {"content-type": "application/json"},
        json.dumps({"code": "#" * 70_000, "language": "python"}).encode(),
        413,
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_requests_get_4xx_json(client: httpx.Client, case: str) -> None:
    headers, body, status = MALFORMED[case]
    response = client.post("/api/run", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json()["error"], str)
    assert "Traceback" not in response.text


def test_oversized_body_without_length_is_refused_while_streaming(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"language": "python", "code": "'
        for _ in range(80):
            yield b"#" * 1024
        yield b'"}'

    response = client.post(
        "/api/run", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "limit" in response.json()["error"]


def test_get_on_the_api_is_a_405_json(client: httpx.Client) -> None:
    response = client.get("/api/run")
    assert response.status_code == 405
    assert response.json() == {"error": "Method Not Allowed"} or "not allowed" in response.text


# --- operations endpoints --------------------------------------------------------------


def test_healthz_reports_each_component(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"db", "migrations", "cache", "sandbox"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert body["checks"]["sandbox"]["mechanism"] == "bubblewrap"
    assert "python" in body["checks"]["sandbox"]["languages"]


def test_version_reports_version_and_commit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, version="2025.07.25", commit="abc1234")
    with serve_reference(settings) as url:
        assert httpx.get(f"{url}/version").json() == {"version": "2025.07.25", "commit": "abc1234"}


def test_metrics_are_prometheus_text(client: httpx.Client) -> None:
    client.get("/")
    client.post("/api/run", json={"code": "print(1)", "language": "python"})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in (
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "code_executions_total",
        "app_errors_total",
        "app_info",
    ):
        assert f"\n{name}" in text or text.startswith(name), f"{name} missing from /metrics"
    assert re.search(r'http_requests_total\{method="GET",route="/",status="200"\} [1-9]', text)
    assert re.search(r'code_executions_total\{language="python",outcome="ok"\} [1-9]', text)


def test_status_json_and_page(client: httpx.Client) -> None:
    body = client.get("/status").json()
    assert body["status"] == "operational"
    assert body["message"]
    page = client.get("/status.html")
    assert page.status_code == 200
    assert "All systems operational" in page.text


def test_usage_statistics_are_recorded(client: httpx.Client) -> None:
    before = client.get("/admin/stats.json", auth=("admin", PASSWORD)).json()["runs_total"]
    client.post(
        "/api/run", json={"code": "print(2)", "language": "python", "example_id": "stats-probe"}
    )
    stats = client.get("/admin/stats.json", auth=("admin", PASSWORD)).json()
    assert stats["runs_total"] == before + 1
    assert stats["by_example"]["stats-probe"] == 1
    assert stats["unique_clients"] >= 1
    assert "print(2)" not in json.dumps(stats), "the code itself is never stored"


# --- security --------------------------------------------------------------------------


def directives(csp: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.mark.parametrize("path", ["/", "/healthz", "/nope", "/static/js/examples.js", "/admin"])
def test_security_headers_on_every_response(client: httpx.Client, path: str) -> None:
    headers = client.get(path).headers
    csp = directives(headers["content-security-policy"])
    scripts = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert "blob:" in csp["worker-src"], "Monaco's workers need worker-src"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "strict-transport-security" not in headers, "HSTS only over TLS"
    assert "server" not in headers and "x-powered-by" not in headers
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])


def test_hsts_is_sent_over_tls(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    cert = authority.issue_cert("127.0.0.1")
    cert_file, key_file, ca_file = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    authority.cert_pem.write_to_path(str(ca_file))
    settings = make_settings(tmp_path / "data")
    app = create_app(settings, _NoRunner())
    with serve_in_thread(app, ssl_certfile=str(cert_file), ssl_keyfile=str(key_file)) as url:
        assert url.startswith("https://")
        context = ssl.create_default_context(cafile=str(ca_file))
        headers = httpx.get(f"{url}/healthz", verify=context).headers
    assert headers["strict-transport-security"].startswith("max-age=")


def test_request_id_is_echoed_when_sane(client: httpx.Client) -> None:
    echoed = client.get("/healthz", headers={"x-request-id": "deploy-check-0001"})
    assert echoed.headers["x-request-id"] == "deploy-check-0001"
    replaced = client.get("/healthz", headers={"x-request-id": "<script>"})
    assert replaced.headers["x-request-id"] != "<script>"


def test_cors_allows_listed_origin_only(client: httpx.Client) -> None:
    preflight = {"access-control-request-method": "POST"}
    allowed = client.options("/api/run", headers={"origin": ALLOWED_ORIGIN, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    evil = client.options("/api/run", headers={"origin": EVIL_ORIGIN, **preflight})
    assert evil.status_code == 400
    assert "access-control-allow-origin" not in evil.headers
    simple = client.post(
        "/api/run", json={"code": "1", "language": "python"}, headers={"origin": EVIL_ORIGIN}
    )
    assert "access-control-allow-origin" not in simple.headers
    assert "access-control-allow-credentials" not in simple.headers


@pytest.mark.parametrize(
    "path", ["/.git/HEAD", "/.git/config", "/.env", "/backup.sql", "/static/js/examples.js.map"]
)
def test_sensitive_paths_are_not_served(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_admin_requires_credentials(client: httpx.Client) -> None:
    anonymous = client.get("/admin")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic ")
    assert client.get("/admin", auth=("admin", "wrong")).status_code == 401
    assert client.get("/admin/stats.json").status_code == 401
    admitted = client.get("/admin", auth=("admin", PASSWORD))
    assert admitted.status_code == 200
    assert "Usage" in admitted.text


def test_admin_password_is_generated_when_not_configured(tmp_path: Path) -> None:
    settings = build_settings(data_dir=tmp_path, environ={})
    stored = (tmp_path / "admin-password").read_text(encoding="utf-8").strip()
    assert settings.admin_password == stored and len(stored) >= 20
    assert (tmp_path / "admin-password").stat().st_mode & 0o077 == 0


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit=3)
    with serve_reference(settings) as url, httpx.Client(base_url=url) as http:
        answers = [
            http.post("/api/run", json={"code": "print(1)", "language": "python"}) for _ in range(4)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert int(refused.headers["retry-after"]) >= 1
    assert "rate limit" in refused.json()["error"]


class _NoRunner:
    """A code runner that runs nothing (for tests about the web layer only)."""

    languages = ("python",)

    async def run(self, code: str, language: str) -> Any:
        raise RuntimeError("secret-internal-detail at /srv/app/runner.py")


def test_unhandled_errors_are_generic_500s_with_a_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pytest_release.reference")
    app = create_app(make_settings(tmp_path), _NoRunner())
    with serve_in_thread(app) as url:
        response = httpx.post(f"{url}/api/run", json={"code": "1", "language": "python"})
    assert response.status_code == 500
    body = response.json()
    assert body == {"error": "internal server error", "request_id": body["request_id"]}
    assert "secret-internal-detail" not in response.text and "Traceback" not in response.text
    formatter = JsonFormatter()
    logged = [json.loads(formatter.format(r)) for r in caplog.records]
    errors = [line for line in logged if line["event"] == "unhandled-error"]
    assert errors and errors[0]["request_id"] == body["request_id"]
    assert "RuntimeError" in errors[0]["traceback"]


def test_logs_are_json_lines_without_secrets(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pytest_release.reference")
    client.get("/admin", auth=("admin", "a-wrong-password-attempt"))
    client.get("/admin", auth=("admin", PASSWORD))
    formatter = JsonFormatter(secrets=[PASSWORD])
    lines = [formatter.format(record) for record in caplog.records]
    assert lines
    for line in lines:
        entry = json.loads(line)
        assert {"timestamp", "level", "event", "request_id"} <= entry.keys()
        assert PASSWORD not in line and "a-wrong-password-attempt" not in line
    assert any(json.loads(line)["event"] == "admin-auth-failed" for line in lines)
