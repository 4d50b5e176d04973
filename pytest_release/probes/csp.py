"""Content-Security-Policy checks beyond the Observatory grade.

The grade (``probes.headers``) tells how good a policy is overall; these checks say
which protections a page of interactive examples needs are missing: scripts without
'unsafe-inline'/'unsafe-eval', plugins off, framing restricted, <base> pinned, no
wildcard or plain-http sources, and (as a warning only) somewhere to send reports.
The rules follow MDN's CSP guidance and the OWASP CSP cheat sheet; the policy is parsed
by ``probes.headers.csp`` so the effective sources are the ones browsers enforce
(a nonce or hash disables 'unsafe-inline'; 'strict-dynamic' drops host sources).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pytest_release.probes.headers import Result, analyze_csp_only
from pytest_release.probes.headers.csp import CspAnalysis
from pytest_release.probes.headers.response import HeadersInput

WILDCARDS = frozenset({"*", "http:", "https:", "http://*", "https://*", "ftp:", "ws:", "wss:"})
# Directives that decide what code runs or where the page navigates/posts/frames.
ACTIVE_DIRECTIVES = (
    "default-src",
    "script-src",
    "script-src-elem",
    "script-src-attr",
    "object-src",
    "worker-src",
    "child-src",
    "frame-src",
    "connect-src",
    "base-uri",
    "form-action",
    "frame-ancestors",
)
NOT_ENFORCED = frozenset(
    {Result.CSP_NOT_IMPLEMENTED, Result.CSP_NOT_IMPLEMENTED_REPORTING, Result.CSP_HEADER_INVALID}
)


class Level(StrEnum):
    """How much a failed check weighs: FAIL sinks the item, WARN is reported only."""

    FAIL = "fail"
    WARN = "warn"


@dataclass(frozen=True, slots=True)
class CspCheck:
    """One property of the policy: its id, whether it holds, and what to do if not."""

    id: str
    passed: bool
    level: Level
    message: str


@dataclass(frozen=True, slots=True)
class CspReview:
    """Every check on one page's policy."""

    url: str
    checks: tuple[CspCheck, ...]
    policy: str | None
    observatory_result: str

    def failures(self) -> list[CspCheck]:
        return [c for c in self.checks if not c.passed and c.level is Level.FAIL]

    def warnings(self) -> list[CspCheck]:
        return [c for c in self.checks if not c.passed and c.level is Level.WARN]

    @property
    def passed(self) -> bool:
        return not self.failures()

    def evidence(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "policy": self.policy,
            "observatory_result": self.observatory_result,
            "passed": self.passed,
            "checks": [
                {"id": c.id, "passed": c.passed, "level": c.level.value, "message": c.message}
                for c in self.checks
            ],
        }


def _fmt(sources: Iterable[str]) -> str:
    return " ".join(sorted(sources))


def _script_sources(directives: Mapping[str, frozenset[str]]) -> frozenset[str] | None:
    for name in ("script-src", "default-src"):
        if name in directives:
            return directives[name]
    return None


def _script_checks(directives: Mapping[str, frozenset[str]]) -> list[CspCheck]:
    scripts = _script_sources(directives)
    where = "script-src" if "script-src" in directives else "default-src"
    if scripts is None:
        message = (
            "the policy sets neither script-src nor default-src, so scripts may come from "
            "anywhere: add script-src 'self' (plus nonces or hashes for inline scripts)"
        )
        return [
            CspCheck("script-src-no-unsafe-inline", False, Level.FAIL, message),
            CspCheck("script-src-no-unsafe-eval", True, Level.FAIL, "no script policy at all"),
        ]
    inline = {"'unsafe-inline'", "data:"} & scripts
    inline_message = (
        f"{where} allows {_fmt(inline)}: remove it and load scripts from files, or allow "
        "the inline scripts you need by nonce or hash"
        if inline
        else f"{where} allows no inline scripts"
    )
    evals = "'unsafe-eval'" in scripts
    eval_message = (
        f"{where} allows 'unsafe-eval': remove it and stop using eval(), new Function() "
        "and string timers ('wasm-unsafe-eval' is enough for WebAssembly)"
        if evals
        else f"{where} allows no eval()"
    )
    return [
        CspCheck("script-src-no-unsafe-inline", not inline, Level.FAIL, inline_message),
        CspCheck("script-src-no-unsafe-eval", not evals, Level.FAIL, eval_message),
    ]


def _object_check(directives: Mapping[str, frozenset[str]]) -> CspCheck:
    objects = directives.get("object-src", directives.get("default-src"))
    ok = objects == frozenset({"'none'"})
    where = "object-src" if "object-src" in directives else "default-src"
    if ok:
        return CspCheck("object-src-none", True, Level.FAIL, f"{where} 'none' blocks plugins")
    found = f"{where} is {_fmt(objects)}" if objects else "object-src is not set"
    return CspCheck(
        "object-src-none",
        False,
        Level.FAIL,
        f"{found}, so <object>/<embed> can load plugins: add object-src 'none'",
    )


def _frame_ancestors_check(header_directives: Mapping[str, frozenset[str]]) -> CspCheck:
    ancestors = header_directives.get("frame-ancestors")
    if ancestors is None:
        return CspCheck(
            "frame-ancestors",
            False,
            Level.FAIL,
            "no frame-ancestors in the Content-Security-Policy header (a <meta> policy cannot "
            "set it), so other sites may frame the page (clickjacking): add "
            "frame-ancestors 'none' (or 'self')",
        )
    loose = ancestors & WILDCARDS
    if loose:
        return CspCheck(
            "frame-ancestors",
            False,
            Level.FAIL,
            f"frame-ancestors allows any site ({_fmt(loose)}): use 'none', 'self' or exact origins",
        )
    return CspCheck("frame-ancestors", True, Level.FAIL, f"frame-ancestors {_fmt(ancestors)}")


def _base_uri_check(directives: Mapping[str, frozenset[str]]) -> CspCheck:
    base = directives.get("base-uri")
    if base is None:
        return CspCheck(
            "base-uri",
            False,
            Level.FAIL,
            "base-uri is not set (it does not fall back to default-src), so injected <base> "
            "tags can redirect relative script URLs: add base-uri 'none' (or 'self')",
        )
    loose = base & (WILDCARDS | {"data:", "'unsafe-inline'"})
    if loose:
        return CspCheck(
            "base-uri", False, Level.FAIL, f"base-uri allows {_fmt(loose)}: use 'none' or 'self'"
        )
    return CspCheck("base-uri", True, Level.FAIL, f"base-uri {_fmt(base)}")


def _source_checks(directives: Mapping[str, frozenset[str]]) -> list[CspCheck]:
    checks: list[CspCheck] = []
    for kind, test in (
        ("wildcard", lambda s: s in WILDCARDS),
        ("http", lambda s: s.startswith(("http:", "ws:"))),
    ):
        active: list[str] = []
        passive: list[str] = []
        for name, sources in sorted(directives.items()):
            bad = sorted(s for s in sources if test(s))
            if bad:
                (active if name in ACTIVE_DIRECTIVES else passive).append(f"{name} {' '.join(bad)}")
        if kind == "wildcard":
            fix = "list the exact origins instead of a wildcard or a bare scheme"
            what = "wildcard sources"
        else:
            fix = "serve those resources over https: and list them with https:// origins"
            what = "plain-http sources"
        for level, found, scope in (
            (Level.FAIL, active, "active"),
            (Level.WARN, passive, "passive"),
        ):
            ident = f"no-{kind}-sources" + ("" if level is Level.FAIL else "-passive")
            message = (
                f"{what} in {scope} directives ({'; '.join(found)}): {fix}"
                if found
                else f"no {what} in {scope} directives"
            )
            checks.append(CspCheck(ident, not found, level, message))
    return checks


def _reporting_check(directives: Mapping[str, frozenset[str]]) -> CspCheck:
    reporting = [name for name in ("report-to", "report-uri") if name in directives]
    if reporting:
        return CspCheck(
            "reporting", True, Level.WARN, f"violations are reported ({', '.join(reporting)})"
        )
    return CspCheck(
        "reporting",
        False,
        Level.WARN,
        "violations are not reported anywhere: add report-to (with a Reporting-Endpoints "
        "header) so a broken or attacked page shows up in your logs",
    )


def review_analysis(url: str, analysis: CspAnalysis) -> CspReview:
    """Run the checks on an already parsed policy."""
    verdict = analysis.verdict
    policy = verdict.data
    if verdict.result in NOT_ENFORCED or not analysis.enforced:
        check = CspCheck("enforced", False, Level.FAIL, verdict.explanation)
        return CspReview(url, (check,), policy, verdict.result.value)
    where = "header" if analysis.from_header else "<meta> tag"
    checks = [
        CspCheck("enforced", True, Level.FAIL, f"a policy is enforced (from the {where})"),
        *_script_checks(analysis.directives),
        _object_check(analysis.directives),
        _frame_ancestors_check(analysis.header_directives),
        _base_uri_check(analysis.directives),
        *_source_checks(analysis.directives),
        _reporting_check(analysis.directives),
    ]
    return CspReview(url, tuple(checks), policy, verdict.result.value)


def review_policy(url: str, headers: HeadersInput, html: str | None = None) -> CspReview:
    """Check the Content-Security-Policy of one response (headers and, for HTML, <meta>)."""
    return review_analysis(url, analyze_csp_only(url, headers, html))
