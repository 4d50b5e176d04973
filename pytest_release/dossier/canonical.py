"""The canonical form of a dossier: what signatures and the integrity digest cover."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Keys of dossier.json that are about the content, not part of it.
UNSIGNED_KEYS = frozenset({"signatures", "integrity"})
CANONICAL_FORM = "JSON of the dossier without 'signatures' and 'integrity', keys sorted, no spaces"


def canonical_bytes(value: Any) -> bytes:
    """Sorted-keys compact JSON in UTF-8: the same data always gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def content(dossier: Mapping[str, Any]) -> dict[str, Any]:
    """The dossier minus the parts that are about it (signatures, integrity)."""
    return {k: v for k, v in dossier.items() if k not in UNSIGNED_KEYS}


def content_digest(dossier: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical form of the dossier's content."""
    return hashlib.sha256(canonical_bytes(content(dossier))).hexdigest()
