"""The HTTP security probes against live servers on 127.0.0.1 (no mocks of what they check).

The reference deployment (healthy, and with its security faults on), small ASGI apps
with the classic mistakes (origin checks by prefix/suffix/regex, catch-all pages,
leftover files, path-normalisation bypasses), and the pure rules on recorded inputs.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from pytest_release.probes.access import probe_access
from pytest_release.probes.cors import Severity, Trick, probe_cors
from pytest_release.probes.csp import review_policy
from pytest_release.probes.exposure import Kind, probe_exposure, stack_trace_findings
from pytest_release.probes.header_gate import (
    TRANSPORT_TESTS,
    grade_page,
    is_local_plain_http,
    is_loopback_host,
    judge,
)
from pytest_release.probes.headers import ScanError, analyze
from pytest_release.probes.rawhttp import RawClient
from pytest_release.reference.launcher import ReferenceServer, start_reference_server
from pytest_release.reference.security import content_security_policy
from pytest_release.security_settings import SecuritySettings, security_settings
from pytest_release.settings import ConfigError
from tests.security_servers import (
    AsgiApp,
    Message,
    Receive,
    Send,
    asgi_router,
    reference_over_tls,
    serve_asgi,
)

SECURITY_FAULTS = (
    "git-exposed",
    "env-exposed",
    "server-banner",
    "stack-trace",
    "cors-reflect",
    "admin-open",
    "csp-unsafe-inline",
)
TRUSTED = "https://docs.example.org"


@pytest.fixture(scope="module")
def healthy() -> Iterator[ReferenceServer]:
    with start_reference_server(extra_args=["--cors-origin", TRUSTED], timeout=60) as server:
        yield server


@pytest.fixture(scope="module")
def faulty() -> Iterator[ReferenceServer]:
    with start_reference_server(faults=SECURITY_FAULTS, timeout=60) as server:
        yield server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


# --- headers: the item's gate ---------------------------------------------------------


def test_reference_grades_a_plus_with_transport_tests_not_applicable(
    healthy: ReferenceServer, client: httpx.Client
) -> None:
    gate = grade_page(client, healthy.url + "/", "B")
    assert gate.passed, gate.problems()
    assert gate.report.grade == "A+"
    assert gate.not_applicable == TRANSPORT_TESTS
    hsts = gate.report.tests["strict-transport-security"]
    assert hsts.passed and hsts.score_modifier == 0
    assert hsts.explanation.startswith("Not applicable")


def test_faulty_reference_fails_the_gate(faulty: ReferenceServer, client: httpx.Client) -> None:
    gate = grade_page(client, faulty.url + "/", "B")
    failing = {t.name.value for t in gate.failing}
    # unsafe-inline scores -20 and a reflected origin with credentials -50.
    assert failing == {"content-security-policy", "cross-origin-resource-sharing"}
    assert not gate.grade_ok
    assert any("below the required B" in line for line in gate.problems())


def test_reference_over_tls_is_graded_with_hsts(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = tmp_path / "server.pem"
    ca.issue_cert("localhost", "127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(cert))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with (
        reference_over_tls(cert, context) as url,
        httpx.Client(verify=context, timeout=10) as tls_client,
    ):
        gate = grade_page(tls_client, url + "/", "A")
    assert gate.not_applicable == ()
    assert gate.report.tests["strict-transport-security"].result.value == (
        "hsts-implemented-max-age-at-least-six-months"
    )
    assert gate.passed, gate.problems()


def test_redirects_are_followed_and_errors_are_not_graded(client: httpx.Client) -> None:
    page = (200, [("content-type", "text/html"), ("x-frame-options", "DENY")], b"<html></html>")
    app = asgi_router(
        {"/": (302, [("location", "/login")], b""), "/login": page, "/broken": (500, [], b"x")}
    )
    with serve_asgi(app) as url:
        gate = grade_page(client, url + "/", "B")
        with pytest.raises(ScanError, match="answers HTTP 500"):
            grade_page(client, url + "/broken", "B")
    assert gate.report.url.endswith("/login")
    assert gate.report.tests["x-frame-options"].passed


def test_plain_http_elsewhere_keeps_the_transport_penalties() -> None:
    headers = {
        "content-type": "text/html",
        "content-security-policy": content_security_policy(),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }
    report = analyze("http://staging.example.org/", 200, headers, "<html></html>")
    gate = judge(report, "B")
    assert not is_local_plain_http("http://staging.example.org/")
    assert "strict-transport-security" in {t.name.value for t in gate.failing}
    assert not gate.passed


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("app.localhost", True),
        ("10.0.0.1", False),
        ("example.org", False),
        (None, False),
    ],
)
def test_loopback_hosts(host: str | None, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_minimum_grade_is_enforced_without_any_large_penalty() -> None:
    headers = {
        "content-type": "text/html",
        "content-security-policy": content_security_policy(),
        "strict-transport-security": "max-age=86400",  # -10: under six months
        "referrer-policy": "unsafe-url",  # -5
    }  # and no X-Content-Type-Options: -5
    report = analyze("https://example.org/", 200, headers, "<html></html>")
    assert report.grade == "B+"
    assert judge(report, "B").passed
    strict = judge(report, "A")
    assert strict.failing == ()
    assert not strict.passed
    assert "grade B+ (score 80) is below the required A" in strict.problems()[0]


# --- CSP beyond the grade --------------------------------------------------------------


def test_reference_policy_passes_with_only_the_reporting_warning(
    healthy: ReferenceServer, client: httpx.Client
) -> None:
    response = client.get(healthy.url + "/")
    review = review_policy(healthy.url + "/", response.headers, response.text)
    assert review.passed, [c.message for c in review.failures()]
    assert [c.id for c in review.warnings()] == ["reporting"]


def test_unsafe_inline_fault_is_named(faulty: ReferenceServer, client: httpx.Client) -> None:
    response = client.get(faulty.url + "/")
    review = review_policy(faulty.url + "/", response.headers, response.text)
    assert [c.id for c in review.failures()] == ["script-src-no-unsafe-inline"]
    assert "nonce" in review.failures()[0].message


@pytest.mark.parametrize(
    ("policy", "failing"),
    [
        ("default-src 'self'", {"object-src-none", "frame-ancestors", "base-uri"}),
        (
            "default-src 'none'; script-src 'self' 'unsafe-eval'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'none'",
            {"script-src-no-unsafe-eval"},
        ),
        (
            "default-src 'none'; script-src 'nonce-abc123' 'unsafe-inline'; object-src 'none'; "
            "frame-ancestors 'self'; base-uri 'self'",
            set(),
        ),
        (
            "default-src 'none'; script-src 'strict-dynamic'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'none'",
            {"enforced"},
        ),
        (
            "default-src 'none'; script-src https: http://cdn.example.org; object-src 'none'; "
            "frame-ancestors *; base-uri 'none'",
            {"frame-ancestors", "no-wildcard-sources", "no-http-sources"},
        ),
        (
            "img-src 'self'",
            {"script-src-no-unsafe-inline", "object-src-none", "frame-ancestors", "base-uri"},
        ),
    ],
)
def test_policy_checks(policy: str, failing: set[str]) -> None:
    headers = {"content-type": "text/html", "content-security-policy": policy}
    review = review_policy("https://example.org/", headers, "<html></html>")
    assert {c.id for c in review.failures()} == failing


def test_report_only_and_meta_policies() -> None:
    report_only = review_policy(
        "https://example.org/",
        {"content-type": "text/html", "content-security-policy-report-only": "default-src 'none'"},
        "<html></html>",
    )
    assert [c.id for c in report_only.failures()] == ["enforced"]
    meta = (
        '<html><head><meta http-equiv="Content-Security-Policy" content="default-src '
        "'none'; frame-ancestors 'none'; base-uri 'none'\"></head></html>"
    )
    review = review_policy("https://example.org/", {"content-type": "text/html"}, meta)
    # frame-ancestors is ignored in <meta>: only the header can set it.
    assert {c.id for c in review.failures()} == {"frame-ancestors"}


# --- CORS -------------------------------------------------------------------------------


def test_reference_grants_only_the_configured_origin(
    healthy: ReferenceServer, client: httpx.Client
) -> None:
    report = probe_cors(client, healthy.url, ["/", "/api/run"], [TRUSTED])
    assert report.passed, report.failure_lines()
    granted = {e.origin for e in report.exchanges if e.allow_origin == e.origin}
    assert granted == {TRUSTED}


def test_reflecting_fault_is_critical(faulty: ReferenceServer, client: httpx.Client) -> None:
    report = probe_cors(client, faulty.url, ["/api/run"])
    tricks = {f.trick for f in report.failures() if f.severity is Severity.CRITICAL}
    assert {Trick.ARBITRARY.value, Trick.NULL.value} <= tricks
    assert report.failure_lines()[0].startswith("Origin: https://pytest-release-probe.evil.test")


def cors_app(check: str) -> AsgiApp:
    """An API whose origin check has one classic bug (`check` names it)."""
    trusted_host = "docs.example.org"

    def allowed(origin: str) -> bool:
        if check == "exact":
            return origin == TRUSTED
        if check == "startswith":
            return origin.startswith(TRUSTED)
        if check == "endswith":
            return origin.endswith(trusted_host)
        if check == "regex":
            import re

            return re.match(r"^https://docs.example.org$", origin) is not None
        if check == "null":
            return origin in (TRUSTED, "null")
        if check == "host-only":
            return origin.split("://", 1)[-1] == trusted_host
        raise AssertionError(check)

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        origin = headers.get("origin", "")
        out = [(b"content-type", b"application/json"), (b"vary", b"Origin")]
        if origin and allowed(origin):
            out += [
                (b"access-control-allow-origin", origin.encode()),
                (b"access-control-allow-credentials", b"true"),
            ]
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


@pytest.mark.parametrize(
    ("check", "caught"),
    [
        ("exact", set()),
        ("startswith", {Trick.SUFFIX}),
        ("endswith", {Trick.PREFIX, Trick.SUBDOMAIN, Trick.DOWNGRADE}),
        ("regex", {Trick.UNESCAPED_DOT}),
        ("null", {Trick.NULL}),
        ("host-only", {Trick.DOWNGRADE}),
    ],
)
def test_broken_origin_checks_are_caught(
    check: str, caught: set[Trick], client: httpx.Client
) -> None:
    with serve_asgi(cors_app(check)) as url:
        report = probe_cors(client, url, ["/api/data"], [TRUSTED])
    found = {Trick(f.trick) for f in report.failures()}
    assert found == caught
    assert all(f.severity is Severity.CRITICAL for f in report.failures())


def test_public_wildcard_is_only_a_warning(client: httpx.Client) -> None:
    app = asgi_router({}, (200, [("access-control-allow-origin", "*")], b"{}"))
    with serve_asgi(app) as url:
        report = probe_cors(client, url, ["/public"])
    assert report.passed
    assert [f.severity for f in report.findings] == [Severity.WARN]


# --- exposure ---------------------------------------------------------------------------


def test_reference_exposes_nothing(healthy: ReferenceServer, client: httpx.Client) -> None:
    report = probe_exposure(client, healthy.url)
    assert report.passed, [f.message() for f in report.findings]
    assert report.answered == len(report.probed)


def test_reference_faults_are_found(faulty: ReferenceServer, client: httpx.Client) -> None:
    report = probe_exposure(client, faulty.url)
    by_kind: dict[Kind, set[str]] = {}
    for finding in report.findings:
        by_kind.setdefault(finding.kind, set()).add(finding.where)
    assert by_kind[Kind.EXPOSED_PATH] == {"/.git/HEAD", "/.git/config", "/.env"}
    assert {
        f.what.split(" header")[0] for f in report.findings if f.kind is Kind.VERSION_BANNER
    } == {
        "the server",
        "the x-powered-by",
    }
    assert any("Python traceback" in f.what for f in report.findings if f.kind is Kind.STACK_TRACE)


def test_catch_all_site_is_no_false_positive(client: httpx.Client) -> None:
    page = b"<!doctype html><title>app</title><div id=root></div>"
    app = asgi_router({}, (200, [("content-type", "text/html")], page))
    with serve_asgi(app) as url:
        report = probe_exposure(client, url, extra_paths=["/old-site.zip"])
    assert report.catch_all
    assert report.passed, [f.message() for f in report.findings]


AWS_KEY = "AKIA" + "Z7Q3EXAMPLE0KEY1"
LEFTOVERS = {
    "/": (
        200,
        [("content-type", "text/html")],
        b'<html><script src="/static/app.js"></script></html>',
    ),
    "/static/app.js": (
        200,
        [("content-type", "text/javascript")],
        f'const key = "{AWS_KEY}";\n//# sourceMappingURL=app.js.map\n'.encode(),
    ),
    "/static/app.js.map": (
        200,
        [("content-type", "application/json")],
        b'{"version":3,"sources":["src/app.ts"],"mappings":"AAAA"}',
    ),
    "/.git/HEAD": (200, [("content-type", "text/plain")], b"ref: refs/heads/main\n"),
    "/.DS_Store": (200, [], b"\x00\x00\x00\x01Bud1\x00\x00\x10\x00"),
    "/backup.zip": (200, [("content-type", "application/zip")], b"PK\x03\x04rest-of-zip"),
    "/phpinfo.php": (
        200,
        [("content-type", "text/html")],
        b"<title>phpinfo()</title>PHP Version 8.2",
    ),
    "/api/run": (
        500,
        [("content-type", "text/html"), ("x-powered-by", "Express 4.18.2")],
        b"<pre>TypeError: Cannot read properties of undefined<br> &nbsp; &nbsp;at run "
        b"(/srv/app/routes/run.js:14:22)<br> &nbsp; &nbsp;at Layer.handle</pre>",
    ),
}


def test_leftovers_secrets_maps_and_traces_are_found(client: httpx.Client) -> None:
    with serve_asgi(asgi_router(LEFTOVERS)) as url:
        report = probe_exposure(client, url)
    where = {(f.kind, f.where) for f in report.findings}
    assert {
        (Kind.EXPOSED_PATH, "/.git/HEAD"),
        (Kind.EXPOSED_PATH, "/.DS_Store"),
        (Kind.EXPOSED_PATH, "/backup.zip"),
        (Kind.EXPOSED_PATH, "/phpinfo.php"),
        (Kind.SOURCE_MAP, "/static/app.js.map"),
        (Kind.SECRET, "/static/app.js"),
    } <= where
    traces = [f for f in report.findings if f.kind is Kind.STACK_TRACE]
    assert traces and "Node.js" in traces[0].what
    secret = next(f for f in report.findings if f.kind is Kind.SECRET)
    assert AWS_KEY not in secret.what and "AKIA" in secret.what  # masked
    assert json.dumps(report.evidence()).count(AWS_KEY) == 0


def test_rate_limited_api_leaves_error_handling_unchecked(client: httpx.Client) -> None:
    app = asgi_router(
        {"/api/run": (429, [("retry-after", "60")], b'{"error": "rate limit exceeded"}')}
    )
    with serve_asgi(app) as url:
        report = probe_exposure(client, url)
    assert report.passed
    assert len(report.unchecked) == 1 and "429" in report.unchecked[0]


@pytest.mark.parametrize(
    ("body", "language"),
    [
        ('Traceback (most recent call last):\n  File "/app/x.py", line 3, in run', "Python"),
        ("<b>Fatal error</b>:  Uncaught Error in /var/www/index.php on line <b>12</b>", "PHP"),
        ("PHP Stack trace:\n#0 /var/www/a.php(3): f()", "PHP"),
        ("Error: boom\n    at handler (/srv/app/index.js:10:5)\n", "Node.js"),
        ("java.lang.NullPointerException\n\tat com.example.Api.run(Api.java:42)", "Java"),
        ("NoMethodError\n/app/models/user.rb:12:in `name'", "Ruby"),
        ("goroutine 1 [running]:\nmain.main()", "Go"),
        ("<h2>Server Error in '/' Application.</h2>", ".NET"),
    ],
)
def test_stack_trace_signatures(body: str, language: str) -> None:
    findings = stack_trace_findings("POST /api", body)
    assert findings and language in findings[0].what


@pytest.mark.parametrize(
    "body",
    [
        '{"error": "request body is not valid JSON"}',
        "<h1>500: Something went wrong</h1><p>reference 3f2a</p>",
        "def run(): print('at home (see docs)')",
    ],
)
def test_plain_errors_are_no_stack_traces(body: str) -> None:
    assert stack_trace_findings("POST /api", body) == []


# --- unauthorized access ----------------------------------------------------------------


def test_reference_admin_refuses_every_variant(healthy: ReferenceServer) -> None:
    report = probe_access(RawClient.for_url(healthy.url), ["/admin", "/admin/stats.json"])
    assert report.passed, report.problems()
    assert all(p.exists and p.plain.status == 401 for p in report.paths)


def test_open_admin_is_reported(faulty: ReferenceServer) -> None:
    report = probe_access(RawClient.for_url(faulty.url), ["/admin"])
    assert not report.passed
    assert report.problems()[0].startswith("/admin answers 200 without credentials")


def bypassable_app() -> AsgiApp:
    """Guards only the exact path "/admin" for GET, routes case- and slash-insensitively,
    and honours X-Original-URL: the mistakes that let a front-end check be bypassed."""
    admin = b"<h1>Administration</h1><table>users</table>"

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        raw = scope["raw_path"].decode().split("?", 1)[0]
        guarded = raw == "/admin" and scope["method"] == "GET"
        routed = headers.get("x-original-url", raw).lower().rstrip("/.")
        if guarded:
            status, body = 401, b"login required"
        elif routed == "/admin":
            status, body = 200, admin
        elif raw == "/":
            status, body = 200, b"<h1>home</h1>"
        else:
            status, body = 404, b"not found"
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    return app


def test_bypass_variants_are_found() -> None:
    with serve_asgi(bypassable_app()) as url:
        report = probe_access(RawClient.for_url(url), ["/admin"])
    granted = {a.variant for a in report.paths[0].granted()}
    assert report.paths[0].plain.status == 401
    assert {
        "HEAD instead of GET",
        "upper case",
        "capitalised",
        "trailing slash",
        "trailing dot",
        "X-Original-URL",
    } <= granted
    assert "no credentials" not in granted
    assert "refuses the plain request but lets these through" in report.problems()[0]


def test_catch_all_is_no_bypass() -> None:
    page = b"<!doctype html><div id=root></div><script src=/app.js></script>"
    with serve_asgi(asgi_router({}, (200, [("content-type", "text/html")], page))) as url:
        report = probe_access(RawClient.for_url(url), ["/admin"])
    assert report.catch_all
    assert report.passed, report.problems()


# --- configuration ------------------------------------------------------------------------


def test_security_settings_defaults_and_errors(tmp_path: Path) -> None:
    assert security_settings({}) == SecuritySettings()
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    parsed = security_settings(
        {
            "minimum_grade": "a",
            "cors_allowed_origins": ["https://Docs.Example.org/"],
            "protected_paths": ["/admin", "/internal"],
            "tls_hosts": ["example.org:8443"],
            "ca_file": "ca.pem",
            "expiry_days": 30,
        },
        tmp_path,
    )
    assert parsed.minimum_grade == "A"
    assert parsed.cors_allowed_origins == ("https://docs.example.org",)
    assert parsed.ca_file == ca
    cases: list[tuple[dict[str, object], str]] = [
        ({"minimum_grade": "Z"}, "not a grade"),
        ({"protected_paths": ["admin"]}, "from the site root"),
        ({"cors_allowed_origins": ["*"]}, "not an origin"),
        ({"expiry_day": 3}, "did you mean 'expiry_days'"),
        ({"expiry_days": -1}, "whole number"),
        ({"ca_file": "missing.pem"}, "does not exist"),
        ({"tls_hosts": ["https://x/"]}, "not a host"),
    ]
    for bad, words in cases:
        with pytest.raises(ConfigError, match=words):
            security_settings(bad, tmp_path)
