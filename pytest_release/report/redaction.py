"""Redaction helpers for the report views, on top of the core Redactor.

pytest-html hands over test output already HTML-escaped, and results.json is a public format
whose keys must stay as they are; the two helpers here cover those shapes.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from pytest_release.redact import Redactor

_SCALARS = frozenset({int, float, bool, type(None)})


class ReportRedactor(Redactor):
    """The core Redactor plus the shapes the report views need."""

    def escaped(self, value: str) -> str:
        """Redact text that is already HTML-escaped (pytest-html's log sections)."""
        plain = html.unescape(value)
        redacted = self.text(plain)
        return value if redacted == plain else html.escape(redacted)

    def strings(self, value: Any) -> Any:
        """Redact every string leaf of JSON-like data; keys stay as they are (a public format).

        Node ids, sections and statuses repeat across a big run: each distinct string is
        redacted once. Leaves are handled inline, containers recursively: a big run has tens
        of thousands of leaves, and a call per leaf was most of the cost.
        """
        seen: dict[str, str] = {}
        text = self.text

        def redacted(leaf: str) -> str:
            done = seen.get(leaf)
            if done is None:
                done = seen[leaf] = text(leaf)
            return done

        def walk(node: Any) -> Any:
            kind = type(node)  # exact types first: isinstance against an ABC is slow
            if kind is str:
                return redacted(node)
            if kind is dict:
                return {
                    k: redacted(v) if type(v) is str else v if type(v) in _SCALARS else walk(v)
                    for k, v in node.items()
                }
            if kind is list or kind is tuple:
                return [
                    redacted(v) if type(v) is str else v if type(v) in _SCALARS else walk(v)
                    for v in node
                ]
            if isinstance(node, str):  # str subclasses (enums)
                return redacted(str(node))
            if isinstance(node, Mapping):
                return {k: walk(v) for k, v in node.items()}
            if isinstance(node, list | tuple):
                return [walk(v) for v in node]
            return node

        return walk(value)
