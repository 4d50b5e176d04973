"""The Big List of Naughty Strings (MIT, Max Woolf), packaged as data in ``data/blns.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

BLNS_PATH = Path(__file__).resolve().parent / "data" / "blns.json"


@cache
def naughty_strings() -> Mapping[str, tuple[str, ...]]:
    """Category -> strings, in the list's own order."""
    data = json.loads(BLNS_PATH.read_text(encoding="utf-8"))
    return {name: tuple(strings) for name, strings in data["categories"].items()}


def attribution() -> str:
    """Where the list comes from and under which licence (for evidence and reports)."""
    data = json.loads(BLNS_PATH.read_text(encoding="utf-8"))
    return f"{data['source']}; {data['license']}, {data['copyright']}"
