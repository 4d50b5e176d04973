"""The security suites run as a user runs them (a pytest subprocess in the project root).

Against the bundled reference deployment: healthy, every item passes with grade A or
better; each security fault switch fails exactly its item(s). Over TLS, the TLS item and
HSTS are checked for real. Against a third-party Flask app (flask-cors reflecting origins
with credentials, no security headers): the problems are reported, the verdict is not
GO, and nothing crashes.
"""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from flask import Flask, Response, jsonify, request
from flask_cors import CORS

from tests.security_servers import reference_over_tls, serve_wsgi
from tests.suite_runner import run_and_read

SUITES = (
    "suites/postdeploy/security/test_security_headers.py",
    "suites/postdeploy/security/test_sensitive_information.py",
    "suites/postdeploy/security/test_unauthorized_access.py",
    "suites/predeploy/security/test_content_security_policy.py",
    "suites/predeploy/security/test_cors.py",
    "suites/predeploy/environment/test_tls_certificates.py",
)
ITEMS = frozenset(
    {
        "post.security.headers",
        "post.security.sensitive-information",
        "post.security.unauthorized-access",
        "pre.security.csp",
        "pre.security.cors",
        "pre.environment.ssl-certificates",
    }
)
# The Observatory grade counts CSP and CORS too, so their faults also sink the headers
# item (-25 missing CSP, -20 'unsafe-inline', -50 an origin reflected with credentials):
# that is the rule "fail on any result scored -20 or worse" doing its job.
FAULT_ITEMS = {
    "csp-missing": {"pre.security.csp", "post.security.headers"},
    "csp-unsafe-inline": {"pre.security.csp", "post.security.headers"},
    "cors-reflect": {"pre.security.cors", "post.security.headers"},
    "git-exposed": {"post.security.sensitive-information"},
    "env-exposed": {"post.security.sensitive-information"},
    "server-banner": {"post.security.sensitive-information"},
    "stack-trace": {"post.security.sensitive-information"},
    "admin-open": {"post.security.unauthorized-access"},
}


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    results: dict[str, Any]
    report_dir: Path

    def statuses(self) -> dict[str, str]:
        return {i["id"]: i["status"] for i in self.results["checklist"] if i["id"] in ITEMS}

    def failing(self) -> set[str]:
        return {item for item, status in self.statuses().items() if status == "fail"}

    def outcomes(self) -> set[str]:
        return {t["outcome"] for t in self.results["tests"]}

    def evidence(self, name: str) -> Any:
        found = sorted(self.report_dir.glob(f"evidence/*/{name}.json"))
        assert found, f"no evidence {name}.json in {self.report_dir}"
        return json.loads(found[0].read_text(encoding="utf-8"))


def run_suites(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, files: tuple[str, ...] = SUITES
) -> Run:
    report_dir = tmp_path / "reports"
    finished = run_and_read(files, report_dir, extra_args=args, env=env, timeout=300)
    return Run(*finished, report_dir)


def test_healthy_reference_passes_every_item_with_grade_a(tmp_path: Path) -> None:
    run = run_suites(tmp_path)
    assert run.statuses() == dict.fromkeys(ITEMS, "pass"), run.output[-3000:]
    assert run.results["verdict"] == "GO"
    assert run.returncode == 0
    grades = run.evidence("observatory-grade")["grades"]
    assert all(grade in ("A+", "A") for grade in grades.values()), grades
    tls = run.evidence("tls")
    assert tls["applicable"] is False and "loopback" in tls["reason"]


@pytest.mark.parametrize("fault", sorted(FAULT_ITEMS))
def test_each_fault_fails_exactly_its_items(tmp_path: Path, fault: str) -> None:
    run = run_suites(tmp_path, "--release-fault", fault)
    assert run.failing() == FAULT_ITEMS[fault], run.output[-3000:]
    assert all(run.statuses()[item] == "pass" for item in ITEMS - FAULT_ITEMS[fault])
    assert run.results["verdict"] != "GO"
    assert "error" not in run.outcomes()


UNRELATED_FAULTS = (
    "malformed-json-500",
    "run-500",
    "console-error",
    "broken-asset",
    "output-as-html",
    "no-rate-limit",
    "metrics-missing",
    "wrong-version",
)


def test_unrelated_faults_leave_every_security_item_passing(tmp_path: Path) -> None:
    run = run_suites(tmp_path, env={"PYTEST_RELEASE_FAULTS": ",".join(UNRELATED_FAULTS)})
    assert run.statuses() == dict.fromkeys(ITEMS, "pass"), run.output[-3000:]


def test_fault_is_exactly_one_item_within_a_phase(tmp_path: Path) -> None:
    run = run_suites(
        tmp_path, "-m", "postdeploy and security", env={"PYTEST_RELEASE_FAULTS": "csp-missing"}
    )
    assert run.failing() == {"post.security.headers"}
    assert run.results["verdict"] == "ROLLBACK"


@pytest.fixture
def tls_reference(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ca = trustme.CA()
    cert = tmp_path / "server.pem"
    ca.issue_cert("localhost", "127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(cert))
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(cafile=str(ca_file))
    with reference_over_tls(cert, context) as url:
        yield url, ca_file


def test_reference_over_tls_passes_with_tls_and_hsts_checked(
    tmp_path: Path, tls_reference: tuple[str, Path]
) -> None:
    url, ca_file = tls_reference
    run = run_suites(tmp_path, "--target-url", url, env={"SSL_CERT_FILE": str(ca_file)})
    assert run.statuses() == dict.fromkeys(ITEMS, "pass"), run.output[-3000:]
    tls = run.evidence("tls")
    assert tls["passed"] and tls["hsts"].startswith("max-age=")
    assert tls["endpoints"][0]["chain"][0]["dns_names"] == ["localhost"]
    grade = run.evidence("observatory-grade")["pages"]["/"]
    assert grade["not_applicable"] == [] and grade["grade"] in ("A+", "A")


def test_untrusted_certificate_fails_the_tls_item_with_its_reason(
    tmp_path: Path, tls_reference: tuple[str, Path]
) -> None:
    url, _ = tls_reference  # no SSL_CERT_FILE: the trustme root is unknown to this client
    run = run_suites(tmp_path, "--target-url", url)
    assert run.statuses()["pre.environment.ssl-certificates"] == "fail"
    assert run.results["verdict"] == "NO-GO"  # blocking beats "unreachable" for the rest
    issues = run.evidence("tls")["endpoints"][0]["issues"]
    # trustme's root signs the leaf directly and the server sends only the leaf. Seen from
    # the client that is the same as a missing intermediate, and publicly trusted roots
    # never sign leaves (BR 6.1.7), so the probe says "incomplete chain"; its message
    # names the private-root case and its fix (ca_file) as well.
    assert [i["problem"] for i in issues] == ["incomplete-chain"]
    assert "ca_file" in issues[0]["message"]


def third_party_app() -> Flask:
    """A small real-world Flask API: flask-cors with credentials, no security headers."""
    app = Flask("third_party_notes")
    CORS(app, supports_credentials=True)  # reflects any Origin, with credentials
    secret = "s3cret-" + "x" * 8

    @app.get("/")
    def home() -> str:
        return "<!doctype html><title>Notes</title><h1>Notes</h1><script src='/app.js'></script>"

    @app.get("/app.js")
    def script() -> Response:
        return Response("console.log('notes');", mimetype="text/javascript")

    @app.post("/api/run")
    def run() -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not isinstance(data.get("code"), str):
            return Response('{"error": "bad request"}', status=400, mimetype="application/json")
        return jsonify(output="", error=None, exit_code=0, duration_ms=1)

    @app.get("/admin")
    def admin() -> Response:
        expected = "Basic " + base64.b64encode(f"admin:{secret}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return Response("login required", status=401)
        return Response("<h1>admin</h1>")

    return app


def test_third_party_app_is_reported_not_go_and_nothing_crashes(tmp_path: Path) -> None:
    with serve_wsgi(third_party_app()) as url:
        run = run_suites(tmp_path, "--target-url", url)
    assert {"post.security.headers", "pre.security.cors", "pre.security.csp"} <= run.failing()
    assert run.results["verdict"] not in ("GO", "INCONCLUSIVE")
    assert run.returncode == 1
    assert "error" not in run.outcomes()
    assert "Traceback" not in run.output
    headers = run.evidence("observatory-grade")["pages"]["/"]
    assert headers["tests"]["content-security-policy"]["result"] == "csp-not-implemented"
    assert headers["tests"]["cross-origin-resource-sharing"]["result"] == (
        "cross-origin-resource-sharing-implemented-with-universal-access"
    )
    cors = run.evidence("cors")
    assert any(f["severity"] == "critical" for f in cors["findings"])
    banners = run.evidence("software-versions-in-headers")["findings"]
    assert any("Werkzeug" in f["what"] for f in banners)
