"""Reading one TOML table of settings: typed getters that name the key and the fix on error.

The suites' tables (``[tool.pytest_release.predeploy.*]``) are validated with a ``Table``:
every getter checks the type and returns a default when the key is absent, and
``done()`` rejects keys nobody asked for, naming the closest known one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_release.config_number import is_number
from pytest_release.settings import ConfigError


class Table:
    """A TOML table being read; ``name`` is how an error message spells it."""

    def __init__(self, name: str, data: Any, rootpath: Path) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{name} must be a table, got {data!r}")
        self.name = name
        self.data: Mapping[str, Any] = data
        self.rootpath = rootpath
        self._asked: set[str] = set()

    def _get(self, key: str) -> Any:
        self._asked.add(key)
        return self.data.get(key)

    def has(self, key: str) -> bool:
        """Whether the key is present (and so counts as known)."""
        self._asked.add(key)
        return key in self.data

    def sub(self, key: str) -> Table:
        """A sub-table (empty when absent)."""
        value = self._get(key)
        return Table(f"{self.name[:-1]}.{key}]", {} if value is None else value, self.rootpath)

    def text(self, key: str, default: str) -> str:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{self.name} {key} = {value!r} must be a non-empty string")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self._get(key)
        if value is None:
            return None
        return self.text(key, "")

    def texts(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{self.name} {key} must be a list of strings, got {value!r}")
        return tuple(value)

    def command(self, key: str) -> tuple[str, ...]:
        """A command as an argument list (a string is refused: no shell, no quoting doubts)."""
        value = self._get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ConfigError(
                f"{self.name} {key} must be a command as a list of arguments, e.g. "
                f'["python", "-m", "pytest", "tests/unit"], got {value!r}'
            )
        return tuple(value)

    def number(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        value = self._get(key)
        if value is None:
            return default
        if not is_number(value) or value < minimum:
            raise ConfigError(f"{self.name} {key} = {value!r} must be a number >= {minimum:g}")
        return float(value)

    def optional_number(self, key: str, *, minimum: float = 0.0) -> float | None:
        if self._get(key) is None:
            return None
        return self.number(key, 0.0, minimum=minimum)

    def integer(self, key: str, default: int, *, minimum: int = 0) -> int:
        value = self._get(key)
        if value is None:
            return default
        if not is_number(value, whole=True) or value < minimum:
            raise ConfigError(f"{self.name} {key} = {value!r} must be a whole number >= {minimum}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ConfigError(f"{self.name} {key} = {value!r} must be true or false")
        return value

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key, default).strip().lower()
        if value not in allowed:
            raise ConfigError(
                f"{self.name} {key} = {value!r} is not allowed; use one of: {', '.join(allowed)}"
            )
        return value

    def path(self, key: str) -> Path | None:
        """A path, relative to the project root unless absolute (existence is not checked)."""
        value = self.optional_text(key)
        if value is None:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.rootpath / path

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self._get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ConfigError(f"{self.name} {key} must be a table, got {value!r}")
        return value

    def done(self) -> None:
        """Reject keys that no getter asked for."""
        for key in self.data:
            if key not in self._asked:
                known = sorted(self._asked)
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(
                    f"{self.name} has an unknown key {key!r}{hint} (known keys: {', '.join(known)})"
                )
