"""Score table, grade chart and the Observatory's scoring rule.

The numbers are data from the MDN HTTP Observatory (mdn/mdn-http-observatory,
`src/grader/charts.js`, MPL-2.0), as listed in ../shared/peer-vectors/README.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_release.probes.headers.model import CheckResult, Result

# Bonuses (positive modifiers) only count when the penalties alone leave at least this.
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
BASE_SCORE = 100

# Result id -> score modifier. Source: mdn/mdn-http-observatory SCORE_TABLE (MPL-2.0).
SCORE_TABLE: dict[Result, int] = {
    Result.CSP_NO_UNSAFE_DEFAULT_NONE: 10,
    Result.CSP_NO_UNSAFE: 5,
    Result.CSP_UNSAFE_INLINE_STYLE_ONLY: 0,
    Result.CSP_INSECURE_SCHEME_PASSIVE_ONLY: -10,
    Result.CSP_UNSAFE_EVAL: -10,
    Result.CSP_UNSAFE_INLINE: -20,
    Result.CSP_INSECURE_SCHEME: -20,
    Result.CSP_DUPLICATE_DIRECTIVES: 0,
    Result.CSP_HEADER_INVALID: -25,
    Result.CSP_NOT_IMPLEMENTED: -25,
    Result.CSP_NOT_IMPLEMENTED_REPORTING: -25,
    Result.COOKIES_SECURE_HTTPONLY_SAMESITE: 5,
    Result.COOKIES_SECURE_HTTPONLY: 0,
    Result.COOKIES_NOT_FOUND: 0,
    Result.COOKIES_NO_SECURE_BUT_HSTS: -5,
    Result.COOKIES_SESSION_NO_SECURE_BUT_HSTS: -10,
    Result.COOKIES_NO_SECURE: -20,
    Result.COOKIES_SAMESITE_INVALID: -20,
    Result.COOKIES_ANTICSRF_NO_SAMESITE: -20,
    Result.COOKIES_SESSION_NO_HTTPONLY: -30,
    Result.COOKIES_SESSION_NO_SECURE: -40,
    Result.CORS_NOT_IMPLEMENTED: 0,
    Result.CORS_PUBLIC: 0,
    Result.CORS_RESTRICTED: 0,
    Result.CORS_UNIVERSAL: -50,
    Result.REDIRECTION_ALL_PRELOADED: 0,
    Result.REDIRECTION_TO_HTTPS: 0,
    Result.REDIRECTION_NOT_NEEDED_NO_HTTP: 0,
    Result.REDIRECTION_OFF_HOST: -5,
    Result.REDIRECTION_NOT_TO_HTTPS_INITIAL: -10,
    Result.REDIRECTION_NOT_TO_HTTPS: -20,
    Result.REDIRECTION_MISSING: -20,
    Result.REDIRECTION_INVALID_CERT: -20,
    Result.REFERRER_PRIVATE: 5,
    Result.REFERRER_NOT_IMPLEMENTED: 0,
    Result.REFERRER_UNSAFE: -5,
    Result.REFERRER_INVALID: -5,
    Result.HSTS_PRELOADED: 5,
    Result.HSTS_AT_LEAST_SIX_MONTHS: 0,
    Result.HSTS_LESS_THAN_SIX_MONTHS: -10,
    Result.HSTS_NOT_IMPLEMENTED: -20,
    Result.HSTS_INVALID: -20,
    Result.HSTS_NO_HTTPS: -20,
    Result.HSTS_INVALID_CERT: -20,
    Result.SRI_ALL_SECURE: 5,
    Result.SRI_EXTERNAL_SECURE: 5,
    Result.SRI_NOT_HTML: 0,
    Result.SRI_NO_SCRIPTS: 0,
    Result.SRI_NONE_SAME_ORIGIN: 0,
    Result.SRI_NONE_EXTERNAL_SECURE: -5,
    Result.SRI_EXTERNAL_INSECURE: -20,
    Result.SRI_NONE_EXTERNAL_INSECURE: -50,
    Result.HTML_NOT_PARSEABLE: -20,
    Result.XCTO_NOSNIFF: 0,
    Result.XCTO_INVALID: -5,
    Result.XCTO_NOT_IMPLEMENTED: -5,
    Result.XFO_VIA_CSP: 5,
    Result.XFO_SAMEORIGIN_OR_DENY: 5,
    Result.XFO_ALLOW_FROM: 0,
    Result.XFO_NOT_IMPLEMENTED: -20,
    Result.XFO_INVALID: -20,
    Result.CORP_NOT_IMPLEMENTED: 0,
    Result.CORP_SAME_ORIGIN: 10,
    Result.CORP_SAME_SITE: 10,
    Result.CORP_CROSS_ORIGIN: 0,
    Result.CORP_INVALID: -5,
    Result.COOP_NOT_IMPLEMENTED: 0,
    Result.COOP_SAME_ORIGIN: 10,
    Result.COOP_SAME_ORIGIN_ALLOW_POPUPS: 10,
    Result.COOP_NOOPENER_ALLOW_POPUPS: 10,
    Result.COOP_UNSAFE_NONE: 0,
    Result.COOP_INVALID: -5,
    Result.COEP_NOT_IMPLEMENTED: 0,
    Result.COEP_REQUIRE_CORP: 10,
    Result.COEP_CREDENTIALLESS: 10,
    Result.COEP_UNSAFE_NONE: 0,
    Result.COEP_INVALID: -5,
}

# Lower bound of each 5-point band -> grade. Source: mdn/mdn-http-observatory GRADE_CHART.
GRADE_CHART: dict[int, str] = {
    100: "A+",
    95: "A",
    90: "A",
    85: "A-",
    80: "B+",
    75: "B",
    70: "B",
    65: "B-",
    60: "C+",
    55: "C",
    50: "C",
    45: "C-",
    40: "D+",
    35: "D",
    30: "D",
    25: "D-",
    20: "F",
    15: "F",
    10: "F",
    5: "F",
    0: "F",
}

GRADES: tuple[str, ...] = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F")


def score_modifier(result: Result | str) -> int:
    """The Observatory's score modifier for a result id (0 for an id it does not score)."""
    try:
        return SCORE_TABLE[Result(result)]
    except ValueError:
        return 0


def grade_for_score(score: int) -> tuple[int, str]:
    """(reported score, grade): negative scores report as 0; scores above 100 stay uncapped."""
    score = max(score, 0)
    return score, GRADE_CHART[min(score - score % 5, 100)]


def total_score(modifiers: Iterable[int]) -> int:
    """Apply the modifiers to the base score of 100, counting bonuses only at 90 or more.

    Penalties always count; bonuses count only when the score with penalties alone
    (the "uncurved" score) is at least MINIMUM_SCORE_FOR_EXTRA_CREDIT.
    """
    with_extra_credit = uncurved = BASE_SCORE
    for modifier in modifiers:
        with_extra_credit += modifier
        if modifier < 0:
            uncurved += modifier
    return with_extra_credit if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved


def grade_results(results: Iterable[CheckResult]) -> tuple[int, str]:
    """(score, grade) of a scan from its per-test results."""
    return grade_for_score(total_score(r.score_modifier for r in results))


def grade_at_least(grade: str, minimum: str) -> bool:
    """True when `grade` is as good as `minimum` or better (both from GRADES)."""
    return GRADES.index(grade) <= GRADES.index(minimum)
