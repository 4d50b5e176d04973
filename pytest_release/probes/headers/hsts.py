"""Strict-Transport-Security and the HSTS preload list.

Rules follow the MDN HTTP Observatory (mdn/mdn-http-observatory, MPL-2.0).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pytest_release.probes.headers.model import PreloadEntry, Result, Verdict

# Six months is 15,768,000 s, but many sites use 180 days (15,552,000 s), which the
# Observatory accepts too.
SIX_MONTHS = 15_552_000
_LEADING_INT = re.compile(r"[+-]?\d+")

FIX_HSTS = "send Strict-Transport-Security: max-age=31536000; includeSubDomains"


def preload_entry(host: str, preload: Mapping[str, PreloadEntry]) -> PreloadEntry | None:
    """The preload-list entry forcing HTTPS on `host` (itself, or a parent with subdomains)."""
    if not preload:
        return None
    host = host.lower().rstrip(".")
    entry = preload.get(host)
    if entry is not None and entry.mode == "force-https":
        return entry
    labels = host.split(".")
    for i in range(1, len(labels)):
        parent = preload.get(".".join(labels[i:]))
        if parent is not None and parent.mode == "force-https" and parent.include_subdomains:
            return parent
    return None


def _max_age(value: str) -> int | None:
    # Read the leading integer like the Observatory (JavaScript parseInt); the quotes
    # RFC 6797 allows are stripped first. An unreadable value counts as missing, where
    # the Observatory (by accident of NaN comparisons) would call it long enough.
    match = _LEADING_INT.match(value.strip().strip('"'))
    return int(match.group()) if match else None


def strict_transport_security(
    value: str | None,
    *,
    https_available: bool,
    https_cert_valid: bool,
    preloaded: PreloadEntry | None,
) -> Verdict:
    """HSTS from the HTTPS response's (combined) Strict-Transport-Security value."""
    verdict = _header_verdict(value, https_available, https_cert_valid)
    # Being on the preload list outranks whatever the header says.
    if https_available and preloaded is not None:
        return Verdict(
            Result.HSTS_PRELOADED,
            True,
            "The host is on the browsers' HSTS preload list, so browsers never use plain HTTP",
            data=verdict.data,
        )
    return verdict


def _header_verdict(value: str | None, https_available: bool, https_cert_valid: bool) -> Verdict:
    if not https_available:
        return Verdict(
            Result.HSTS_NO_HTTPS,
            False,
            "The site is not served over HTTPS, so it cannot use HSTS: serve it over TLS "
            f"and {FIX_HSTS}",
        )
    if not https_cert_valid:
        return Verdict(
            Result.HSTS_INVALID_CERT,
            False,
            "The HTTPS certificate does not verify, so browsers ignore HSTS: install a "
            "certificate that chains to a public root and matches the host",
        )
    if value is None:
        return Verdict(
            Result.HSTS_NOT_IMPLEMENTED,
            False,
            f"Strict-Transport-Security is missing, so first visits can be downgraded: {FIX_HSTS}",
        )
    data = value[:1024]
    if "," in data:
        return Verdict(
            Result.HSTS_INVALID,
            False,
            f"Strict-Transport-Security is sent more than once ({data!r}): send one header",
            data=data,
        )
    max_age: int | None = None
    seen_max_age = False
    for directive in data.split(";"):
        directive = directive.strip().lower()
        if directive.startswith("max-age="):
            seen_max_age = True
            max_age = _max_age(directive[len("max-age=") : 128])
    if max_age is None:
        reason = "an unreadable max-age" if seen_max_age else "no max-age"
        return Verdict(
            Result.HSTS_INVALID,
            False,
            f"Strict-Transport-Security has {reason}, so browsers ignore it: {FIX_HSTS}",
            data=data,
        )
    if max_age < SIX_MONTHS:
        return Verdict(
            Result.HSTS_LESS_THAN_SIX_MONTHS,
            False,
            f"Strict-Transport-Security max-age is {max_age} s, under six months: raise it to "
            "at least 15552000, preferably 31536000",
            data=data,
        )
    return Verdict(
        Result.HSTS_AT_LEAST_SIX_MONTHS,
        True,
        f"Strict-Transport-Security max-age is {max_age} s",
        data=data,
    )
