"""The plain-HTTP to HTTPS redirection test.

Rules follow the MDN HTTP Observatory (mdn/mdn-http-observatory, MPL-2.0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from pytest_release.probes.headers.hsts import preload_entry
from pytest_release.probes.headers.model import PreloadEntry, Redirect, Result, Verdict

FIX_REDIRECT = "make http:// answer 301 to the same host on https:// first"


def _route(chain: Sequence[Redirect]) -> str:
    return " -> ".join(hop.url for hop in chain)


def redirection(
    chain: Sequence[Redirect] | None,
    *,
    http_available: bool | None,
    http_cert_valid: bool,
    preload: Mapping[str, PreloadEntry],
) -> Verdict:
    """Judge the chain of the plain-HTTP fetch: first URL (http://) to final destination."""
    if http_available is False:
        return Verdict(
            Result.REDIRECTION_NOT_NEEDED_NO_HTTP,
            True,
            "Nothing answers on plain HTTP, so no redirect to HTTPS is needed",
        )
    if not chain:
        # Only the main response was given: how http:// behaves is unknown. The id is the
        # one the Observatory gives a host without HTTP, and it scores 0.
        return Verdict(
            Result.REDIRECTION_NOT_NEEDED_NO_HTTP,
            True,
            f"Not checked: no plain-HTTP redirect chain was given (scan() fetches one); "
            f"{FIX_REDIRECT}",
        )
    route = _route(chain)
    if not http_cert_valid:
        return Verdict(
            Result.REDIRECTION_INVALID_CERT,
            False,
            "The HTTPS site that http:// redirects to has a certificate that does not verify: "
            "install a valid certificate",
            data=route,
        )
    urls = [urlsplit(hop.url) for hop in chain]
    if all(preload_entry(u.hostname or "", preload) is not None for u in urls):
        return Verdict(
            Result.REDIRECTION_ALL_PRELOADED,
            True,
            "Every host on the redirect route is on the HSTS preload list",
            data=route,
        )
    if len(chain) == 1:
        return Verdict(
            Result.REDIRECTION_MISSING,
            False,
            f"http:// serves the page instead of redirecting to HTTPS: {FIX_REDIRECT}",
            data=route,
        )
    if urls[-1].scheme != "https":
        return Verdict(
            Result.REDIRECTION_NOT_TO_HTTPS,
            False,
            f"http:// redirects but ends on {chain[-1].url}, not on HTTPS: {FIX_REDIRECT}",
            data=route,
        )
    if urls[1].scheme == "http":
        return Verdict(
            Result.REDIRECTION_NOT_TO_HTTPS_INITIAL,
            False,
            f"The first redirect from http:// goes to another http:// URL ({chain[1].url}): "
            f"{FIX_REDIRECT}",
            data=route,
        )
    if (
        urls[0].scheme == "http"
        and urls[1].scheme == "https"
        and urls[0].hostname != (urls[1].hostname)
    ):
        return Verdict(
            Result.REDIRECTION_OFF_HOST,
            False,
            f"http:// redirects straight to another host ({urls[1].hostname}), so the "
            f"HSTS header of the original host is never seen: {FIX_REDIRECT}",
            data=route,
        )
    return Verdict(
        Result.REDIRECTION_TO_HTTPS,
        True,
        "http:// redirects to the same host on HTTPS",
        data=route,
    )
