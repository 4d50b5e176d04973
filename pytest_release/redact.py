"""Keep secrets out of every artifact: header values, tokens in URLs, configured patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"
SECRET_HEADER = re.compile(
    r"^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-auth-token|x-csrf-token"
    r"|.*(token|secret|password|passwd|api[-_]?key|session).*)$",
    re.IGNORECASE,
)
_URL_SECRET = re.compile(
    r"(?i)([?&;](?:access_token|token|api_key|apikey|key|secret|password|passwd|sig|signature"
    r"|auth|session|code)=)[^&#\s\"']+"
)
_SECRET_NAMES = (
    r"(?:proxy-)?authorization|set-cookie|cookie|x-api-key|x-auth-token|x-csrf-token"
    r"|api[-_]?key|access[-_]?token|refresh[-_]?token|client[-_]?secret|passw(?:or)?d|secret"
)
# Free text (messages, logs, evidence text) carries headers as 'Cookie: sid=...' lines or as
# pairs in reprs/JSON/kwargs: {'set-cookie': 'sid=...'}, password="...".
_QUOTED_PAIR = re.compile(
    rf"(?i)(['\"]?\b(?:{_SECRET_NAMES})['\"]?\s*[:=]\s*)(['\"])((?:\\.|(?!\2).)*)\2"
)
_HEADER_LINE = re.compile(rf"(?i)(\b(?:{_SECRET_NAMES})[ \t]*:[ \t]*)(?!\[REDACTED\])(\S[^\r\n]*)")
# Every name in _SECRET_NAMES contains one of these (lower case).
_SECRET_NAME_WORDS = ("authorization", "cookie", "key", "token", "secret", "passw")
# (pattern, a lower-case word every match contains): the word is a cheap test that lets most
# text skip the regex; patterns from the configuration have no word and always run.
_BUILTIN_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(?i)\bbearer\s+[a-z0-9._~+/=-]{8,}", "bearer"),
    (r"\bgh[pousr]_[A-Za-z0-9]{20,}", "gh"),
    (r"\bAKIA[0-9A-Z]{16}\b", "akia"),
    (r"\bxox[abprs]-[A-Za-z0-9-]{10,}", "xox"),
    (r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----", "-----begin"),
    (r"(?i)(://[^/\s:@]+:)[^@\s/]+(@)", "://"),
)


# One search over the lower-cased text for every cheap test below: text without any of these
# (most node ids, checklist texts, statuses) cannot match a built-in rule and is returned as is.
_ANY_WORD = re.compile(
    "|".join(re.escape(w) for w in (*_SECRET_NAME_WORDS, "=", *(w for _, w in _BUILTIN_PATTERNS)))
)


class Redactor:
    """Redacts secrets from text and from JSON-like data."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        self._patterns: list[tuple[re.Pattern[str], str | None]] = [
            *((re.compile(p), word) for p, word in _BUILTIN_PATTERNS),
            *((re.compile(p), None) for p in patterns),
        ]
        self._configured = len(self._patterns) > len(_BUILTIN_PATTERNS)

    def text(self, value: str) -> str:
        lowered = value.lower()
        if not self._configured and _ANY_WORD.search(lowered) is None:
            return value
        if any(word in lowered for word in _SECRET_NAME_WORDS):  # the regexes are slow; skip
            value = _QUOTED_PAIR.sub(
                lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", value
            )
            value = _HEADER_LINE.sub(lambda m: f"{m.group(1)}{REDACTED}", value)
        if "=" in value:
            value = _URL_SECRET.sub(lambda m: m.group(1) + REDACTED, value)
        for pattern, word in self._patterns:
            if word is None or word in lowered:
                value = pattern.sub(_keep_groups, value)
        return value

    def data(self, value: Any) -> Any:
        """Redact recursively; values under secret-looking keys are replaced entirely."""
        if isinstance(value, Mapping):
            return {
                k: (REDACTED if isinstance(k, str) and SECRET_HEADER.match(k) else self.data(v))
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            if len(value) == 2 and isinstance(value[0], str) and SECRET_HEADER.match(value[0]):
                return [value[0], REDACTED]
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _keep_groups(match: re.Match[str]) -> str:
    # Patterns with two groups keep their frame (e.g. 'https://user:' ... '@') around the secret.
    if match.re.groups == 2:
        return f"{match.group(1)}{REDACTED}{match.group(2)}"
    return REDACTED
