"""The header grader against the peer vectors of both Observatories, and its grading rules.

Vectors: ../shared/peer-vectors/ (derived from mdn/mdn-http-observatory and
mozilla/http-observatory, MPL-2.0; see that README). Every line of both files is a
case here. The grader implements the MDN rules, so the MDN file must match exactly;
for the legacy (httpobs) file the differences its README lists (caveat 8) are encoded
below with the MDN answer the grader must give instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_release.probes.headers import (
    GRADES,
    MINIMUM_SCORE_FOR_EXTRA_CREDIT,
    SCORE_TABLE,
    PreloadEntry,
    Redirect,
    Report,
    Result,
    ScanContext,
    TestName,
    analyze,
    grade_at_least,
    grade_for_score,
    score_modifier,
    total_score,
)

VECTOR_DIR = Path(__file__).parents[2] / "shared" / "peer-vectors"
VECTOR_FILES = ("mdn_observatory_cases.jsonl", "httpobs_cases.jsonl")
MISSING = f"peer vectors not found at {VECTOR_DIR} (CI places shared/ beside the repo)"

# README caveat 3: the stand-in preload list the vectors were recorded with. The
# scanned test hosts (mozilla.org, http-observatory.security.mozilla.org) are not on it.
STAND_IN_PRELOAD = {
    "bugzilla.mozilla.org": PreloadEntry(include_subdomains=False),
    "facebook.com": PreloadEntry(include_subdomains=False),
    "cloudflare.com": PreloadEntry(include_subdomains=True),
    "pokeinthe.io": PreloadEntry(include_subdomains=True),
    "dropboxusercontent.com": PreloadEntry(include_subdomains=False, mode="none"),
}


@dataclass(frozen=True, slots=True)
class LegacyDifference:
    """A legacy vector on which the MDN rules give another answer, and why."""

    result: str
    passed: bool
    why: str

    @property
    def score_modifier(self) -> int:
        return score_modifier(self.result)


_CROSSDOMAIN = (
    "the legacy verdict comes from /crossdomain.xml or /clientaccesspolicy.xml, which the "
    "MDN Observatory no longer reads"
)
# README caveat 8: where the legacy expectation is not what the MDN rules give.
LEGACY_DIFFERENCES: dict[str, LegacyDifference] = {
    "httpobs-content-security-policy-076": LegacyDifference(
        "csp-implemented-with-no-unsafe-default-src-none",
        True,
        "MDN splits a CSP header at commas into separate policies (since v1.6.2); "
        "`object-src *` is then a second policy that cannot loosen the first",
    ),
    "httpobs-cookies-008": LegacyDifference(
        "cookies-without-secure-flag",
        False,
        "the legacy Observatory ignores __cfduid cookies; MDN only ignores "
        "heroku-session-affinity, so the insecure __cfduid counts",
    ),
    "httpobs-referrer-policy-002": LegacyDifference(
        "referrer-policy-unsafe",
        False,
        "MDN counts no-referrer-when-downgrade as unsafe; the legacy id "
        "referrer-policy-no-referrer-when-downgrade does not exist there",
    ),
    "httpobs-x-frame-options-002": LegacyDifference(
        "x-frame-options-sameorigin-or-deny",
        True,
        "same result id; MDN scores it +5, the legacy score table 0",
    ),
    "httpobs-x-frame-options-003": LegacyDifference(
        "x-frame-options-sameorigin-or-deny",
        True,
        "same result id; MDN scores it +5, the legacy score table 0",
    ),
    "httpobs-cross-origin-resource-sharing-004": LegacyDifference(
        "cross-origin-resource-sharing-not-implemented", True, _CROSSDOMAIN
    ),
    "httpobs-cross-origin-resource-sharing-005": LegacyDifference(
        "cross-origin-resource-sharing-not-implemented", True, _CROSSDOMAIN
    ),
    "httpobs-cross-origin-resource-sharing-007": LegacyDifference(
        "cross-origin-resource-sharing-not-implemented", True, _CROSSDOMAIN
    ),
    "httpobs-cross-origin-resource-sharing-008": LegacyDifference(
        "cross-origin-resource-sharing-not-implemented", True, _CROSSDOMAIN
    ),
    "httpobs-cross-origin-resource-sharing-009": LegacyDifference(
        "cross-origin-resource-sharing-not-implemented", True, _CROSSDOMAIN
    ),
    "httpobs-subresource-integrity-007": LegacyDifference(
        "sri-not-implemented-but-no-scripts-loaded",
        True,
        "body `<![..]>`: the legacy parser rejects it (html-not-parsable), browsers and "
        "MDN's parser read it as a bogus comment in a page without scripts",
    ),
}
# Tests the legacy Observatory ran that the MDN Observatory dropped.
LEGACY_ONLY_TESTS = {
    "x-xss-protection": "X-XSS-Protection is obsolete; the MDN Observatory has no such test",
}


def _load() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = []
    for name in VECTOR_FILES:
        with (VECTOR_DIR / name).open(encoding="utf-8") as handle:
            vectors.extend(json.loads(line) for line in handle if line.strip())
    return vectors


VECTORS = _load() if VECTOR_DIR.is_dir() else []
VECTOR_PARAMS = [pytest.param(v, id=v["id"]) for v in VECTORS] or [
    pytest.param(None, id="no-vectors", marks=pytest.mark.skip(reason=MISSING))
]


def replay(vector: dict[str, Any]) -> Report:
    """Run one vector through analyze(), mapping its optional keys onto the inputs."""
    facts: dict[str, Any] = vector.get("context", {})
    redirects = (
        [Redirect(hop["url"], hop["status"]) for hop in vector["redirects"]]
        if "redirects" in vector
        else None
    )
    request = {name.lower(): value for name, value in vector.get("request_headers", [])}
    headers = [(name, value) for name, value in vector["headers"]]
    context = ScanContext(
        http_available=facts.get("http_available", True if redirects is not None else None),
        https_available=facts.get("https_available"),
        https_cert_valid=facts.get("https_cert_valid", True),
        http_cert_valid=facts.get("http_cert_valid", True),
        cors_origin=request.get("origin"),
        hsts_preload=STAND_IN_PRELOAD,
    )
    return analyze(
        vector["url"],
        facts.get("status", 200),
        headers,
        vector["html"],
        redirects=redirects,
        # For CORS vectors the headers are those of the preflight's response.
        cors_headers=headers if vector["test"] == TestName.CROSS_ORIGIN_RESOURCE_SHARING else None,
        context=context,
    )


def reference(vector: dict[str, Any]) -> tuple[str, bool, int] | None:
    """What the MDN rules must give: the recorded expectation or the documented MDN answer."""
    if vector["test"] in LEGACY_ONLY_TESTS:
        return None
    difference = LEGACY_DIFFERENCES.get(vector["id"])
    if difference is not None:
        return difference.result, difference.passed, difference.score_modifier
    expected = vector["expected"]
    return expected["result"], expected["pass"], expected["score_modifier"]


@pytest.mark.parametrize("vector", VECTOR_PARAMS)
def test_vector(vector: dict[str, Any]) -> None:
    report = replay(vector)
    name = vector["test"]
    if name in LEGACY_ONLY_TESTS:
        assert name not in report.tests, LEGACY_ONLY_TESTS[name]
        return
    got = report.tests[name]
    want = reference(vector)
    assert want is not None
    difference = LEGACY_DIFFERENCES.get(vector["id"])
    if difference is not None:
        recorded = vector["expected"]
        # Keep the table honest: each entry must still be a real legacy difference.
        assert (recorded["result"], recorded["pass"], recorded["score_modifier"]) != want
    context = f"{vector['id']} ({vector['source']}): {got.explanation}"
    assert got.result == want[0], context
    assert got.passed is want[1], context
    assert got.score_modifier == want[2], context
    assert got.explanation
    assert "\n" not in got.explanation
    assert got.score_modifier == SCORE_TABLE[Result(got.result)]


@pytest.mark.skipif(not VECTORS, reason=MISSING)
def test_vector_agreement_on_result_ids() -> None:
    """Agreement on result ids over every vector of both files; the target is >= 98 %.

    Three figures are printed. `raw` compares with the ids recorded in the files,
    counting the 9 x-xss-protection vectors (no MDN test) as misses; `comparable`
    leaves those out. Both are bounded by the legacy file's documented differences
    (README caveat 8: a faithful MDN analyzer agrees on 161 of those 173 vectors).
    `reference` compares with what the MDN rules must give (the recorded id, or the
    MDN answer documented above for a legacy difference) and is the one held to 98 %;
    the raw misses must be exactly the documented ones.
    """
    raw = comparable = comparable_total = agree_reference = 0
    raw_misses: set[str] = set()
    for vector in VECTORS:
        report = replay(vector)
        got = report.tests.get(vector["test"])
        recorded = vector["expected"]["result"]
        if got is not None and got.result == recorded:
            raw += 1
        else:
            raw_misses.add(vector["id"])
        want = reference(vector)
        if want is None:
            continue
        comparable_total += 1
        comparable += got is not None and got.result == recorded
        agree_reference += got is not None and got.result == want[0]
    total = len(VECTORS)
    print(
        f"\nresult-id agreement: raw {raw}/{total} = {raw / total:.1%}; "
        f"comparable {comparable}/{comparable_total} = {comparable / comparable_total:.1%}; "
        f"MDN reference {agree_reference}/{comparable_total} = "
        f"{agree_reference / comparable_total:.1%}"
    )
    documented = {
        vid
        for vid, diff in LEGACY_DIFFERENCES.items()
        # X-Frame-Options DENY differs in score only, not in result id.
        if diff.result != next(v["expected"]["result"] for v in VECTORS if v["id"] == vid)
    } | {v["id"] for v in VECTORS if v["test"] in LEGACY_ONLY_TESTS}
    assert raw_misses == documented
    assert agree_reference / comparable_total >= 0.98


# --- grading rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "reported", "grade"),
    [
        (120, 120, "A+"),
        (100, 100, "A+"),
        (99, 99, "A"),
        (90, 90, "A"),
        (89, 89, "A-"),
        (85, 85, "A-"),
        (84, 84, "B+"),
        (80, 80, "B+"),
        (79, 79, "B"),
        (70, 70, "B"),
        (69, 69, "B-"),
        (65, 65, "B-"),
        (64, 64, "C+"),
        (60, 60, "C+"),
        (59, 59, "C"),
        (50, 50, "C"),
        (49, 49, "C-"),
        (45, 45, "C-"),
        (44, 44, "D+"),
        (40, 40, "D+"),
        (39, 39, "D"),
        (30, 30, "D"),
        (29, 29, "D-"),
        (25, 25, "D-"),
        (24, 24, "F"),
        (0, 0, "F"),
        (-10, 0, "F"),
    ],
)
def test_grade_chart(score: int, reported: int, grade: str) -> None:
    assert grade_for_score(score) == (reported, grade)


def test_extra_credit_counts_only_from_90() -> None:
    assert MINIMUM_SCORE_FOR_EXTRA_CREDIT == 90
    # Penalties alone leave exactly 90: the bonuses count.
    assert total_score([-10, 10, 5]) == 105
    # Penalties alone leave 85: the bonuses are dropped.
    assert total_score([-15, 10, 5]) == 85
    assert total_score([]) == 100
    assert total_score([5, 5, 10]) == 120


def test_score_table_matches_readme() -> None:
    """Every MDN result id and modifier in the README table, and nothing else."""
    readme = VECTOR_DIR / "README.md"
    if not readme.is_file():
        pytest.skip(MISSING)
    text = readme.read_text(encoding="utf-8")
    mdn_section = text.split("### MDN Observatory", 2)[2].split("### Legacy Observatory")[0]
    rows = re.findall(r"^\| `[a-z-]+` \| `([a-z0-9-]+)`[^|]*\| ([+-]?\d+) \|", mdn_section, re.M)
    table = {result: int(modifier) for result, modifier in rows}
    assert table == {str(k): v for k, v in SCORE_TABLE.items()}
    assert score_modifier("csp-not-implemented") == -25
    assert score_modifier("no-such-result") == 0


def test_grade_order() -> None:
    assert GRADES[0] == "A+"
    assert GRADES[-1] == "F"
    assert grade_at_least("A", "B")
    assert grade_at_least("B", "B")
    assert not grade_at_least("B-", "B")


# --- end-to-end totals (README, test/scanner.test.js) ---------------------------------

HTML_SAME_ORIGIN_SCRIPT = '<html><head><script src="/app.js"></script></head></html>'
HTML_THIRD_PARTY_SCRIPT = (
    '<html><head><script src="/app.js"></script>'
    '<script src="https://cdn.example.net/lib.js"></script></head></html>'
)
HTTP_TO_HTTPS = [Redirect("http://site.example/", 301), Redirect("https://site.example/", 200)]


def _modifiers(report: Report) -> dict[str, int]:
    return {r.result.value: r.score_modifier for r in report.tests.values() if r.score_modifier}


def test_end_to_end_observatory_mozilla_org_is_110_a_plus() -> None:
    """observatory-mozilla-org: +5 referrer and +5 X-Frame-Options on a clean 100."""
    report = analyze(
        "https://site.example/",
        200,
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Strict-Transport-Security", "max-age=63072000"),
        ],
        HTML_SAME_ORIGIN_SCRIPT,
        redirects=HTTP_TO_HTTPS,
        context=ScanContext(http_available=True),
    )
    assert _modifiers(report) == {
        "referrer-policy-private": 5,
        "x-frame-options-sameorigin-or-deny": 5,
    }
    assert (report.score, report.grade) == (110, "A+")
    assert (report.tests_passed, report.tests_failed) == (12, 0)


def test_end_to_end_mozilla_org_is_75_b() -> None:
    """mozilla-org: -25 in penalties leaves 75 < 90, so +20 of bonuses are dropped."""
    report = analyze(
        "https://site.example/",
        200,
        [
            ("Content-Type", "text/html"),
            (
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self' 'unsafe-inline'; frame-ancestors 'self'",
            ),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("X-Content-Type-Options", "nosniff"),
            ("Strict-Transport-Security", "max-age=31536000"),
        ],
        HTML_THIRD_PARTY_SCRIPT,
        redirects=HTTP_TO_HTTPS,
        context=ScanContext(http_available=True),
    )
    assert _modifiers(report) == {
        "csp-implemented-with-unsafe-inline": -20,
        "sri-not-implemented-but-external-scripts-loaded-securely": -5,
        "coop-implemented-with-same-origin": 10,
        "referrer-policy-private": 5,
        "x-frame-options-implemented-via-csp": 5,
    }
    assert (report.score, report.grade) == (75, "B")
    assert (report.tests_passed, report.tests_failed) == (10, 2)
    csp = report.tests["content-security-policy"]
    assert "'unsafe-inline' in script-src" in csp.explanation


def test_report_keys_are_the_twelve_observatory_tests() -> None:
    report = analyze("https://site.example/", 200, {"Content-Type": "text/html"})
    assert list(report.tests) == [t.value for t in TestName]
    assert report.gradeable
    assert not analyze("https://site.example/", 500, {}).gradeable


def test_headers_may_be_a_mapping_pairs_or_httpx_headers() -> None:
    pairs = [
        ("Content-Type", "text/html"),
        ("Set-Cookie", "a=1; Secure; SameSite=Lax"),
        ("set-cookie", "sessionid=2; Secure"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    from_pairs = analyze("https://site.example/", 200, pairs)
    from_httpx = analyze("https://site.example/", 200, httpx.Headers(pairs))
    # The repeated Set-Cookie survives both shapes: the session cookie lacks HttpOnly.
    for report in (from_pairs, from_httpx):
        assert report.tests["cookies"].result == "cookies-session-without-httponly-flag"
        assert "sessionid" in report.tests["cookies"].explanation
    from_mapping = analyze("https://site.example/", 200, {"x-CONTENT-type-options": "nosniff"})
    assert from_mapping.tests["x-content-type-options"].result == "x-content-type-options-nosniff"


def test_meta_policies_count_only_in_html() -> None:
    html = (
        '<html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        '<meta name="referrer" content="no-referrer"></head></html>'
    )
    as_html = analyze("https://site.example/", 200, {"Content-Type": "text/html"}, html)
    assert as_html.tests["content-security-policy"].result == (
        "csp-implemented-with-no-unsafe-default-src-none"
    )
    assert as_html.tests["referrer-policy"].result == "referrer-policy-private"
    as_text = analyze("https://site.example/", 200, {"Content-Type": "text/plain"}, html)
    assert as_text.tests["content-security-policy"].result == "csp-not-implemented"
    assert as_text.tests["referrer-policy"].result == "referrer-policy-not-implemented"
