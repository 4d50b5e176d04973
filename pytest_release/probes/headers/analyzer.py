"""analyze(): run the twelve Observatory tests on one scan's responses and grade them."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from pytest_release.probes.headers.cookies import cookies
from pytest_release.probes.headers.csp import CspAnalysis, analyze_csp
from pytest_release.probes.headers.grading import SCORE_TABLE, grade_for_score, total_score
from pytest_release.probes.headers.hsts import preload_entry, strict_transport_security
from pytest_release.probes.headers.isolation import (
    cross_origin_embedder_policy,
    cross_origin_opener_policy,
)
from pytest_release.probes.headers.model import (
    CheckResult,
    Redirect,
    Report,
    ScanContext,
    TestName,
    Verdict,
)
from pytest_release.probes.headers.redirection import redirection
from pytest_release.probes.headers.response import (
    EMPTY_DOCUMENT,
    HTML_TYPES,
    Headers,
    HeadersInput,
    mime_type,
    parse_document,
)
from pytest_release.probes.headers.simple_headers import (
    cross_origin_resource_policy,
    cross_origin_resource_sharing,
    referrer_policy,
    x_content_type_options,
    x_frame_options,
)
from pytest_release.probes.headers.sri import subresource_integrity

DEFAULT_CONTEXT = ScanContext()


def analyze_csp_only(url: str, headers: HeadersInput, html: str | None = None) -> CspAnalysis:
    """The CSP test alone, with the parsed policy (for checks beyond the grade)."""
    parsed = Headers(headers)
    document = parse_document(html) if mime_type(parsed) in HTML_TYPES else EMPTY_DOCUMENT
    return analyze_csp(
        parsed.values("content-security-policy"),
        document.meta_csp,
        report_only=bool(parsed.combined("content-security-policy-report-only")),
        https=urlsplit(url).scheme == "https",
    )


def analyze(
    url: str,
    status: int,
    headers: HeadersInput,
    html: str | None = None,
    *,
    redirects: Sequence[Redirect] | None = None,
    cors_headers: HeadersInput | None = None,
    context: ScanContext = DEFAULT_CONTEXT,
) -> Report:
    """Grade one scan the way the MDN HTTP Observatory does (ALGORITHM_VERSION 6).

    `url`, `status`, `headers` and `html` describe the main response (the end of the
    HTTPS redirect chain). `headers` is a mapping or (name, value) pairs, repeated
    Set-Cookie kept. `redirects` is the chain of the plain-HTTP fetch (None: not
    fetched, redirection is reported as not checked). `cors_headers` are the headers
    answering the CORS preflight (None: not probed, CORS counts as not implemented).
    `context` holds the remaining facts (TLS, HTTP availability, preload list).
    Never raises for a bad status: see `Report.gradeable`.
    """
    parsed = Headers(headers)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    https = parts.scheme.lower() == "https"
    mime = mime_type(parsed)
    # <meta http-equiv> is read only from an HTML body, scripts from anything but
    # a declared non-HTML type.
    document = parse_document(html) if (not mime or mime in HTML_TYPES) else EMPTY_DOCUMENT
    meta_document = document if mime in HTML_TYPES else EMPTY_DOCUMENT
    https_available = https if context.https_available is None else context.https_available

    csp = analyze_csp(
        parsed.values("content-security-policy"),
        meta_document.meta_csp,
        report_only=bool(parsed.combined("content-security-policy-report-only")),
        https=https,
    )
    preloaded = preload_entry(host, context.hsts_preload)
    hsts = strict_transport_security(
        parsed.combined("strict-transport-security"),
        https_available=https_available,
        https_cert_valid=context.https_cert_valid,
        preloaded=preloaded,
    )
    cors = Headers(cors_headers) if cors_headers is not None else None
    verdicts: dict[TestName, Verdict] = {
        TestName.CONTENT_SECURITY_POLICY: csp.verdict,
        TestName.COOKIES: cookies(
            parsed.values("set-cookie"),
            url,
            other_set_cookies=context.other_set_cookies,
            hsts_passed=hsts.passed,
        ),
        TestName.CROSS_ORIGIN_RESOURCE_SHARING: cross_origin_resource_sharing(
            cors.combined("access-control-allow-origin") if cors else None,
            cors.combined("access-control-allow-credentials") if cors else None,
            context.cors_origin,
        ),
        TestName.REDIRECTION: redirection(
            redirects,
            http_available=context.http_available,
            http_cert_valid=context.http_cert_valid,
            preload=context.hsts_preload,
        ),
        TestName.REFERRER_POLICY: referrer_policy(
            parsed.values("referrer-policy"), meta_document.meta_referrer
        ),
        TestName.STRICT_TRANSPORT_SECURITY: hsts,
        TestName.SUBRESOURCE_INTEGRITY: subresource_integrity(
            mime, document, page_https=https, page_host=host
        ),
        TestName.X_CONTENT_TYPE_OPTIONS: x_content_type_options(
            parsed.combined("x-content-type-options")
        ),
        TestName.X_FRAME_OPTIONS: x_frame_options(parsed.combined("x-frame-options"), csp),
        TestName.CROSS_ORIGIN_RESOURCE_POLICY: cross_origin_resource_policy(
            parsed.combined("cross-origin-resource-policy")
        ),
        TestName.CROSS_ORIGIN_OPENER_POLICY: cross_origin_opener_policy(
            parsed.values("cross-origin-opener-policy")
        ),
        TestName.CROSS_ORIGIN_EMBEDDER_POLICY: cross_origin_embedder_policy(
            parsed.values("cross-origin-embedder-policy")
        ),
    }
    tests = {
        name.value: CheckResult(
            name=name,
            result=v.result,
            passed=v.passed,
            score_modifier=SCORE_TABLE.get(v.result, 0),
            explanation=v.explanation,
            data=v.data,
        )
        for name, v in verdicts.items()
    }
    score, grade = grade_for_score(total_score(t.score_modifier for t in tests.values()))
    passed = sum(t.passed for t in tests.values())
    return Report(
        url=url,
        status=status,
        score=score,
        grade=grade,
        tests=tests,
        tests_passed=passed,
        tests_failed=len(tests) - passed,
    )
