"""Subresource Integrity: how the page's <script src> elements are loaded.

Rules follow the MDN HTTP Observatory (mdn/mdn-http-observatory, MPL-2.0).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from pytest_release.probes.headers.model import Result, Verdict
from pytest_release.probes.headers.response import HTML_TYPES, Document

# Second-level labels under which registrations sit one level deeper (co.uk, com.au…).
# Without the full Public Suffix List this covers the common country-code cases.
_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "gov", "govt", "net", "org", "ne", "or"})
_PROTOCOL_RELATIVE = re.compile(r"^//[^/]")
_ABSOLUTE_HTTP = re.compile(r"^https?://", re.IGNORECASE)

# Worst last.
_SEVERITY = (
    Result.SRI_ALL_SECURE,
    Result.SRI_EXTERNAL_SECURE,
    Result.SRI_EXTERNAL_INSECURE,
    Result.SRI_NONE_EXTERNAL_SECURE,
    Result.SRI_NONE_EXTERNAL_INSECURE,
    Result.SRI_NOT_HTML,
)


def registrable_domain(host: str) -> str:
    """The site ("eTLD+1") of a host: www.mozilla.org -> mozilla.org; IPs stay as they are."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return host
    labels = host.split(".")
    if len(labels) <= 2:
        return host
    if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _worse(new: Result, old: Result | None) -> Result:
    if old is None or _SEVERITY.index(new) > _SEVERITY.index(old):
        return new
    return old


_EXPLAIN = {
    Result.SRI_EXTERNAL_INSECURE: (
        "Script {src} has an integrity hash but loads over plain HTTP or a "
        "protocol-relative URL: load it from https://"
    ),
    Result.SRI_NONE_EXTERNAL_SECURE: (
        "Third-party script {src} loads without Subresource Integrity: add integrity= "
        "and crossorigin=anonymous, or host it yourself"
    ),
    Result.SRI_NONE_EXTERNAL_INSECURE: (
        "Third-party script {src} loads over plain HTTP (or a protocol-relative URL) "
        "without integrity: load it from https:// with an integrity= hash"
    ),
}


def subresource_integrity(
    mime: str, document: Document, *, page_https: bool, page_host: str
) -> Verdict:
    """Judge every <script src> of an HTML page (`mime` "" counts as HTML)."""
    if mime and mime not in HTML_TYPES:
        return Verdict(
            Result.SRI_NOT_HTML, True, f"The response is {mime}, not HTML, so it loads no scripts"
        )
    if document.parse_error is not None:
        return Verdict(
            Result.HTML_NOT_PARSEABLE,
            False,
            f"The HTML could not be parsed ({document.parse_error}): fix the markup",
        )
    if document.script_count == 0:
        return Verdict(Result.SRI_NO_SCRIPTS, True, "The page loads no scripts")

    site = registrable_domain(page_host)
    result: Result | None = None
    culprit = ""
    external = False
    foreign: list[str] = []
    for script in document.scripts:
        src = script.src
        protocol_relative = bool(_PROTOCOL_RELATIVE.match(src))
        absolute = bool(_ABSOLUTE_HTTP.match(src))
        relative = not protocol_relative and not absolute
        if protocol_relative:
            # Even a protocol-relative URL on the same site counts as foreign: it may
            # load over plain HTTP when the page does.
            same_site = True
        elif absolute:
            same_site = registrable_domain(urlsplit(src).hostname or "") == site
        else:
            same_site = True
        secure_origin = relative or (same_site and not protocol_relative)
        secure_scheme = (absolute and src.lower().startswith("https://")) or (
            relative and page_https
        )
        if secure_origin:
            # A bonus for integrity even on same-site scripts, when nothing is wrong yet.
            if script.integrity and secure_scheme and result is None:
                result = Result.SRI_ALL_SECURE
            continue
        external = True
        foreign.append(src)
        if script.integrity and not secure_scheme:
            new = Result.SRI_EXTERNAL_INSECURE
        elif not script.integrity and secure_scheme:
            new = Result.SRI_NONE_EXTERNAL_SECURE
        elif not script.integrity:
            new = Result.SRI_NONE_EXTERNAL_INSECURE
        else:
            continue
        worst = _worse(new, result)
        if worst is not result:
            culprit = src
        result = worst

    data = " ".join(foreign) or None
    if result is None:
        if external:
            return Verdict(
                Result.SRI_EXTERNAL_SECURE,
                True,
                "Every third-party script loads over HTTPS with an integrity hash",
                data=data,
            )
        return Verdict(
            Result.SRI_NONE_SAME_ORIGIN,
            True,
            "All scripts come from the site itself, so Subresource Integrity is not needed",
            data=data,
        )
    if result is Result.SRI_ALL_SECURE:
        return Verdict(result, True, "Scripts load over HTTPS with integrity hashes", data=data)
    if result is Result.SRI_EXTERNAL_SECURE:
        return Verdict(
            result,
            True,
            "Every third-party script loads over HTTPS with an integrity hash",
            data=data,
        )
    return Verdict(result, False, _EXPLAIN[result].format(src=culprit), data=data)
