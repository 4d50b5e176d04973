"""What no machine can judge: attestations, not-applicable entries, waivers and sign-offs (TOML).

```toml
[[attestation]]     # a person vouches for an item
item = "pre.code-quality.code-reviewed"
by = "Dana Reviewer (Lead Developer)"
at = 2025-07-24T10:00:00Z
note = "PR #412 reviewed and approved"

[[not_applicable]]  # the item does not apply to this deployment
item = "pre.environment.redis"
reason = "no Redis in this deployment; the cache is in-process"

[[waiver]]          # a known failure accepted until a date
item = "post.performance.cpu-spikes"
reason = "known GC spike, fix in 2025.08"
by = "Sam Lead (Project Manager)"
expires = 2025-08-01

[[waiver]]          # only while the check cannot be made; a failure still fails
item = "pre.security.vulnerability-scan"
reason = "no vulnerability database reachable from the build host"
by = "Sam Lead (Project Manager)"
expires = 2025-08-01
covers = "inconclusive"

[[signoff]]         # a role of the checklist's sign-off table signs
role = "QA Lead"
name = "Alex QA"
date = 2025-07-26
note = "all post-deployment checks reviewed"
```
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pytest_release.checklist.model import Checklist
from pytest_release.settings import ConfigError

_T = TypeVar("_T")
KINDS = ("attestation", "not_applicable", "waiver", "signoff")
# What a waiver accepts: a failing check (and an item with no test), or only a check that
# could not be made (INCONCLUSIVE) - a waiver for "we cannot check this here" must not
# also hide a failure when the check does run.
WAIVER_COVERS = ("failure", "inconclusive")


@dataclass(frozen=True, slots=True)
class Attestation:
    item: str
    by: str
    at: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class NotApplicable:
    item: str
    reason: str
    by: str | None = None


@dataclass(frozen=True, slots=True)
class Waiver:
    item: str
    reason: str
    by: str
    expires: dt.date
    covers: str = "failure"  # one of WAIVER_COVERS

    def expired(self, today: dt.date) -> bool:
        """A waiver counts through its expiry date and no longer after it."""
        return today > self.expires


@dataclass(frozen=True, slots=True)
class SignOff:
    role: str
    name: str
    date: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Attestations:
    """Every entry of the file; waivers split into those that count and those expired."""

    attestations: tuple[Attestation, ...] = ()
    not_applicable: tuple[NotApplicable, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    expired_waivers: tuple[Waiver, ...] = ()
    signoffs: tuple[SignOff, ...] = ()
    path: str | None = None
    _by_item: Mapping[str, tuple[object, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[object]] = {}
        entries: tuple[Attestation | NotApplicable | Waiver, ...] = (
            *self.attestations,
            *self.not_applicable,
            *self.waivers,
        )
        for entry in entries:
            index.setdefault(entry.item, []).append(entry)
        object.__setattr__(self, "_by_item", {k: tuple(v) for k, v in index.items()})

    def attestation(self, item_id: str) -> Attestation | None:
        return _first(self._by_item.get(item_id, ()), Attestation)

    def not_applicable_entry(self, item_id: str) -> NotApplicable | None:
        return _first(self._by_item.get(item_id, ()), NotApplicable)

    def waiver(self, item_id: str) -> Waiver | None:
        return _first(self._by_item.get(item_id, ()), Waiver)


def _first(entries: Iterable[object], kind: type[_T]) -> _T | None:
    for entry in entries:
        if isinstance(entry, kind):
            return entry
    return None


def load_attestations(path: Path, checklist: Checklist, today: dt.date) -> Attestations:
    """Read and validate the attestations file against the checklist."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"attestations file {path} does not exist; create it or drop --attestations"
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it as TOML: {exc}") from exc
    unknown = sorted(set(data) - set(KINDS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown table(s) {', '.join(unknown)}; use [[{']], [['.join(KINDS)}]]"
        )
    reader = _Reader(path, checklist)
    waivers = tuple(reader.waiver(e, n) for n, e in reader.entries(data, "waiver"))
    return Attestations(
        attestations=tuple(
            reader.attestation(e, n) for n, e in reader.entries(data, "attestation")
        ),
        not_applicable=tuple(
            reader.not_applicable(e, n) for n, e in reader.entries(data, "not_applicable")
        ),
        waivers=tuple(w for w in waivers if not w.expired(today)),
        expired_waivers=tuple(w for w in waivers if w.expired(today)),
        signoffs=tuple(reader.signoff(e, n) for n, e in reader.entries(data, "signoff")),
        path=str(path),
    )


@dataclass(frozen=True, slots=True)
class _Reader:
    path: Path
    checklist: Checklist

    def entries(self, data: Mapping[str, Any], kind: str) -> list[tuple[int, Mapping[str, Any]]]:
        raw = data.get(kind, [])
        if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
            raise ConfigError(f"{self.path}: write each {kind} as a [[{kind}]] table")
        return list(enumerate(raw, start=1))

    def _where(self, kind: str, number: int) -> str:
        return f"{self.path}: [[{kind}]] #{number}"

    def text(self, entry: Mapping[str, Any], key: str, kind: str, number: int) -> str:
        value = entry.get(key)
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f'{self._where(kind, number)} needs {key} = "..."')
        return value.strip()

    def optional(self, entry: Mapping[str, Any], key: str) -> str | None:
        value = entry.get(key)
        return str(value).strip() if value not in (None, "") else None

    def item(self, entry: Mapping[str, Any], kind: str, number: int, allowed: set[str]) -> str:
        extra = sorted(set(entry) - allowed)
        if extra:
            raise ConfigError(
                f"{self._where(kind, number)} has unknown key(s) {', '.join(extra)}; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
        item_id = self.text(entry, "item", kind, number)
        if item_id not in self.checklist:
            close = difflib.get_close_matches(item_id, self.checklist.ids, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ConfigError(
                f"{self._where(kind, number)}: item {item_id!r} is not in "
                f"{self.checklist.path}{hint}"
            )
        return item_id

    def attestation(self, entry: Mapping[str, Any], number: int) -> Attestation:
        kind = "attestation"
        return Attestation(
            item=self.item(entry, kind, number, {"item", "by", "at", "note"}),
            by=self.text(entry, "by", kind, number),
            at=self.text(entry, "at", kind, number),
            note=self.optional(entry, "note"),
        )

    def not_applicable(self, entry: Mapping[str, Any], number: int) -> NotApplicable:
        kind = "not_applicable"
        return NotApplicable(
            item=self.item(entry, kind, number, {"item", "reason", "by"}),
            reason=self.text(entry, "reason", kind, number),
            by=self.optional(entry, "by"),
        )

    def waiver(self, entry: Mapping[str, Any], number: int) -> Waiver:
        kind = "waiver"
        item = self.item(entry, kind, number, {"item", "reason", "by", "expires", "covers"})
        covers = entry.get("covers", "failure")
        if covers not in WAIVER_COVERS:
            raise ConfigError(
                f"{self._where(kind, number)}: covers = {covers!r} is not allowed; use "
                '"failure" (a failing check, the default) or "inconclusive" (only a check '
                "that could not be made)"
            )
        raw = entry.get("expires")
        if isinstance(raw, dt.datetime):
            expires = raw.date()
        elif isinstance(raw, dt.date):
            expires = raw
        else:
            try:
                expires = dt.date.fromisoformat(str(raw))
            except ValueError:
                raise ConfigError(
                    f"{self._where(kind, number)}: expires = {raw!r} is not a date; "
                    "write expires = 2025-08-01 (a waiver must end)"
                ) from None
        return Waiver(
            item=item,
            reason=self.text(entry, "reason", kind, number),
            by=self.text(entry, "by", kind, number),
            expires=expires,
            covers=str(covers),
        )

    def signoff(self, entry: Mapping[str, Any], number: int) -> SignOff:
        kind = "signoff"
        extra = sorted(set(entry) - {"role", "name", "date", "note"})
        if extra:
            raise ConfigError(f"{self._where(kind, number)} has unknown key(s) {', '.join(extra)}")
        role = self.text(entry, "role", kind, number)
        if self.checklist.roles and role not in self.checklist.roles:
            raise ConfigError(
                f"{self._where(kind, number)}: role {role!r} is not in the sign-off table of "
                f"{self.checklist.path} ({', '.join(self.checklist.roles)})"
            )
        return SignOff(
            role=role,
            name=self.text(entry, "name", kind, number),
            date=self.text(entry, "date", kind, number),
            note=self.optional(entry, "note"),
        )
