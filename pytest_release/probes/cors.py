"""CORS: does the target grant untrusted origins access, and with credentials?

For each configured endpoint it sends a simple GET and a preflight (OPTIONS) carrying
crafted origins, the classic ways an origin check goes wrong (see PortSwigger's "CORS
vulnerabilities" and James Kettle's "Exploiting CORS misconfigurations"):

* an arbitrary origin and ``null`` (sandboxed iframes, file: pages),
* suffix and prefix tricks on each trusted origin (``https://docs.example.org.evil.test``
  beats a ``startswith`` check, ``https://evildocs.example.org`` an ``endswith`` one),
* an unescaped dot (``docsxexample.org`` matches the regex ``docs.example.org``),
* the http:// downgrade of an https origin and an unknown subdomain of it.

Trusted are the configured allow-list and the target's own origin. Reflecting any other
origin fails; doing it with ``Access-Control-Allow-Credentials: true`` is the worst case,
because any site can then read authenticated responses. Requests are GET and OPTIONS only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx

ARBITRARY_ORIGIN = "https://pytest-release-probe.evil.test"
EVIL_DOMAIN = "evil.test"  # RFC 2606 reserves .test: these origins can never be real sites


class Trick(StrEnum):
    """How a crafted origin was made."""

    ARBITRARY = "arbitrary"
    NULL = "null"
    SUFFIX = "suffix"
    PREFIX = "prefix"
    UNESCAPED_DOT = "unescaped-dot"
    DOWNGRADE = "http-downgrade"
    SUBDOMAIN = "subdomain"


class Severity(StrEnum):
    """CRITICAL and HIGH fail the check; WARN is reported only."""

    CRITICAL = "critical"
    HIGH = "high"
    WARN = "warn"


@dataclass(frozen=True, slots=True)
class CraftedOrigin:
    origin: str
    trick: Trick
    based_on: str | None = None


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request with a crafted Origin and the CORS headers that came back."""

    method: str
    url: str
    origin: str
    status: int | None
    allow_origin: str | None
    allow_credentials: bool
    vary_origin: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CorsFinding:
    severity: Severity
    method: str
    endpoint: str
    origin: str
    trick: str
    message: str


@dataclass(frozen=True, slots=True)
class CorsReport:
    """Findings plus every exchange, for the evidence."""

    trusted: tuple[str, ...]
    findings: tuple[CorsFinding, ...]
    exchanges: tuple[Exchange, ...]

    def failures(self) -> list[CorsFinding]:
        return [f for f in self.findings if f.severity is not Severity.WARN]

    def warnings(self) -> list[CorsFinding]:
        return [f for f in self.findings if f.severity is Severity.WARN]

    @property
    def passed(self) -> bool:
        return not self.failures()

    def failure_lines(self) -> list[str]:
        """One line per untrusted origin granted: where, and how badly; worst first."""
        grouped: dict[str, list[CorsFinding]] = {}
        for finding in sorted(self.failures(), key=lambda f: f.severity is not Severity.CRITICAL):
            grouped.setdefault(finding.origin, []).append(finding)
        lines = []
        for origin, findings in grouped.items():
            first = findings[0]
            where = ", ".join(dict.fromkeys(f"{f.method} {f.endpoint}" for f in findings))
            based = f" ({first.trick} trick)" if first.trick not in ("arbitrary", "null") else ""
            credentials = (
                " WITH credentials (any site can read responses with the visitor's cookies)"
                if first.severity is Severity.CRITICAL
                else ""
            )
            lines.append(f"Origin: {origin}{based} is granted{credentials} on {where}")
        return lines

    @property
    def answered(self) -> int:
        """How many exchanges got an HTTP answer at all (0: the probe saw nothing)."""
        return sum(e.status is not None for e in self.exchanges)

    def evidence(self) -> dict[str, Any]:
        return {
            "trusted_origins": list(self.trusted),
            "passed": self.passed,
            "findings": [
                {
                    "severity": f.severity.value,
                    "method": f.method,
                    "endpoint": f.endpoint,
                    "origin": f.origin,
                    "trick": f.trick,
                    "message": f.message,
                }
                for f in self.findings
            ],
            "exchanges": [
                {
                    "method": e.method,
                    "url": e.url,
                    "origin": e.origin,
                    "status": e.status,
                    "access-control-allow-origin": e.allow_origin,
                    "access-control-allow-credentials": e.allow_credentials,
                    "vary-origin": e.vary_origin,
                    "error": e.error,
                }
                for e in self.exchanges
            ],
        }


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower case, default ports dropped."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def _with_host(origin: str, host: str, scheme: str | None = None) -> str:
    parts = urlsplit(origin)
    port = f":{parts.port}" if parts.port else ""
    return f"{scheme or parts.scheme}://{host}{port}"


def crafted_origins(trusted: Sequence[str]) -> list[CraftedOrigin]:
    """The untrusted origins to try, derived from the trusted ones (deduplicated)."""
    crafted = [
        CraftedOrigin(ARBITRARY_ORIGIN, Trick.ARBITRARY),
        CraftedOrigin("null", Trick.NULL),
    ]
    for base in trusted:
        parts = urlsplit(base)
        host = parts.hostname or ""
        crafted.append(CraftedOrigin(_with_host(base, f"{host}.{EVIL_DOMAIN}"), Trick.SUFFIX, base))
        crafted.append(CraftedOrigin(_with_host(base, f"evil{host}"), Trick.PREFIX, base))
        crafted.append(CraftedOrigin(_with_host(base, f"evil.{host}"), Trick.SUBDOMAIN, base))
        if "." in host and not host.replace(".", "").isdigit():
            dotless = host.replace(".", "x", 1)
            crafted.append(CraftedOrigin(_with_host(base, dotless), Trick.UNESCAPED_DOT, base))
        if parts.scheme == "https":
            crafted.append(CraftedOrigin(_with_host(base, host, "http"), Trick.DOWNGRADE, base))
    trusted_set = set(trusted)
    seen: set[str] = set()
    unique = []
    for candidate in crafted:
        if candidate.origin not in seen and candidate.origin not in trusted_set:
            seen.add(candidate.origin)
            unique.append(candidate)
    return unique


def _exchange(client: httpx.Client, method: str, url: str, origin: str) -> Exchange:
    headers = {"Origin": origin}
    if method == "OPTIONS":
        headers["Access-Control-Request-Method"] = "POST"
        headers["Access-Control-Request-Headers"] = "content-type"
    try:
        response = client.request(method, url, headers=headers, follow_redirects=False)
    except httpx.HTTPError as exc:
        return Exchange(
            method, url, origin, None, None, False, False, f"{type(exc).__name__}: {exc}"
        )
    allow_origin = response.headers.get("access-control-allow-origin")
    credentials = response.headers.get("access-control-allow-credentials", "").strip().lower()
    vary = {v.strip().lower() for v in response.headers.get("vary", "").split(",")}
    return Exchange(
        method,
        url,
        origin,
        response.status_code,
        allow_origin.strip() if allow_origin is not None else None,
        credentials == "true",
        "origin" in vary or "*" in vary,
    )


def _judge(exchange: Exchange, crafted: CraftedOrigin, endpoint: str) -> CorsFinding | None:
    granted = exchange.allow_origin
    if granted is None:
        return None
    how = f"{exchange.method} {endpoint} with Origin: {crafted.origin}"
    if crafted.based_on:
        how += f" ({crafted.trick.value} trick on the trusted {crafted.based_on})"
    if granted == crafted.origin:
        if exchange.allow_credentials:
            return CorsFinding(
                Severity.CRITICAL,
                exchange.method,
                endpoint,
                crafted.origin,
                crafted.trick.value,
                f"{how} is reflected in Access-Control-Allow-Origin together with "
                "Access-Control-Allow-Credentials: true, so any site can read this endpoint's "
                "responses with the visitor's cookies: allow only an exact list of trusted "
                "origins (compare whole origins, never prefixes, suffixes or regexes)",
            )
        return CorsFinding(
            Severity.HIGH,
            exchange.method,
            endpoint,
            crafted.origin,
            crafted.trick.value,
            f"{how} is reflected in Access-Control-Allow-Origin, so that origin may read the "
            "responses: allow only an exact list of trusted origins",
        )
    if granted == "*" and exchange.allow_credentials:
        return CorsFinding(
            Severity.WARN,
            exchange.method,
            endpoint,
            crafted.origin,
            crafted.trick.value,
            f"{how}: Access-Control-Allow-Origin: * with credentials (browsers refuse it, but "
            "it shows the policy is unthought-out): drop Access-Control-Allow-Credentials",
        )
    return None


def probe_cors(
    client: httpx.Client,
    base_url: str,
    endpoints: Iterable[str],
    allowed_origins: Sequence[str] = (),
) -> CorsReport:
    """Send crafted origins to every endpoint (GET and preflight) and judge the answers."""
    own = origin_of(base_url)
    trusted = tuple(dict.fromkeys([own, *(origin_of(o) for o in allowed_origins)]))
    candidates = crafted_origins(trusted)
    findings: list[CorsFinding] = []
    exchanges: list[Exchange] = []
    wildcard_seen: set[str] = set()
    base = base_url.rstrip("/")
    for endpoint in dict.fromkeys(endpoints):
        url = base + endpoint
        for crafted in candidates:
            for method in ("GET", "OPTIONS"):
                exchange = _exchange(client, method, url, crafted.origin)
                exchanges.append(exchange)
                finding = _judge(exchange, crafted, endpoint)
                if finding is not None:
                    findings.append(finding)
                elif exchange.allow_origin == "*" and endpoint not in wildcard_seen:
                    wildcard_seen.add(endpoint)
                    findings.append(
                        CorsFinding(
                            Severity.WARN,
                            method,
                            endpoint,
                            crafted.origin,
                            crafted.trick.value,
                            f"{endpoint} is readable by every site (Access-Control-Allow-Origin: "
                            "*); fine for public data, wrong for anything per-user",
                        )
                    )
        for origin in trusted[1:]:
            exchange = _exchange(client, "OPTIONS", url, origin)
            exchanges.append(exchange)
            if exchange.allow_origin == origin and not exchange.vary_origin:
                findings.append(
                    CorsFinding(
                        Severity.WARN,
                        "OPTIONS",
                        endpoint,
                        origin,
                        "trusted",
                        f"{endpoint} grants {origin} without 'Vary: Origin', so a shared cache "
                        "may serve that grant to other origins: add Vary: Origin",
                    )
                )
    return CorsReport(trusted, tuple(findings), tuple(exchanges))
