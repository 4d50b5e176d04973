"""Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy (structured-field tokens).

Rules follow the MDN HTTP Observatory (mdn/mdn-http-observatory, MPL-2.0), which reads
both headers as the HTML standard does: an RFC 8941 item whose bare item is a token.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pytest_release.probes.headers.model import Result, Verdict

# RFC 8941 §3.3.4 token, §3.1.2 parameter key, and the bare items a parameter may hold.
_TOKEN = r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*"
_KEY = r"[a-z*][a-z0-9_\-.*]*"
_STRING = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"'
_NUMBER = r"-?[0-9]{1,15}(?:\.[0-9]{1,3})?"
_BYTES = r":[A-Za-z0-9+/=]*:"
_BOOLEAN = r"\?[01]"
_BARE_ITEM = rf"(?:{_STRING}|{_NUMBER}|{_TOKEN}|{_BYTES}|{_BOOLEAN})"
_ITEM = re.compile(rf"({_TOKEN}|{_BARE_ITEM})((?:;[ ]*{_KEY}(?:={_BARE_ITEM})?)*)")
_IS_TOKEN = re.compile(_TOKEN)


def structured_token(value: str) -> str | None:
    """The bare item of an RFC 8941 item when it is a token; None if invalid or not a token.

    Parameters (such as report-to="endpoint") are accepted and ignored. Tokens are
    case-sensitive, so "Same-Origin" is a valid token but not a valid policy.
    """
    match = _ITEM.fullmatch(value.strip(" "))
    if match is None:
        return None
    bare = match.group(1)
    return bare if _IS_TOKEN.fullmatch(bare) else None


_COOP = {
    "same-origin": Result.COOP_SAME_ORIGIN,
    "same-origin-allow-popups": Result.COOP_SAME_ORIGIN_ALLOW_POPUPS,
    "noopener-allow-popups": Result.COOP_NOOPENER_ALLOW_POPUPS,
    "unsafe-none": Result.COOP_UNSAFE_NONE,
}
_COEP = {
    "require-corp": Result.COEP_REQUIRE_CORP,
    "credentialless": Result.COEP_CREDENTIALLESS,
    "unsafe-none": Result.COEP_UNSAFE_NONE,
}


def cross_origin_opener_policy(values: Sequence[str]) -> Verdict:
    """Cross-Origin-Opener-Policy: exactly one header holding a known policy token."""
    if not values:
        return Verdict(
            Result.COOP_NOT_IMPLEMENTED,
            True,
            "No Cross-Origin-Opener-Policy is set; Cross-Origin-Opener-Policy: same-origin "
            "would isolate the page from cross-origin windows",
        )
    if len(values) > 1:
        return Verdict(
            Result.COOP_INVALID,
            False,
            "Cross-Origin-Opener-Policy is sent more than once, so browsers ignore it: "
            "send a single header, e.g. same-origin",
            data=", ".join(values),
        )
    data = values[0][:1024].strip()
    result = _COOP.get(structured_token(data) or "")
    if result is None:
        return Verdict(
            Result.COOP_INVALID,
            False,
            f"Cross-Origin-Opener-Policy {data!r} is not a valid policy (values are "
            "lower-case, unquoted tokens): use same-origin",
            data=data,
        )
    if result is Result.COOP_UNSAFE_NONE:
        text = "Cross-Origin-Opener-Policy is unsafe-none, which isolates nothing"
    else:
        text = f"Cross-Origin-Opener-Policy is {structured_token(data)}"
    return Verdict(result, True, text, data=data)


def cross_origin_embedder_policy(values: Sequence[str]) -> Verdict:
    """Cross-Origin-Embedder-Policy: exactly one header holding a known policy token."""
    if not values:
        return Verdict(
            Result.COEP_NOT_IMPLEMENTED,
            True,
            "No Cross-Origin-Embedder-Policy is set; require-corp or credentialless "
            "would enable cross-origin isolation",
        )
    if len(values) > 1:
        return Verdict(
            Result.COEP_INVALID,
            False,
            "Cross-Origin-Embedder-Policy is sent more than once, so browsers ignore it: "
            "send a single header, e.g. require-corp",
            data=", ".join(values),
        )
    data = values[0][:1024].strip()
    result = _COEP.get(structured_token(data) or "")
    if result is None:
        return Verdict(
            Result.COEP_INVALID,
            False,
            f"Cross-Origin-Embedder-Policy {data!r} is not a valid policy (values are "
            "lower-case, unquoted tokens): use require-corp or credentialless",
            data=data,
        )
    if result is Result.COEP_UNSAFE_NONE:
        text = "Cross-Origin-Embedder-Policy is unsafe-none, which enables no isolation"
    else:
        text = f"Cross-Origin-Embedder-Policy is {structured_token(data)}"
    return Verdict(result, True, text, data=data)
