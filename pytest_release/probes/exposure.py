"""Sensitive information a deployment gives away: files, banners, stack traces, secrets.

``probe_exposure`` makes a bounded number of read requests to the target only:

* GET every curated path (``exposure_signatures.EXPOSED_PATHS``) and report it only when
  the answer is 2xx *and* its content matches the path's signature, so catch-all pages
  are no false positives; extra configured paths count when they answer 2xx with
  something other than the catch-all page;
* read ``Server``/``X-Powered-By``/... on pages and error responses for version numbers;
* send malformed requests (invalid JSON, wrong types, a bad percent-escape) and look for
  Python, PHP, Node, Java, Ruby, .NET and Go stack traces in the answers;
* scan the pages and their same-origin scripts for secrets, and look for source maps.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from pytest_release.probes.exposure_signatures import (
    BANNER_HEADERS,
    EXPOSED_PATHS,
    SECRET_PATTERNS,
    SOURCE_MAP,
    SOURCE_MAP_FIX,
    STACK_TRACES,
    VERSION,
    ExposedPath,
    mask,
)
from pytest_release.probes.fetch import Fetched, fetch

PATH_LIMIT = 64 * 1024
PAGE_LIMIT = 2 * 1024 * 1024
MAX_SCRIPTS = 20
WORKERS = 8
_SOURCE_MAP_COMMENT = re.compile(rb"//[#@]\s*sourceMappingURL=([^\s'\"]+)\s*$", re.MULTILINE)


class Kind(StrEnum):
    EXPOSED_PATH = "exposed-path"
    SOURCE_MAP = "source-map"
    VERSION_BANNER = "version-banner"
    STACK_TRACE = "stack-trace"
    SECRET = "secret"


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of exposed information: where, what, and how to stop exposing it."""

    kind: Kind
    where: str
    what: str
    fix: str

    def message(self) -> str:
        return f"{self.where}: {self.what}; {self.fix}"


@dataclass(frozen=True, slots=True)
class ExposureReport:
    findings: tuple[Finding, ...]
    probed: tuple[tuple[str, int | None], ...]  # (request, status) of every request made
    catch_all: bool  # a random path answered 2xx
    # Checks that could not be made (e.g. an API that rate-limited the malformed requests).
    unchecked: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def answered(self) -> int:
        return sum(status is not None for _, status in self.probed)

    def evidence(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "catch_all_answers_200": self.catch_all,
            "unchecked": list(self.unchecked),
            "findings": [
                {"kind": f.kind.value, "where": f.where, "what": f.what, "fix": f.fix}
                for f in self.findings
            ],
            "requests": [{"request": r, "status": s} for r, s in self.probed],
        }


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            src = dict(attrs).get("src")
            if src:
                self.sources.append(src)


def script_sources(html: str) -> list[str]:
    """The src of every <script> in a page, in order."""
    parser = _Scripts()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # the stdlib parser asserts on some malformed markup
        pass
    return parser.sources


def banner_findings(where: str, headers: httpx.Headers) -> list[Finding]:
    """Software versions in Server, X-Powered-By and friends."""
    findings = []
    for name in BANNER_HEADERS:
        for value in headers.get_list(name):
            if VERSION.search(value):
                findings.append(
                    Finding(
                        Kind.VERSION_BANNER,
                        where,
                        f"the {name} header names software versions ({name}: {value})",
                        f"remove the version from {name} (or the header itself) in the web "
                        "server or framework settings",
                    )
                )
    return findings


def stack_trace_findings(where: str, text: str) -> list[Finding]:
    """The first stack-trace signature found in an answer (one finding per answer)."""
    for name, pattern in STACK_TRACES:
        match = pattern.search(text)
        if match:
            excerpt = " ".join(match.group(0).split())[:120]
            return [
                Finding(
                    Kind.STACK_TRACE,
                    where,
                    f"the answer carries a {name} ({excerpt!r})",
                    "show a generic error page with a request id and log the trace instead "
                    "(turn debug mode off)",
                )
            ]
    return []


def secret_findings(where: str, text: str) -> list[Finding]:
    """Secrets in a page or script, masked."""
    findings = []
    seen: set[str] = set()
    for rule in SECRET_PATTERNS:
        for match in rule.pattern.finditer(text):
            value = match.group(0)
            if value in seen:
                continue
            seen.add(value)
            findings.append(
                Finding(
                    Kind.SECRET,
                    where,
                    f"a {rule.name} is in the response ({mask(value)})",
                    "remove it from the code sent to browsers, keep it server-side, and rotate it",
                )
            )
    return findings


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _looks_like(body: bytes, baseline: Fetched | None) -> bool:
    """True when `body` is the catch-all answer (same bytes, or nearly the same length)."""
    if baseline is None or not baseline.ok:
        return False
    if body == baseline.body:
        return True
    longer = max(len(body), len(baseline.body)) or 1
    return abs(len(body) - len(baseline.body)) / longer < 0.02


def _path_finding(entry: ExposedPath, answer: Fetched) -> Finding | None:
    if answer.ok and entry.signature.search(answer.body):
        return Finding(Kind.EXPOSED_PATH, entry.path, f"{entry.what} is served", entry.fix)
    return None


def _malformed_requests(api_paths: Sequence[str]) -> list[tuple[str, str, bytes | None]]:
    """(method, path, body) of requests a robust server answers with a plain 4xx.

    Few on purpose: an API with a rate limit counts them (see ExposureReport.unchecked).
    """
    requests: list[tuple[str, str, bytes | None]] = []
    for path in api_paths:
        requests += [
            ("POST", path, b'{"code": "print(1)", "language": '),
            ("POST", path, b'{"code": 5, "language": "python"}'),
            ("POST", path, b'[{"code": null}]'),
        ]
    requests += [("GET", "/%ff%fe", None), ("GET", "/?id[]=1&id=%zz", None)]
    return requests


def probe_exposure(
    client: httpx.Client,
    base_url: str,
    *,
    pages: Iterable[str] = ("/",),
    api_paths: Sequence[str] = ("/api/run",),
    extra_paths: Sequence[str] = (),
    max_scripts: int = MAX_SCRIPTS,
) -> ExposureReport:
    """Look for exposed files, version banners, stack traces and secrets (see module doc)."""
    base = base_url.rstrip("/")
    findings: list[Finding] = []
    probed: list[tuple[str, int | None]] = []

    def get(path_or_url: str, limit: int = PATH_LIMIT, **kwargs: Any) -> Fetched:
        url = path_or_url if "://" in path_or_url else base + path_or_url
        answer = fetch(client, kwargs.pop("method", "GET"), url, limit=limit, **kwargs)
        probed.append((f"{answer.method} {path_or_url}", answer.status))
        return answer

    scripts: list[str] = []
    for page in dict.fromkeys(pages):
        answer = get(page, PAGE_LIMIT)
        findings += banner_findings(page, answer.headers)
        text = answer.text()
        findings += secret_findings(page, text)
        for src in script_sources(text):
            absolute = urljoin(base + page, src)
            if _same_origin(absolute, base) and absolute not in scripts:
                scripts.append(absolute)

    missing = f"/pytest-release-{secrets.token_hex(6)}.txt"
    baseline = get(missing)
    findings += banner_findings(f"GET {missing} (a missing page)", baseline.headers)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        answers = list(pool.map(lambda e: get(e.path), EXPOSED_PATHS))
        extra = list(pool.map(get, extra_paths))
    for entry, answer in zip(EXPOSED_PATHS, answers, strict=True):
        finding = _path_finding(entry, answer)
        if finding is not None:
            findings.append(finding)
    for path, answer in zip(extra_paths, extra, strict=True):
        if answer.ok and not _looks_like(answer.body, baseline):
            findings.append(
                Finding(
                    Kind.EXPOSED_PATH,
                    path,
                    f"it answers {answer.status} with content (configured as must-not-serve)",
                    "remove it from the web root or deny it in the web server",
                )
            )

    for url in scripts[:max_scripts]:
        findings += _script_findings(get, url, base, baseline)

    judged: dict[str, bool] = {}
    for method, path, body in _malformed_requests(api_paths):
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/html"}
        answer = get(path, method=method, content=body, headers=headers if body else None)
        where = f"{method} {path}" + (f" with {body.decode()!r}" if body else "")
        findings += stack_trace_findings(where, answer.text())
        findings += banner_findings(where, answer.headers)
        # A 429 (or no answer) says nothing about how the API handles bad input.
        usable = answer.status is not None and answer.status != 429
        judged[path] = judged.get(path, False) or usable

    unchecked = tuple(
        f"{path}: every malformed request was answered 429 (rate limited) or not at all, so "
        "its error handling was not seen; run this check before load or rate-limit tests"
        for path, usable in judged.items()
        if not usable
    )
    return ExposureReport(tuple(_unique(findings)), tuple(probed), baseline.ok, unchecked)


def _script_findings(get: Any, url: str, base: str, baseline: Fetched) -> list[Finding]:
    answer: Fetched = get(url, PAGE_LIMIT)
    if not answer.ok:
        return []
    where = url.removeprefix(base)
    findings = secret_findings(where, answer.text())
    declared = answer.headers.get("sourcemap") or answer.headers.get("x-sourcemap")
    match = _SOURCE_MAP_COMMENT.search(answer.body[-4096:])
    if declared is None and match is not None:
        declared = match.group(1).decode("latin-1")
    if declared is not None and declared.startswith("data:"):
        return findings  # an inline map ships with the script itself; nothing extra exposed
    map_url = urljoin(url, declared) if declared else url.split("?", 1)[0] + ".map"
    if not _same_origin(map_url, base):
        return findings
    source_map = get(map_url, PATH_LIMIT)
    if (
        source_map.ok
        and SOURCE_MAP.search(source_map.body)
        and not _looks_like(source_map.body, baseline)
    ):
        findings.append(
            Finding(
                Kind.SOURCE_MAP,
                map_url.removeprefix(base),
                "a source map (the original source code) is served",
                SOURCE_MAP_FIX,
            )
        )
    return findings


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    """Drop repeats: the same banner on every response is one finding."""
    seen: set[tuple[Kind, str]] = set()
    unique = []
    for finding in findings:
        key = (
            finding.kind,
            finding.what if finding.kind is Kind.VERSION_BANNER else finding.message(),
        )
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique
