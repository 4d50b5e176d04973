"""Firewall rules are configured: only allow-listed ports accept connections on the target host.

``[tool.pytest_release.predeploy.firewall]``: ``host`` (default: the target's), ``ports``
(the list scanned; default: commonly exposed services), ``allowed`` (default 80, 443; the
target's own port is always allowed), ``timeout_s``, ``concurrency``. A target on a
loopback address has no firewall in front of it: set ``host`` to scan the real server.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import area_config
from pytest_release.probes.header_gate import is_loopback_host
from pytest_release.probes.ports import firewall_config, scan
from pytest_release.target import Target


@pytest.mark.checklist("pre.environment.firewall")
def test_only_allowed_ports_open(
    request: pytest.FixtureRequest, evidence: EvidenceRecorder
) -> None:
    config = area_config(request.config, "firewall", firewall_config)
    allowed = set(config.allowed)
    host = config.host
    if host is None:
        target: Target = request.getfixturevalue("target")
        parts = urlsplit(target.url)
        host = parts.hostname or ""
        if is_loopback_host(host):
            inconclusive(
                f"the target {target.url} is on a loopback address, where no firewall applies: "
                "set host = 'your.server' in [tool.pytest_release.predeploy.firewall] to scan it"
            )
        allowed.add(parts.port or (443 if parts.scheme == "https" else 80))
    result = scan(host, config.ports, allowed, config.timeout_s, config.concurrency)
    evidence.attach("port-scan", result.evidence(), "json")
    if result.unexpected:
        ports = ", ".join(str(p) for p in result.unexpected)
        pytest.fail(
            f"{host}: port(s) {ports} accept connections but are not allowed: close them in the "
            "firewall (or stop the service), or add them to allowed if they must be public",
            pytrace=False,
        )
