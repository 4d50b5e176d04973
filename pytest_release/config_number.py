"""Numbers in configuration tables (TOML, JSON), where ``true`` must not count as 1."""

from __future__ import annotations

from typing import Any, Literal, TypeGuard, overload


@overload
def is_number(value: Any, *, whole: Literal[True]) -> TypeGuard[int]: ...
@overload
def is_number(value: Any, *, whole: bool = False) -> TypeGuard[int | float]: ...
def is_number(value: Any, *, whole: bool = False) -> TypeGuard[int | float]:
    """An int (or, unless ``whole``, a float) and not a bool, which Python counts as an int."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if whole else isinstance(value, int | float)
