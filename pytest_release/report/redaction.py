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

    def strings(self, value: Any) -> Any:
        """Redact every string leaf of JSON-like data; keys stay as they are (a public format)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.strings(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.strings(v) for v in value]
        return value
