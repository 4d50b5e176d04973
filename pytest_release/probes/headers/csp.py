"""Content-Security-Policy: parsing (header and <meta>) and the Observatory's CSP test.

Rules follow the MDN HTTP Observatory (mdn/mdn-http-observatory, MPL-2.0); the code
here is written from those rules, not translated from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from types import MappingProxyType
from urllib.parse import unquote

from pytest_release.probes.headers.model import Result, Verdict

# Sources that allow (nearly) any host.
DANGEROUSLY_BROAD = frozenset(
    {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
)
UNSAFE_INLINE = frozenset({"'unsafe-inline'", "data:"})
BROAD_OR_INLINE = DANGEROUSLY_BROAD | UNSAFE_INLINE
PASSIVE_DIRECTIVES = ("img-src", "media-src")
NONCE_OR_HASH_PREFIXES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
# The HTML standard ignores these in <meta http-equiv="Content-Security-Policy">.
DISALLOWED_IN_META = ("frame-ancestors", "report-uri", "sandbox")
ALLOWED_DUPLICATES = frozenset({"report-uri", "report-to"})
# A policy shorter than "img-src" minus one character cannot hold a directive.
MIN_POLICY_LENGTH = len("img-src") - 1
INSECURE_SCHEMES = ("http:", "ftp:")

Directives = Mapping[str, frozenset[str]]
EMPTY_DIRECTIVES: Directives = MappingProxyType({})


class CspError(ValueError):
    """A policy the Observatory refuses to parse (it grades it csp-header-invalid)."""


@dataclass(frozen=True, slots=True)
class ParsedCsp:
    """The effective directives of one or more policies, merged as the Observatory does."""

    directives: Directives
    # report-uri / report-to given twice in one policy (allowed, but worth a warning).
    duplicated: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Source:
    text: str
    policy: int
    keep: bool


def split_policies(values: Iterable[str]) -> list[str]:
    """Split header values into policies: a comma separates policies (CSP3 §2.2)."""
    return [policy.strip() for value in values for policy in value.split(",")]


def _path_part_match(broader: str, narrower: str) -> bool:
    """Whether source `broader` of one policy covers source `narrower` of another."""
    if not broader:
        return True
    if broader == "/" and not narrower:
        return True
    exact = not broader.endswith("/")
    parts_a = broader.split("/")
    parts_b = narrower.split("/")
    if len(parts_a) > len(parts_b) or (exact and len(parts_a) != len(parts_b)):
        return False
    if not exact:
        parts_a.pop()
    return all(unquote(a) == unquote(b) for a, b in zip(parts_a, parts_b, strict=False))


def parse_policies(policies: Sequence[str]) -> ParsedCsp:
    """Merge a list of policies into one directive -> sources map; raise CspError if invalid.

    Sources are lower-cased; within a policy a source made redundant by a shorter one
    is dropped; a later policy only keeps sources that an earlier one also allows
    (so enforcing two policies is never looser than the first). A `-src` directive
    without sources, or left without any, means 'none'.
    """
    cleaned = [p.replace("\r", "").replace("\n", "").strip() for p in policies]
    for policy in cleaned:
        if len(policy) < MIN_POLICY_LENGTH:
            raise CspError(f"policy {policy!r} is empty or too short to hold a directive")
    merged: dict[str, list[_Source]] = {}
    duplicated: set[str] = set()
    several = len(cleaned) > 1
    for index, policy in enumerate(cleaned):
        seen: set[str] = set()
        for entry in policy.split(";"):
            tokens = entry.split()
            if not tokens:
                continue
            directive = tokens[0].lower()
            if directive in seen:
                if directive not in ALLOWED_DUPLICATES:
                    raise CspError(f"directive {directive} appears twice in one policy")
                duplicated.add(directive)
            seen.add(directive)
            first = index == 0
            values = [_Source(token.lower(), index, first) for token in tokens[1:]]
            if not values and directive.endswith("-src"):
                values = [_Source("'none'", index, first)]
            combined = values if first else [*merged.get(directive, []), *values]
            combined.sort(key=lambda s: s.text)
            for prev, cur in pairwise(combined):
                if cur.policy == prev.policy and cur.text.startswith(prev.text):
                    cur.keep = False
                if cur.policy != prev.policy and _path_part_match(prev.text, cur.text):
                    cur.keep = True
            kept = [s for s in combined if s.keep]
            merged[directive] = kept
            if first and several:
                # From now on a source survives only if a later policy allows it too.
                for source in kept:
                    source.keep = False
    directives = {
        name: frozenset(s.text for s in sources) or frozenset({"'none'"})
        for name, sources in merged.items()
    }
    return ParsedCsp(MappingProxyType(directives), frozenset(duplicated))


def parse_meta_policies(policies: Sequence[str]) -> ParsedCsp:
    """Like parse_policies, minus the directives a <meta> policy may not set."""
    parsed = parse_policies(policies)
    directives = {k: v for k, v in parsed.directives.items() if k not in DISALLOWED_IN_META}
    return ParsedCsp(MappingProxyType(directives), parsed.duplicated)


@dataclass(frozen=True, slots=True)
class CspFlags:
    """Properties of the effective policy, beyond the single result id."""

    anti_clickjacking: bool = False
    default_none: bool = False
    insecure_base_uri: bool = False
    insecure_form_action: bool = False
    insecure_scheme_active: bool = False
    insecure_scheme_passive: bool = False
    strict_dynamic: bool = False
    unsafe_eval: bool = False
    unsafe_inline: bool = False
    unsafe_inline_style: bool = False
    unsafe_objects: bool = False


@dataclass(frozen=True, slots=True)
class CspAnalysis:
    """The CSP test's verdict plus the parsed policy, for checks beyond the grade."""

    verdict: Verdict
    directives: Directives = field(default_factory=lambda: EMPTY_DIRECTIVES)
    # Directives delivered by the header alone (frame-ancestors only counts there).
    header_directives: Directives = field(default_factory=lambda: EMPTY_DIRECTIVES)
    flags: CspFlags | None = None
    from_header: bool = False
    from_meta: bool = False

    @property
    def enforced(self) -> bool:
        """True when a parseable policy is in force (the other tests may rely on it)."""
        return bool(self.directives)


def _has_nonce_or_hash(sources: Iterable[str]) -> bool:
    return any(s.startswith(NONCE_OR_HASH_PREFIXES) for s in sources)


def _fmt(sources: Iterable[str]) -> str:
    return " ".join(sorted(sources))


def _unsafe_inline_cause(
    csp: Mapping[str, set[str]], script_src: set[str], object_src: set[str]
) -> str:
    """One sentence naming what made the policy unsafe and how to fix it."""
    where = "script-src" if "script-src" in csp else "default-src (used for scripts)"
    if "script-src" not in csp and "default-src" not in csp:
        return (
            "CSP sets neither script-src nor default-src, so scripts may load from anywhere: "
            "add script-src with explicit origins, nonces or hashes (or default-src 'none')"
        )
    if "'unsafe-inline'" in script_src:
        return (
            f"CSP allows 'unsafe-inline' in {where}: remove it and use nonces or hashes "
            "for the inline scripts you need"
        )
    if "data:" in script_src:
        return (
            f"CSP allows data: URLs in {where}: remove data: so injected data: scripts cannot run"
        )
    broad = script_src & DANGEROUSLY_BROAD
    if broad:
        return (
            f"CSP {where} allows any host ({_fmt(broad)}): list the exact origins scripts "
            "come from, or use nonces with 'strict-dynamic'"
        )
    if "object-src" not in csp and "default-src" not in csp:
        return (
            "CSP sets neither object-src nor default-src, so plugins may load from anywhere: "
            "add object-src 'none'"
        )
    loose = _fmt(object_src & DANGEROUSLY_BROAD)
    return f"CSP object-src allows any host ({loose}): set object-src 'none'"


def _insecure(sources: Iterable[str]) -> set[str]:
    return {s for s in sources if s.startswith(INSECURE_SCHEMES)}


def analyze_csp(
    header_values: Sequence[str],
    meta_values: Sequence[str],
    *,
    report_only: bool,
    https: bool,
) -> CspAnalysis:
    """Run the Observatory's content-security-policy test on header and <meta> policies."""
    header_policies = split_policies(header_values)
    meta_policies = split_policies(meta_values)
    try:
        parsed = parse_policies([*header_policies, *meta_policies])
    except CspError as exc:
        return CspAnalysis(
            Verdict(
                Result.CSP_HEADER_INVALID,
                False,
                f"CSP cannot be parsed ({exc}): fix the policy syntax so browsers enforce it",
                data=", ".join(header_values) or None,
            )
        )
    # Most responses carry policies from one source only: reuse the parse then.
    if not meta_policies:
        header_only, meta_only = parsed.directives, EMPTY_DIRECTIVES
    else:
        try:
            header_only = parse_policies(header_policies).directives
        except CspError:
            header_only = EMPTY_DIRECTIVES
        try:
            meta_only = parse_meta_policies(meta_policies).directives
        except CspError:
            meta_only = EMPTY_DIRECTIVES

    if not header_only and not meta_only:
        # A <meta> policy holding only header-only directives enforces nothing.
        if report_only:
            return CspAnalysis(
                Verdict(
                    Result.CSP_NOT_IMPLEMENTED_REPORTING,
                    False,
                    "Only Content-Security-Policy-Report-Only is set, which blocks nothing: "
                    "once its reports are clean, send the same policy as Content-Security-Policy",
                )
            )
        return CspAnalysis(
            Verdict(
                Result.CSP_NOT_IMPLEMENTED,
                False,
                "No Content-Security-Policy is set: add one, starting from default-src 'none' "
                "and allowing only the sources the page needs",
            )
        )

    # Mutable copies: script-src may be the very set of default-src, and pruning it
    # below must show through wherever default-src is read, as in the Observatory.
    csp: dict[str, set[str]] = {k: set(v) for k, v in parsed.directives.items()}
    star = {"*"}
    base_uri = csp.get("base-uri", star)
    frame_ancestors = set(header_only.get("frame-ancestors", star))
    form_action = csp.get("form-action", star)
    object_src = csp.get("object-src", csp.get("default-src", star))
    script_src = csp.get("script-src", csp.get("default-src", {"*"}))
    style_src = csp.get("style-src", csp.get("default-src", {"*"}))

    # A nonce or hash makes browsers ignore 'unsafe-inline' (it is only a fallback).
    for sources in (script_src, style_src):
        if _has_nonce_or_hash(sources):
            sources.discard("'unsafe-inline'")

    result: Result | None = None
    explanation = ""
    strict_dynamic = False
    if "'strict-dynamic'" in script_src:
        if _has_nonce_or_hash(script_src):
            # With 'strict-dynamic' browsers ignore host and scheme sources, 'self'
            # and 'unsafe-inline' in script-src.
            for source in list(script_src):
                if source.startswith(tuple(DANGEROUSLY_BROAD)) or source in (
                    "'self'",
                    "'unsafe-inline'",
                ):
                    script_src.discard(source)
            strict_dynamic = True
        else:
            result = Result.CSP_HEADER_INVALID
            explanation = (
                "CSP uses 'strict-dynamic' in script-src without a nonce or hash, which blocks "
                "every script: add a 'nonce-…' or 'sha256-…' source"
            )

    active_sources = [
        s
        for name, sources in csp.items()
        if name not in PASSIVE_DIRECTIVES and name != "script-src"
        for s in sources
    ]
    active_sources.extend(script_src)
    passive_sources = [
        s for name in PASSIVE_DIRECTIVES for s in csp.get(name, csp.get("default-src", set()))
    ]

    unsafe_inline = bool(script_src & BROAD_OR_INLINE) or bool(object_src & DANGEROUSLY_BROAD)
    if unsafe_inline and result is None:
        result = Result.CSP_UNSAFE_INLINE
        explanation = _unsafe_inline_cause(csp, script_src, object_src)

    insecure_active = _insecure(active_sources) if https else set()
    if insecure_active and result is None:
        result = Result.CSP_INSECURE_SCHEME
        explanation = (
            f"CSP lets a secure page load active content over an insecure scheme "
            f"({_fmt(insecure_active)}): replace those sources with https: ones"
        )

    unsafe_eval = "'unsafe-eval'" in script_src or "'unsafe-eval'" in style_src
    if unsafe_eval and result is None:
        result = Result.CSP_UNSAFE_EVAL
        explanation = (
            "CSP allows 'unsafe-eval': remove it and stop using eval(), new Function() "
            "and string timers"
        )

    insecure_passive = _insecure(passive_sources) if https else set()
    if insecure_passive and result is None:
        result = Result.CSP_INSECURE_SCHEME_PASSIVE_ONLY
        explanation = (
            f"CSP lets images or media load over an insecure scheme ({_fmt(insecure_passive)}): "
            "use https: sources in img-src and media-src"
        )

    unsafe_style = bool(style_src & BROAD_OR_INLINE)
    if unsafe_style and result is None:
        result = Result.CSP_UNSAFE_INLINE_STYLE_ONLY
        loose = _fmt(style_src & BROAD_OR_INLINE)
        explanation = (
            f"CSP is safe for scripts but style-src is loose ({loose}): "
            "move inline styles to files or allow them by nonce or hash"
        )

    default_src = csp.get("default-src")
    default_none = default_src == {"'none'"}
    if result is None:
        if default_none:
            result = Result.CSP_NO_UNSAFE_DEFAULT_NONE
            explanation = "CSP is strict: default-src 'none' and no unsafe sources"
        else:
            result = Result.CSP_NO_UNSAFE
            explanation = (
                "CSP has no unsafe sources; setting default-src 'none' (and allowing the rest "
                "per directive) would earn the full bonus"
            )

    passed = result in (
        Result.CSP_NO_UNSAFE,
        Result.CSP_NO_UNSAFE_DEFAULT_NONE,
        Result.CSP_UNSAFE_INLINE_STYLE_ONLY,
        Result.CSP_INSECURE_SCHEME_PASSIVE_ONLY,
    )
    if passed and parsed.duplicated:
        result = Result.CSP_DUPLICATE_DIRECTIVES
        explanation = (
            f"CSP repeats {_fmt(parsed.duplicated)} within one policy: keep a single "
            "occurrence of each"
        )

    flags = CspFlags(
        anti_clickjacking=not (frame_ancestors & DANGEROUSLY_BROAD),
        default_none=default_none,
        insecure_base_uri=bool(base_uri & BROAD_OR_INLINE),
        insecure_form_action=bool(form_action & DANGEROUSLY_BROAD),
        insecure_scheme_active=bool(insecure_active),
        insecure_scheme_passive=bool(insecure_passive),
        strict_dynamic=strict_dynamic,
        unsafe_eval=unsafe_eval,
        unsafe_inline=unsafe_inline,
        unsafe_inline_style=unsafe_style,
        unsafe_objects=bool(object_src & DANGEROUSLY_BROAD),
    )
    data = "; ".join(f"{k} {_fmt(v)}".strip() for k, v in sorted(csp.items()))
    return CspAnalysis(
        verdict=Verdict(result, passed, explanation, data=data),
        directives=MappingProxyType({k: frozenset(v) for k, v in csp.items()}),
        header_directives=header_only,
        flags=flags,
        from_header=bool(header_policies),
        from_meta=bool(meta_policies),
    )
