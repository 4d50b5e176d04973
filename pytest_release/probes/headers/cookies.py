"""Set-Cookie parsing (a small RFC 6265 cookie jar) and the Observatory's cookie test.

Rules follow the MDN HTTP Observatory (mdn/mdn-http-observatory, MPL-2.0).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from pytest_release.probes.headers.model import Result, Verdict

# See mozilla/http-observatory#282: this load-balancer cookie is outside the site's control.
IGNORED_COOKIES = frozenset({"heroku-session-affinity"})
SAMESITE_VALUES = frozenset({"strict", "lax", "none"})
SESSION_MARKERS = ("login", "sess")

# Worst last: a cookie can only make the result worse.
_SEVERITY = (
    Result.COOKIES_NO_SECURE_BUT_HSTS,
    Result.COOKIES_NO_SECURE,
    Result.COOKIES_SESSION_NO_SECURE_BUT_HSTS,
    Result.COOKIES_SAMESITE_INVALID,
    Result.COOKIES_ANTICSRF_NO_SAMESITE,
    Result.COOKIES_SESSION_NO_HTTPONLY,
    Result.COOKIES_SESSION_NO_SECURE,
)


@dataclass(frozen=True, slots=True)
class Cookie:
    """One cookie as a browser's jar would store it."""

    name: str
    value: str
    domain: str
    host_only: bool
    path: str
    secure: bool
    http_only: bool
    # "strict", "lax", "none", or None when absent or unrecognised.
    same_site: str | None


def _default_path(url_path: str) -> str:
    if not url_path.startswith("/") or url_path.count("/") == 1:
        return "/"
    return url_path[: url_path.rindex("/")]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def parse_set_cookie(header: str, url: str) -> Cookie | None:
    """Parse one Set-Cookie value received from `url`; None when a jar would reject it."""
    pair, *attributes = header.split(";")
    if "=" not in pair:
        return None
    name, value = (part.strip() for part in pair.split("=", 1))
    if not name:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    domain, host_only, path = host, True, ""
    secure = http_only = False
    same_site: str | None = None
    for attribute in attributes:
        key, _, attr_value = attribute.partition("=")
        key = key.strip().lower()
        attr_value = attr_value.strip()
        if key == "secure":
            secure = True
        elif key == "httponly":
            http_only = True
        elif key == "samesite":
            lowered = attr_value.lower()
            same_site = lowered if lowered in SAMESITE_VALUES else None
        elif key == "domain" and attr_value:
            domain, host_only = attr_value.lstrip(".").lower(), False
        elif key == "path" and attr_value.startswith("/"):
            path = attr_value
    # A jar refuses a cookie for a domain that does not contain the host.
    foreign = _is_ip(host) or not host.endswith("." + domain) or "." not in domain
    if not host_only and domain != host and foreign:
        return None
    return Cookie(
        name=name,
        value=value,
        domain=domain,
        host_only=host_only,
        path=path or _default_path(parts.path or "/"),
        secure=secure,
        http_only=http_only,
        same_site=same_site,
    )


def build_jar(set_cookies: Iterable[tuple[str, str]]) -> list[Cookie]:
    """Store (url, Set-Cookie) pairs in arrival order; a later cookie replaces an equal key."""
    jar: dict[tuple[str, str, str], Cookie] = {}
    for url, header in set_cookies:
        cookie = parse_set_cookie(header, url)
        if cookie is not None:
            jar[(cookie.domain, cookie.path, cookie.name)] = cookie
    return list(jar.values())


def has_invalid_samesite(header: str) -> bool:
    """True when a raw Set-Cookie has a SameSite attribute that is empty or unknown."""
    for attribute in header.split(";")[1:]:
        key, _, value = attribute.partition("=")
        if key.strip().lower() == "samesite":
            value = value.split("=", 1)[0].strip().lower()
            if value not in SAMESITE_VALUES:
                return True
    return False


def _worse(new: Result, old: Result | None) -> Result:
    if old is None or _SEVERITY.index(new) > _SEVERITY.index(old):
        return new
    return old


_EXPLAIN = {
    Result.COOKIES_NO_SECURE_BUT_HSTS: (
        "Cookie {names} lacks the Secure flag (HSTS limits the damage): add Secure"
    ),
    Result.COOKIES_NO_SECURE: (
        "Cookie {names} lacks the Secure flag and can leak over plain HTTP: add Secure and "
        "enable HSTS"
    ),
    Result.COOKIES_SESSION_NO_SECURE_BUT_HSTS: (
        "Session cookie {names} lacks the Secure flag (HSTS limits the damage): add Secure"
    ),
    Result.COOKIES_SAMESITE_INVALID: (
        "Cookie {names} has a SameSite value browsers reject, or SameSite=None without "
        "Secure: use SameSite=Lax or Strict (None only together with Secure)"
    ),
    Result.COOKIES_ANTICSRF_NO_SAMESITE: (
        "Anti-CSRF cookie {names} has no SameSite flag: add SameSite=Strict or Lax"
    ),
    Result.COOKIES_SESSION_NO_HTTPONLY: (
        "Session cookie {names} lacks HttpOnly, so injected scripts can steal it: add HttpOnly"
    ),
    Result.COOKIES_SESSION_NO_SECURE: (
        "Session cookie {names} lacks the Secure flag and can leak over plain HTTP: add Secure"
    ),
}


def cookies(
    main_set_cookies: Sequence[str],
    main_url: str,
    *,
    other_set_cookies: Sequence[tuple[str, str]] = (),
    hsts_passed: bool,
) -> Verdict:
    """Judge every cookie the scan received; `hsts_passed` is the HSTS test's pass flag."""
    result: Result | None = None
    culprits: dict[Result, list[str]] = {}

    def flag(problem: Result, name: str) -> None:
        nonlocal result
        culprits.setdefault(problem, []).append(name)
        result = _worse(problem, result)

    # A malformed SameSite is judged on the raw header: the jar drops the attribute.
    for header in main_set_cookies:
        if has_invalid_samesite(header):
            flag(Result.COOKIES_SAMESITE_INVALID, header.split("=", 1)[0].strip())

    jar = build_jar([*other_set_cookies, *((main_url, h) for h in main_set_cookies)])
    jar = [c for c in jar if c.name not in IGNORED_COOKIES]
    if not jar:
        return Verdict(Result.COOKIES_NOT_FOUND, True, "The site sets no cookies")

    missing_same_site = False
    for cookie in jar:
        lowered = cookie.name.lower()
        session = any(marker in lowered for marker in SESSION_MARKERS)
        anticsrf = "csrf" in lowered
        if not cookie.secure and cookie.same_site == "none":
            flag(Result.COOKIES_SAMESITE_INVALID, cookie.name)
        if not cookie.secure:
            flag(
                Result.COOKIES_NO_SECURE_BUT_HSTS if hsts_passed else Result.COOKIES_NO_SECURE,
                cookie.name,
            )
        if anticsrf and cookie.same_site is None:
            flag(Result.COOKIES_ANTICSRF_NO_SAMESITE, cookie.name)
        if session and not cookie.secure:
            flag(
                Result.COOKIES_SESSION_NO_SECURE_BUT_HSTS
                if hsts_passed
                else Result.COOKIES_SESSION_NO_SECURE,
                cookie.name,
            )
        if session and not cookie.http_only:
            flag(Result.COOKIES_SESSION_NO_HTTPONLY, cookie.name)
        if cookie.same_site is None:
            missing_same_site = True

    names = ", ".join(sorted({c.name for c in jar}))
    if result is None:
        if missing_same_site:
            without = sorted(c.name for c in jar if c.same_site is None)
            verb = "lacks" if len(without) == 1 else "lack"
            return Verdict(
                Result.COOKIES_SECURE_HTTPONLY,
                True,
                f"Cookies are Secure and session cookies HttpOnly, but {', '.join(without)} "
                f"{verb} SameSite: add SameSite=Lax or Strict",
                data=names,
            )
        return Verdict(
            Result.COOKIES_SECURE_HTTPONLY_SAMESITE,
            True,
            "All cookies are Secure and SameSite, and session cookies are HttpOnly",
            data=names,
        )
    culprit_names = ", ".join(dict.fromkeys(culprits[result]))
    return Verdict(result, False, _EXPLAIN[result].format(names=culprit_names), data=names)
