"""scan(): fetch what the Observatory looks at with an httpx client, then analyze() it.

Like the MDN Observatory it fetches the site over HTTPS and over plain HTTP (same
host and port unless told otherwise), grades the end of the HTTPS chain (or of the
HTTP chain when HTTPS fails), judges redirection on the HTTP chain, sends a CORS
preflight, and collects cookies from every response of the graded chain and from
/robots.txt.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from pytest_release.probes.headers.analyzer import analyze
from pytest_release.probes.headers.model import (
    OBSERVATORY_ORIGIN,
    PreloadEntry,
    Redirect,
    Report,
    ScanContext,
    status_is_gradeable,
)

MAX_REDIRECTS = 20
# Enough for any real page head; a body beyond it is graded on its first part.
MAX_BODY_BYTES = 4 * 1024 * 1024
ACCEPT = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
# What can go wrong between us and a misbehaving server, beyond httpx's own errors.
_FETCH_ERRORS = (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError, UnicodeError)


class ScanError(Exception):
    """The site could not be graded; `reason` says why in words."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(slots=True)
class _Fetch:
    """One followed redirect chain."""

    chain: list[Redirect] = field(default_factory=list)
    response: httpx.Response | None = None
    body: str = ""
    error: str | None = None
    cert_error: bool = False
    # (url, Set-Cookie) from the redirect hops before the final response.
    hop_cookies: list[tuple[str, str]] = field(default_factory=list)


def _is_cert_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the answer is not valid HTTP ({exc})"
    return f"{type(exc).__name__}: {exc}"


def _read_body(response: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY_BYTES:
            break
    return b"".join(chunks)[:MAX_BODY_BYTES].decode(response.encoding or "utf-8", "replace")


def _follow(client: httpx.Client, url: httpx.URL) -> _Fetch:
    """GET `url`, following redirects by hand so that every hop is recorded."""
    fetch = _Fetch()
    for _ in range(MAX_REDIRECTS + 1):
        try:
            request = client.build_request("GET", url, headers=ACCEPT)
            response = client.send(request, follow_redirects=False, stream=True)
        except _FETCH_ERRORS as exc:
            fetch.error = f"GET {url}: {_describe(exc)}"
            fetch.cert_error = _is_cert_error(exc)
            if fetch.cert_error:
                fetch.chain.append(Redirect(str(url), None))
            return fetch
        try:
            fetch.chain.append(Redirect(str(response.url), response.status_code))
            location = response.headers.get("location")
            if response.is_redirect and location:
                fetch.hop_cookies.extend(
                    (str(response.url), v) for v in response.headers.get_list("set-cookie")
                )
                url = response.url.join(location)
                continue
            fetch.body = _read_body(response)
            fetch.response = response
            return fetch
        except _FETCH_ERRORS as exc:
            fetch.error = f"GET {url}: {_describe(exc)}"
            return fetch
        finally:
            response.close()
    fetch.error = f"GET {url}: more than {MAX_REDIRECTS} redirects"
    return fetch


def _unverified_follow(client: httpx.Client, url: httpx.URL) -> _Fetch:
    # Like the Observatory, grade a site with a bad certificate anyway (and say so).
    with httpx.Client(verify=False, timeout=client.timeout, headers=client.headers) as insecure:
        return _follow(insecure, url)


def _preflight(client: httpx.Client, url: httpx.URL, origin: str) -> httpx.Headers | None:
    headers = {"Origin": origin, "Access-Control-Request-Method": "GET"}
    try:
        response = client.request("OPTIONS", url, headers=headers, follow_redirects=False)
    except _FETCH_ERRORS:
        return None
    return response.headers


def _robots_cookies(client: httpx.Client, base: httpx.URL) -> list[tuple[str, str]]:
    robots = base.join("/robots.txt")
    try:
        response = client.get(robots, follow_redirects=False)
    except _FETCH_ERRORS:
        return []
    return [(str(robots), v) for v in response.headers.get_list("set-cookie")]


def _target(url: str) -> httpx.URL:
    try:
        target = httpx.URL(url if "://" in url else f"https://{url}")
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise ScanError(url, f"not a valid URL ({exc})") from exc
    if target.scheme not in ("http", "https") or not target.host:
        raise ScanError(url, "only http:// and https:// URLs with a host can be scanned")
    return target


def scan(
    url: str,
    client: httpx.Client,
    *,
    http_url: str | None = None,
    https_url: str | None = None,
    cors_origin: str = OBSERVATORY_ORIGIN,
    hsts_preload: Mapping[str, PreloadEntry] | None = None,
) -> Report:
    """Fetch `url` the way the Observatory does and grade it; raise ScanError if impossible.

    `http_url` / `https_url` override where the plain-HTTP and HTTPS fetches start
    (default: the host and port of `url` with each scheme). The client's timeouts
    bound every request; TLS is verified with the client's settings.
    """
    target = _target(url)
    https_start = _target(https_url) if https_url else target.copy_with(scheme="https")
    http_start = _target(http_url) if http_url else target.copy_with(scheme="http")

    https_fetch = _follow(client, https_start)
    https_cert_valid = True
    if https_fetch.response is None and https_fetch.cert_error:
        https_cert_valid = False
        https_fetch = _unverified_follow(client, https_start)
    http_fetch = _follow(client, http_start)

    main = https_fetch if https_fetch.response is not None else http_fetch
    response = main.response
    if response is None:
        reasons = "; ".join(e for e in (https_fetch.error, http_fetch.error) if e)
        raise ScanError(url, f"the site seems to be down ({reasons})")
    if not status_is_gradeable(response.status_code):
        raise ScanError(
            url,
            f"the main response is HTTP {response.status_code}; the Observatory grades only "
            "2xx, 3xx, 401 and 403 responses",
        )

    final_url = response.url
    cookies = [*main.hop_cookies, *_robots_cookies(client, final_url)]
    http_available = http_fetch.response is not None or http_fetch.cert_error
    context = ScanContext(
        http_available=http_available,
        https_available=https_fetch.response is not None,
        https_cert_valid=https_cert_valid,
        http_cert_valid=not http_fetch.cert_error,
        cors_origin=cors_origin,
        hsts_preload=hsts_preload or {},
        other_set_cookies=tuple(cookies),
    )
    return analyze(
        str(final_url),
        response.status_code,
        response.headers,
        main.body,
        redirects=http_fetch.chain if http_available else [],
        cors_headers=_preflight(client, final_url, cors_origin),
        context=context,
    )
