"""Single-header tests: Referrer-Policy, X-Content-Type-Options, X-Frame-Options, CORP, CORS.

Rules follow the MDN HTTP Observatory (mdn/mdn-http-observatory, MPL-2.0).
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_release.probes.headers.csp import CspAnalysis
from pytest_release.probes.headers.model import Result, Verdict

REFERRER_PRIVATE = (
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
)
REFERRER_UNSAFE = ("origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade")
REFERRER_VALID = frozenset(REFERRER_PRIVATE + REFERRER_UNSAFE)

FIX_REFERRER = "set Referrer-Policy: strict-origin-when-cross-origin (or stricter)"


def referrer_policy(header_values: Sequence[str], meta_values: Sequence[str]) -> Verdict:
    """Referrer-Policy from headers and <meta name="referrer">; the last valid token wins."""
    values = [*header_values, *meta_values]
    if not values:
        return Verdict(
            Result.REFERRER_NOT_IMPLEMENTED,
            True,
            f"No Referrer-Policy is set, so the browser default applies: {FIX_REFERRER}",
        )
    data = ", ".join(values)
    # Browsers use the last token they understand, so unknown tokens are skipped.
    known = [t.strip().lower() for t in data.split(",") if t.strip().lower() in REFERRER_VALID]
    policy = known[-1] if known else ""
    if policy in REFERRER_PRIVATE:
        return Verdict(
            Result.REFERRER_PRIVATE,
            True,
            f"Referrer-Policy is {policy}, which does not leak full URLs to other sites",
            data=data,
        )
    if policy in REFERRER_UNSAFE:
        return Verdict(
            Result.REFERRER_UNSAFE,
            False,
            f"Referrer-Policy {policy} leaks page URLs to other sites: {FIX_REFERRER}",
            data=data,
        )
    return Verdict(
        Result.REFERRER_INVALID,
        False,
        f"Referrer-Policy {data!r} has no value browsers recognise: {FIX_REFERRER}",
        data=data,
    )


def x_content_type_options(value: str | None) -> Verdict:
    """X-Content-Type-Options must be exactly `nosniff`."""
    if value is None or value == "":
        return Verdict(
            Result.XCTO_NOT_IMPLEMENTED,
            False,
            "X-Content-Type-Options is missing, so browsers may MIME-sniff responses into "
            "scripts: send X-Content-Type-Options: nosniff",
        )
    data = value[:256]
    if data.strip().lower() == "nosniff":
        return Verdict(
            Result.XCTO_NOSNIFF, True, "X-Content-Type-Options: nosniff is set", data=data
        )
    return Verdict(
        Result.XCTO_INVALID,
        False,
        f"X-Content-Type-Options is {data!r}, which browsers ignore (sent twice?): "
        "send it once as X-Content-Type-Options: nosniff",
        data=data,
    )


def x_frame_options(value: str | None, csp: CspAnalysis) -> Verdict:
    """X-Frame-Options, superseded by a CSP frame-ancestors directive sent as a header."""
    # frame-ancestors counts only from the header: browsers ignore it in <meta>.
    # (The Observatory also accepts it from <meta> when a header policy exists.)
    if csp.enforced and "frame-ancestors" in csp.header_directives:
        sources = " ".join(sorted(csp.header_directives["frame-ancestors"]))
        return Verdict(
            Result.XFO_VIA_CSP,
            True,
            f"Framing is controlled by CSP frame-ancestors {sources}",
            data=value,
        )
    if value is None or value == "":
        return Verdict(
            Result.XFO_NOT_IMPLEMENTED,
            False,
            "Nothing stops other sites from framing the page (clickjacking): send "
            "CSP frame-ancestors 'none' (or 'self') or X-Frame-Options: DENY",
        )
    data = value[:1024]
    xfo = data.strip().lower()
    if xfo in ("deny", "sameorigin"):
        return Verdict(
            Result.XFO_SAMEORIGIN_OR_DENY, True, f"X-Frame-Options is {xfo.upper()}", data=data
        )
    if xfo.startswith("allow-from"):
        return Verdict(
            Result.XFO_ALLOW_FROM,
            True,
            "X-Frame-Options ALLOW-FROM is ignored by current browsers: use CSP "
            "frame-ancestors with the allowed origin instead",
            data=data,
        )
    return Verdict(
        Result.XFO_INVALID,
        False,
        f"X-Frame-Options is {data!r}, which browsers ignore (sent twice?): send it once as "
        "DENY or SAMEORIGIN, or use CSP frame-ancestors",
        data=data,
    )


_CORP = {
    "same-site": Result.CORP_SAME_SITE,
    "same-origin": Result.CORP_SAME_ORIGIN,
    "cross-origin": Result.CORP_CROSS_ORIGIN,
}


def cross_origin_resource_policy(value: str | None) -> Verdict:
    """Cross-Origin-Resource-Policy; repeated headers arrive joined and are invalid."""
    if value is None or value == "":
        return Verdict(
            Result.CORP_NOT_IMPLEMENTED,
            True,
            "No Cross-Origin-Resource-Policy is set; Cross-Origin-Resource-Policy: same-origin "
            "(or same-site) would stop other sites embedding these responses",
        )
    data = value[:256].strip().lower()
    result = _CORP.get(data)
    if result is None:
        return Verdict(
            Result.CORP_INVALID,
            False,
            f"Cross-Origin-Resource-Policy {data!r} is not valid (sent twice?): send one of "
            "same-origin, same-site or cross-origin",
            data=data,
        )
    if result is Result.CORP_CROSS_ORIGIN:
        text = "Cross-Origin-Resource-Policy is cross-origin: any site may embed these responses"
    else:
        text = f"Cross-Origin-Resource-Policy is {data}"
    return Verdict(result, True, text, data=data)


def cross_origin_resource_sharing(
    allow_origin: str | None, allow_credentials: str | None, request_origin: str | None
) -> Verdict:
    """CORS, from the response to a preflight sent with `request_origin`."""
    if not allow_origin:
        return Verdict(
            Result.CORS_NOT_IMPLEMENTED,
            True,
            "No Access-Control-Allow-Origin on the CORS preflight: content is not shared "
            "cross-origin",
        )
    data = allow_origin[:256].strip().lower()
    if data == "*":
        return Verdict(
            Result.CORS_PUBLIC,
            True,
            "Access-Control-Allow-Origin is *: fine for public data, never for anything "
            "behind a login",
            data=data,
        )
    credentials = (allow_credentials or "").strip().lower() == "true"
    if request_origin and allow_origin == request_origin and credentials:
        return Verdict(
            Result.CORS_UNIVERSAL,
            False,
            f"The server reflected the arbitrary Origin {request_origin} with "
            "Access-Control-Allow-Credentials: true, so any site can read logged-in "
            "responses: allow only a fixed list of trusted origins",
            data=data,
        )
    return Verdict(
        Result.CORS_RESTRICTED,
        True,
        f"CORS is restricted to {data}",
        data=data,
    )
