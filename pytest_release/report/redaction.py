"""Redaction helpers for the report views, on top of the core Redactor.

pytest-html hands over test output already HTML-escaped, and results.json is a public format
whose keys must stay as they are; the two helpers here cover those shapes.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from pytest_release.redact import Redactor


class ReportRedactor(Redactor):
    """The core Redactor plus the shapes the report views need."""

    def escaped(self, value: str) -> str:
        """Redact text that is already HTML-escaped (pytest-html's log sections)."""
        plain = html.unescape(value)
        redacted = self.text(plain)
        return value if redacted == plain else html.escape(redacted)

    def strings(self, value: Any, _seen: dict[str, str] | None = None) -> Any:
        """Redact every string leaf of JSON-like data; keys stay as they are (a public format).

        Node ids, sections and statuses repeat across a big run: each distinct string is
        redacted once.
        """
        seen = {} if _seen is None else _seen
        if isinstance(value, str):
            done = seen.get(value)
            if done is None:
                done = seen[value] = self.text(value)
            return done
        if isinstance(value, Mapping):
            return {k: self.strings(v, seen) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.strings(v, seen) for v in value]
        return value
