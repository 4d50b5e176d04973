"""Values of the header grader: test names, result ids, per-test outcomes and the report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# The MDN HTTP Observatory's algorithm version whose rules this package implements
# (mdn/mdn-http-observatory, MPL-2.0; see ../shared/peer-vectors/README.md).
ALGORITHM_VERSION = 6

# The origin the Observatory puts on its CORS preflight; a server that reflects it
# together with credentials is judged to reflect any origin.
OBSERVATORY_ORIGIN = "https://http-observatory.security.mozilla.org"


class TestName(StrEnum):
    """The Observatory's test names, as the keys of its `tests` output."""

    __test__ = False  # a pytest collector must not mistake this enum for a test class

    CONTENT_SECURITY_POLICY = "content-security-policy"
    COOKIES = "cookies"
    CROSS_ORIGIN_RESOURCE_SHARING = "cross-origin-resource-sharing"
    REDIRECTION = "redirection"
    REFERRER_POLICY = "referrer-policy"
    STRICT_TRANSPORT_SECURITY = "strict-transport-security"
    SUBRESOURCE_INTEGRITY = "subresource-integrity"
    X_CONTENT_TYPE_OPTIONS = "x-content-type-options"
    X_FRAME_OPTIONS = "x-frame-options"
    CROSS_ORIGIN_RESOURCE_POLICY = "cross-origin-resource-policy"
    CROSS_ORIGIN_OPENER_POLICY = "cross-origin-opener-policy"
    CROSS_ORIGIN_EMBEDDER_POLICY = "cross-origin-embedder-policy"


class Result(StrEnum):
    """Every result id the MDN Observatory can give (its `Expectation` values)."""

    # content-security-policy
    CSP_NO_UNSAFE_DEFAULT_NONE = "csp-implemented-with-no-unsafe-default-src-none"
    CSP_NO_UNSAFE = "csp-implemented-with-no-unsafe"
    CSP_UNSAFE_INLINE_STYLE_ONLY = "csp-implemented-with-unsafe-inline-in-style-src-only"
    CSP_INSECURE_SCHEME_PASSIVE_ONLY = (
        "csp-implemented-with-insecure-scheme-in-passive-content-only"
    )
    CSP_UNSAFE_EVAL = "csp-implemented-with-unsafe-eval"
    CSP_UNSAFE_INLINE = "csp-implemented-with-unsafe-inline"
    CSP_INSECURE_SCHEME = "csp-implemented-with-insecure-scheme"
    CSP_DUPLICATE_DIRECTIVES = "csp-implemented-but-duplicate-directives"
    CSP_HEADER_INVALID = "csp-header-invalid"
    CSP_NOT_IMPLEMENTED = "csp-not-implemented"
    CSP_NOT_IMPLEMENTED_REPORTING = "csp-not-implemented-but-reporting-enabled"
    # cookies
    COOKIES_SECURE_HTTPONLY_SAMESITE = "cookies-secure-with-httponly-sessions-and-samesite"
    COOKIES_SECURE_HTTPONLY = "cookies-secure-with-httponly-sessions"
    COOKIES_NOT_FOUND = "cookies-not-found"
    COOKIES_NO_SECURE_BUT_HSTS = "cookies-without-secure-flag-but-protected-by-hsts"
    COOKIES_SESSION_NO_SECURE_BUT_HSTS = "cookies-session-without-secure-flag-but-protected-by-hsts"
    COOKIES_NO_SECURE = "cookies-without-secure-flag"
    COOKIES_SAMESITE_INVALID = "cookies-samesite-flag-invalid"
    COOKIES_ANTICSRF_NO_SAMESITE = "cookies-anticsrf-without-samesite-flag"
    COOKIES_SESSION_NO_HTTPONLY = "cookies-session-without-httponly-flag"
    COOKIES_SESSION_NO_SECURE = "cookies-session-without-secure-flag"
    # cross-origin-resource-sharing
    CORS_NOT_IMPLEMENTED = "cross-origin-resource-sharing-not-implemented"
    CORS_PUBLIC = "cross-origin-resource-sharing-implemented-with-public-access"
    CORS_RESTRICTED = "cross-origin-resource-sharing-implemented-with-restricted-access"
    CORS_UNIVERSAL = "cross-origin-resource-sharing-implemented-with-universal-access"
    # redirection
    REDIRECTION_ALL_PRELOADED = "redirection-all-redirects-preloaded"
    REDIRECTION_TO_HTTPS = "redirection-to-https"
    REDIRECTION_NOT_NEEDED_NO_HTTP = "redirection-not-needed-no-http"
    REDIRECTION_OFF_HOST = "redirection-off-host-from-http"
    REDIRECTION_NOT_TO_HTTPS_INITIAL = "redirection-not-to-https-on-initial-redirection"
    REDIRECTION_NOT_TO_HTTPS = "redirection-not-to-https"
    REDIRECTION_MISSING = "redirection-missing"
    REDIRECTION_INVALID_CERT = "redirection-invalid-cert"
    # referrer-policy
    REFERRER_PRIVATE = "referrer-policy-private"
    REFERRER_NOT_IMPLEMENTED = "referrer-policy-not-implemented"
    REFERRER_UNSAFE = "referrer-policy-unsafe"
    REFERRER_INVALID = "referrer-policy-header-invalid"
    # strict-transport-security
    HSTS_PRELOADED = "hsts-preloaded"
    HSTS_AT_LEAST_SIX_MONTHS = "hsts-implemented-max-age-at-least-six-months"
    HSTS_LESS_THAN_SIX_MONTHS = "hsts-implemented-max-age-less-than-six-months"
    HSTS_NOT_IMPLEMENTED = "hsts-not-implemented"
    HSTS_INVALID = "hsts-header-invalid"
    HSTS_NO_HTTPS = "hsts-not-implemented-no-https"
    HSTS_INVALID_CERT = "hsts-invalid-cert"
    # subresource-integrity
    SRI_ALL_SECURE = "sri-implemented-and-all-scripts-loaded-securely"
    SRI_EXTERNAL_SECURE = "sri-implemented-and-external-scripts-loaded-securely"
    SRI_NOT_HTML = "sri-not-implemented-response-not-html"
    SRI_NO_SCRIPTS = "sri-not-implemented-but-no-scripts-loaded"
    SRI_NONE_SAME_ORIGIN = "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
    SRI_NONE_EXTERNAL_SECURE = "sri-not-implemented-but-external-scripts-loaded-securely"
    SRI_EXTERNAL_INSECURE = "sri-implemented-but-external-scripts-not-loaded-securely"
    SRI_NONE_EXTERNAL_INSECURE = "sri-not-implemented-and-external-scripts-not-loaded-securely"
    HTML_NOT_PARSEABLE = "html-not-parseable"
    # x-content-type-options
    XCTO_NOSNIFF = "x-content-type-options-nosniff"
    XCTO_INVALID = "x-content-type-options-header-invalid"
    XCTO_NOT_IMPLEMENTED = "x-content-type-options-not-implemented"
    # x-frame-options
    XFO_VIA_CSP = "x-frame-options-implemented-via-csp"
    XFO_SAMEORIGIN_OR_DENY = "x-frame-options-sameorigin-or-deny"
    XFO_ALLOW_FROM = "x-frame-options-allow-from-origin"
    XFO_NOT_IMPLEMENTED = "x-frame-options-not-implemented"
    XFO_INVALID = "x-frame-options-header-invalid"
    # cross-origin-resource-policy
    CORP_NOT_IMPLEMENTED = "corp-not-implemented"
    CORP_SAME_ORIGIN = "corp-implemented-with-same-origin"
    CORP_SAME_SITE = "corp-implemented-with-same-site"
    CORP_CROSS_ORIGIN = "corp-implemented-with-cross-origin"
    CORP_INVALID = "corp-header-invalid"
    # cross-origin-opener-policy
    COOP_NOT_IMPLEMENTED = "coop-not-implemented"
    COOP_SAME_ORIGIN = "coop-implemented-with-same-origin"
    COOP_SAME_ORIGIN_ALLOW_POPUPS = "coop-implemented-with-same-origin-allow-popups"
    COOP_NOOPENER_ALLOW_POPUPS = "coop-implemented-with-noopener-allow-popups"
    COOP_UNSAFE_NONE = "coop-implemented-with-unsafe-none"
    COOP_INVALID = "coop-header-invalid"
    # cross-origin-embedder-policy
    COEP_NOT_IMPLEMENTED = "coep-not-implemented"
    COEP_REQUIRE_CORP = "coep-implemented-with-require-corp"
    COEP_CREDENTIALLESS = "coep-implemented-with-credentialless"
    COEP_UNSAFE_NONE = "coep-implemented-with-unsafe-none"
    COEP_INVALID = "coep-header-invalid"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one test found, before it is scored: result id, pass flag, explanation."""

    result: Result
    passed: bool
    explanation: str
    data: str | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one Observatory test on one scan."""

    name: TestName
    result: Result
    passed: bool
    score_modifier: int
    explanation: str
    # The header value (or other input) the verdict was read from, for evidence.
    data: str | None = None


@dataclass(frozen=True, slots=True)
class Redirect:
    """One hop of the plain-HTTP redirect chain: the URL requested and its status."""

    url: str
    status: int | None = None


@dataclass(frozen=True, slots=True)
class PreloadEntry:
    """One host of the Chromium HSTS preload list."""

    include_subdomains: bool = False
    mode: str = "force-https"


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Facts about a scan that are not headers of the main response.

    The defaults describe "only the main response is known": HTTPS is assumed
    available exactly when the URL is https, certificates are taken as valid, the
    plain-HTTP behaviour is unknown and no preload list is consulted.
    """

    # None: the plain-HTTP fetch was not made (redirection is then not judged).
    http_available: bool | None = None
    # None: HTTPS counts as available when the scanned URL is https.
    https_available: bool | None = None
    https_cert_valid: bool = True
    # Whether the certificates met while following the plain-HTTP chain verified.
    http_cert_valid: bool = True
    # Origin sent on the CORS preflight; None when it sent none.
    cors_origin: str | None = OBSERVATORY_ORIGIN
    # Host -> entry of the HSTS preload list (the full Chromium list is not bundled).
    hsts_preload: Mapping[str, PreloadEntry] = field(default_factory=dict)
    # (url, Set-Cookie value) seen on other responses of the scan (redirect hops,
    # /robots.txt): the Observatory's cookie jar collects them too.
    other_set_cookies: tuple[tuple[str, str], ...] = ()


# Statuses the Observatory grades; anything else makes it refuse the scan.
def status_is_gradeable(status: int) -> bool:
    """True when the MDN Observatory would grade a main response with this status."""
    return 200 <= status < 400 or status in (401, 403)


@dataclass(frozen=True, slots=True)
class Report:
    """Score, grade and per-test results of one scan, as the Observatory computes them."""

    url: str
    status: int
    score: int
    grade: str
    tests: dict[str, CheckResult]
    tests_passed: int
    tests_failed: int
    algorithm_version: int = ALGORITHM_VERSION

    @property
    def gradeable(self) -> bool:
        """False when the Observatory would refuse to grade (status not 2xx/3xx/401/403)."""
        return status_is_gradeable(self.status)

    def failures(self) -> list[CheckResult]:
        """The tests that did not pass, worst score modifier first."""
        return sorted(
            (t for t in self.tests.values() if not t.passed), key=lambda t: t.score_modifier
        )
