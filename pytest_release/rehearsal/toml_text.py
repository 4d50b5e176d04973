"""TOML text for the files the rehearsal writes: config overlays and attestations.

Only what those files need: nested tables, arrays of tables, and strings, numbers,
booleans, dates, date-times and lists of them as values. Strings are written as JSON
strings, whose escapes (``\\"``, ``\\\\``, ``\\uXXXX``) are valid TOML basic strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name)


def value(item: Any) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int | float):
        return repr(item)
    if isinstance(item, str | Path):
        return json.dumps(str(item))
    if isinstance(item, datetime | date):
        return item.isoformat()
    if isinstance(item, Sequence):
        return "[" + ", ".join(value(v) for v in item) + "]"
    raise TypeError(f"no TOML value for {item!r} ({type(item).__name__})")


def tables(data: Mapping[str, Mapping[str, Any]], prefix: str = "") -> str:
    """``[name]`` tables (nested mappings become ``[name.sub]``), scalars before sub-tables."""
    lines: list[str] = []
    for name, table in data.items():
        header = f"{prefix}{key(name)}"
        scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
        subtables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
        if scalars or not subtables:
            lines.append(f"[{header}]")
            lines += [f"{key(k)} = {value(v)}" for k, v in scalars.items()]
            lines.append("")
        if subtables:
            lines.append(tables(subtables, f"{header}."))
    return "\n".join(lines)


def array_of_tables(kind: str, entries: Sequence[Mapping[str, Any]]) -> str:
    """``[[kind]]`` entries, e.g. the attestations file's ``[[waiver]]``."""
    lines: list[str] = []
    for entry in entries:
        lines.append(f"[[{key(kind)}]]")
        lines += [f"{key(k)} = {value(v)}" for k, v in entry.items() if v is not None]
        lines.append("")
    return "\n".join(lines)
