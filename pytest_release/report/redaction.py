"""Redaction for free text that the report views show: header lines and secret-looking pairs.

The core ``Redactor`` handles tokens in URLs, bearer tokens, well-known key formats and values
under secret-looking keys of structured data. Test messages and captured output are free text,
where a header travels as ``Cookie: sid=...`` or as ``{'set-cookie': 'sid=...'}``; those forms
are redacted here too, so every view (HTML, checklist.md, results.json, junit.xml) agrees.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_release.redact import REDACTED, Redactor

_SECRET_NAMES = (
    r"(?:proxy-)?authorization|set-cookie|cookie|x-api-key|x-auth-token|x-csrf-token"
    r"|api[-_]?key|access[-_]?token|refresh[-_]?token|client[-_]?secret|passw(?:or)?d|secret"
)
# 'cookie': 'sid=1'  "Authorization": "Basic x"  password="hunter2"  (reprs, JSON, kwargs)
_QUOTED_PAIR = re.compile(
    rf"(?i)(['\"]?\b(?:{_SECRET_NAMES})['\"]?\s*[:=]\s*)(['\"])((?:\\.|(?!\2).)*)\2"
)
# Cookie: sid=1; Path=/     Authorization: Basic dXNlcg==   (header lines, log lines)
_HEADER_LINE = re.compile(rf"(?i)(\b(?:{_SECRET_NAMES})[ \t]*:[ \t]*)(?!\[REDACTED\])(\S[^\r\n]*)")


class ReportRedactor(Redactor):
    """The core Redactor plus header lines and secret pairs inside free text."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        super().__init__(patterns)

    def text(self, value: str) -> str:
        value = _QUOTED_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", value)
        value = _HEADER_LINE.sub(lambda m: f"{m.group(1)}{REDACTED}", value)
        return super().text(value)

    def escaped(self, value: str) -> str:
        """Redact text that is already HTML-escaped (pytest-html's log sections)."""
        plain = html.unescape(value)
        redacted = self.text(plain)
        return value if redacted == plain else html.escape(redacted)

    def strings(self, value: Any) -> Any:
        """Redact every string leaf of JSON-like data; keys stay as they are (a public format)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.strings(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.strings(v) for v in value]
        return value
