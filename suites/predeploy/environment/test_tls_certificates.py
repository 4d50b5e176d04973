"""SSL certificates are installed and valid: on the https target and on configured hosts.

Certificate window (fails within ``expiry_days``, default 14, of expiry), hostname, chain
to the trust store (the system's, ``SSL_CERT_FILE``, or ``ca_file``), key size, signature
hash, TLS 1.2 or newer only, and HSTS on the target. A target on plain HTTP fails,
except on a loopback address: a local deployment has no certificate to check, which the
evidence records as "not applicable" (configure ``tls_hosts`` to check where TLS ends).
"""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import httpx
import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.keys import SETTINGS_KEY
from pytest_release.probes.header_gate import is_loopback_host
from pytest_release.probes.tls import TlsReport, combine, hsts_issue, probe_tls, split_host
from pytest_release.security_settings import settings_for
from pytest_release.target import USER_AGENT, Target


def _target_url(request: pytest.FixtureRequest) -> str:
    """The configured target URL, without the `target` fixture when one is configured.

    The `target` fixture verifies TLS to decide reachability, so a bad certificate would
    make the run INCONCLUSIVE ("unreachable"); this item must instead name what is wrong
    with the certificate. Without a configured URL the reference deployment is started.
    """
    configured = request.config.stash[SETTINGS_KEY].target_url
    if configured:
        return configured
    target: Target = request.getfixturevalue("target")
    return target.url


@pytest.mark.checklist("pre.environment.ssl-certificates")
def test_tls_certificates(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    security = settings_for(request.config)
    target_url = _target_url(request)
    parts = urlsplit(target_url)
    endpoints = [split_host(h) for h in security.tls_hosts]
    if parts.scheme == "https":
        endpoints.insert(0, (parts.hostname or "", parts.port or 443))
    elif not is_loopback_host(parts.hostname):
        evidence.attach("tls", {"target": target_url, "tls": False}, "json")
        pytest.fail(
            f"the target {target_url} is served over plain HTTP: install a certificate and "
            "serve it over HTTPS (redirect http:// to https://)",
            pytrace=False,
        )
    if not endpoints:
        evidence.attach(
            "tls",
            {
                "target": target_url,
                "applicable": False,
                "reason": "plain HTTP on a loopback address (a local deployment) and no "
                "tls_hosts configured: there is no certificate to check",
            },
            "json",
        )
        return
    reports: list[TlsReport] = [
        probe_tls(host, port, ca_file=security.ca_file, expiry_days=security.expiry_days)
        for host, port in dict.fromkeys(endpoints)
    ]
    problems = [f"{r.host}:{r.port}: {i.message}" for r in reports for i in r.issues]
    data = combine(reports)
    if parts.scheme == "https":
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=str(security.ca_file)) if security.ca_file else True
        )
        try:
            response = httpx.get(
                target_url, verify=verify, headers={"User-Agent": USER_AGENT}, timeout=10
            )
            issue = hsts_issue(response.headers.get("strict-transport-security"))
            data["hsts"] = response.headers.get("strict-transport-security")
        except httpx.HTTPError as exc:
            issue = None
            data["hsts"] = f"not checked: {exc}"
        if issue is not None:
            problems.append(f"{target_url}: {issue.message}")
    evidence.attach("tls", data, "json")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
