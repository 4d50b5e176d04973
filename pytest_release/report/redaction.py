"""Redaction helpers for the report views, on top of the core Redactor.

pytest-html hands over test output already HTML-escaped, and results.json is a public format
whose keys must stay as they are; the two helpers here cover those shapes.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
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
        """Redact every string leaf of JSON-like data; keys stay as they are (a public format).

        Node ids, sections and statuses repeat across a big run: each distinct string is
        redacted once. Leaves are handled inline, containers recursively: a big run has tens
        of thousands of leaves, and a call per leaf was most of the cost.
        """
        seen: dict[str, str] = {}
        text = self.text

        def walk(node: Any) -> Any:
            if isinstance(node, str):
                done = seen.get(node)
                if done is None:
                    done = seen[node] = text(node)
                return done
            pairs: Iterable[tuple[Any, Any]]
            if isinstance(node, Mapping):
                pairs = node.items()
            elif isinstance(node, list | tuple):
                pairs = enumerate(node)
            else:
                return node
            out: dict[Any, Any] = {}
            for key, item in pairs:
                if isinstance(item, str):
                    done = seen.get(item)
                    if done is None:
                        done = seen[item] = text(item)
                    out[key] = done
                elif isinstance(item, Mapping | list | tuple):
                    out[key] = walk(item)
                else:
                    out[key] = item
            return out if isinstance(node, Mapping) else list(out.values())

        return walk(value)
