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
_BUILTIN_PATTERNS = (
    r"(?i)\bbearer\s+[a-z0-9._~+/=-]{8,}",
    r"\bgh[pousr]_[A-Za-z0-9]{20,}",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    r"(?i)(://[^/\s:@]+:)[^@\s/]+(@)",
)


class Redactor:
    """Redacts secrets from text and from JSON-like data."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        self._patterns = [re.compile(p) for p in (*_BUILTIN_PATTERNS, *patterns)]

    def text(self, value: str) -> str:
        value = _QUOTED_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", value)
        value = _HEADER_LINE.sub(lambda m: f"{m.group(1)}{REDACTED}", value)
        value = _URL_SECRET.sub(lambda m: m.group(1) + REDACTED, value)
        for pattern in self._patterns:
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
