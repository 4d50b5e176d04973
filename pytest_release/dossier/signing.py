"""Sign a dossier for a role, and verify every signature and the dossier's integrity.

Each signature covers the canonical content digest together with the release, the verdict,
the role, the name, the time, the accepted risk and the key id; so changing a byte of the
content, moving a signature to another role or re-using it for another release all break it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_release.dossier.canonical import canonical_bytes, content_digest
from pytest_release.dossier.keyfiles import PublicKey, b64, key_id, unb64
from pytest_release.dossier.runs import DossierError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PURPOSE = "pytest-release dossier sign-off"
RISKY_VERDICTS = frozenset({"NO-GO", "INCONCLUSIVE", "ROLLBACK"})
ENTRY_FIELDS = ("role", "name", "signed_at", "key_id", "public_key", "signature", "content_sha256")


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """One signature entry, verified (``reason`` is None) or not (``reason`` says why)."""

    role: str
    name: str
    signed_at: str
    key_id: str
    accept_risk: str | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass(frozen=True, slots=True)
class RoleStatus:
    """A row of the sign-off table: verified, invalid or pending, with the signatures behind it."""

    role: str
    status: str
    checks: tuple[SignatureCheck, ...]


@dataclass(frozen=True, slots=True)
class Verification:
    """What verify found: problems with the dossier itself and a check per signature."""

    content_sha256: str
    problems: tuple[str, ...]
    checks: tuple[SignatureCheck, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and all(c.ok for c in self.checks)


def signed_message(data: Mapping[str, Any], entry: Mapping[str, Any], digest: str) -> bytes:
    """The bytes a signature covers, built from the dossier as it is now and the entry."""
    return canonical_bytes(
        {
            "purpose": PURPOSE,
            "content_sha256": digest,
            "release": release_of(data),
            "verdict": data.get("verdict"),
            "role": entry.get("role"),
            "name": entry.get("name"),
            "signed_at": entry.get("signed_at"),
            "accept_risk": entry.get("accept_risk"),
            "key_id": entry.get("key_id"),
        }
    )


def sign(
    data: Mapping[str, Any],
    role: str,
    name: str,
    key: Ed25519PrivateKey,
    public_raw: bytes,
    accept_risk: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The dossier with one more signature (replacing this key's earlier one for the role)."""
    digest = content_digest(data)
    recorded = _recorded_digest(data)
    if recorded != digest:
        raise DossierError(
            "the dossier was changed after it was generated (content sha256 is "
            f"{digest[:16]}…, generated as {str(recorded)[:16]}…); regenerate it with "
            "`pytest-release dossier` instead of signing an edited copy"
        )
    roles = [str(r) for r in data.get("roles", [])]
    if role not in roles:
        close = difflib.get_close_matches(role, roles, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise DossierError(
            f"{role!r} is not a sign-off role of this dossier; {hint}roles: {', '.join(roles)}"
        )
    verdict = str(data.get("verdict"))
    risk = (accept_risk or "").strip() or None
    if verdict in RISKY_VERDICTS and risk is None:
        raise DossierError(
            f"the release verdict is {verdict}: signing it needs --accept-risk "
            '"why you accept the risk"; the reason is shown next to your signature'
        )
    if not name.strip():
        raise DossierError("give the signer's name with --name")
    entry: dict[str, Any] = {
        "role": role,
        "name": name.strip(),
        "signed_at": (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "accept_risk": risk,
        "verdict": verdict,
        "key_id": key_id(public_raw),
        "public_key": b64(public_raw),
        "content_sha256": digest,
    }
    entry["signature"] = b64(key.sign(signed_message(data, entry, digest)))
    kept = [
        s
        for s in data.get("signatures", [])
        if not (
            isinstance(s, Mapping) and s.get("role") == role and s.get("key_id") == entry["key_id"]
        )
    ]
    return {**data, "signatures": [*kept, entry]}


def _recorded_digest(data: Mapping[str, Any]) -> str | None:
    block = data.get("integrity")
    value = block.get("content_sha256") if isinstance(block, Mapping) else None
    return value if isinstance(value, str) else None


def release_of(data: Mapping[str, Any]) -> str | None:
    """The release version a dossier is about (None if absent or damaged)."""
    release = data.get("release")
    version = release.get("version") if isinstance(release, Mapping) else None
    return str(version) if version is not None else None


def canonical_layout(data: Mapping[str, Any]) -> bytes:
    """The exact bytes ``pytest-release`` writes for this data (document.write)."""
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def verify(
    data: Mapping[str, Any], trusted: Mapping[str, PublicKey], raw: bytes | None = None
) -> Verification:
    """Check the integrity digest, the file's layout (when ``raw`` is given) and every signature."""
    digest = content_digest(data)
    problems: list[str] = []
    recorded = _recorded_digest(data)
    if recorded != digest:
        problems.append(
            f"content changed after the dossier was generated (sha256 now {digest[:16]}…, "
            f"recorded {str(recorded)[:16]}…): the content or its recorded digest was edited"
        )
    edited_layout = raw is not None and raw != canonical_layout(data)
    if edited_layout and not problems:
        problems.append(
            "the file was edited: its bytes differ from what pytest-release wrote for this "
            "content (whitespace, escaping or key order changed)"
        )
    entries = [s for s in data.get("signatures", []) if isinstance(s, Mapping)]
    checks = tuple(
        _check(data, entry, entries, digest, trusted, edited_layout) for entry in entries
    )
    return Verification(digest, tuple(problems), checks)


def _check(
    data: Mapping[str, Any],
    entry: Mapping[str, Any],
    entries: Sequence[Mapping[str, Any]],
    digest: str,
    trusted: Mapping[str, PublicKey],
    edited_layout: bool,
) -> SignatureCheck:
    def result(reason: str | None) -> SignatureCheck:
        return SignatureCheck(
            role=str(entry.get("role", "?")),
            name=str(entry.get("name", "?")),
            signed_at=str(entry.get("signed_at", "")),
            key_id=str(entry.get("key_id", "")),
            accept_risk=entry.get("accept_risk")
            if isinstance(entry.get("accept_risk"), str)
            else None,
            reason=reason,
        )

    missing = [f for f in ENTRY_FIELDS if not isinstance(entry.get(f), str)]
    if missing:
        return result(f"the signature entry is incomplete (no {', '.join(missing)})")
    try:
        raw = unb64(entry["public_key"], "public_key")
        signature = unb64(entry["signature"], "signature")
    except DossierError as exc:
        return result(f"the signature entry is damaged: {exc}")
    if len(raw) != 32 or key_id(raw) != entry["key_id"]:
        return result("the key id does not match the public key in the entry (entry edited)")
    if entry["content_sha256"] != digest:
        return result(
            "the dossier changed after this signature was made (content sha256 is now "
            f"{digest[:16]}…, signed {entry['content_sha256'][:16]}…)"
        )
    if not _valid(raw, signature, signed_message(data, entry, digest)):
        owner = _owner_of(signature, data, entry, entries, digest)
        if owner is not None:
            return result(
                f"the signature was made for the {owner} entry, not this one "
                "(signatures swapped between roles)"
            )
        return result(
            "the signature does not match this entry: its role, name, date, accepted risk "
            "or the signature itself was changed"
        )
    key = trusted.get(entry["key_id"])
    if key is None or key.raw != raw:
        where = f"the {len(trusted)} trusted key(s) given" if trusted else "any trusted keys"
        hint = (
            ""
            if trusted
            else "; pass --trust DIR or set [tool.pytest_release.signing] trusted_keys"
        )
        return result(f"signed with an unknown key {entry['key_id']}: not among {where}{hint}")
    if key.roles and entry["role"] not in key.roles:
        return result(
            f"key {key.key_id} ({key.name or key.source}) may sign for {', '.join(key.roles)} "
            f"only, not {entry['role']}"
        )
    if data.get("verdict") in RISKY_VERDICTS and not entry.get("accept_risk"):
        return result(f"signed a {data.get('verdict')} release without an accepted risk")
    if edited_layout:
        return result("the file was edited after signing (layout changed, content the same)")
    return result(None)


def _valid(raw: bytes, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _owner_of(
    signature: bytes,
    data: Mapping[str, Any],
    entry: Mapping[str, Any],
    entries: Sequence[Mapping[str, Any]],
    digest: str,
) -> str | None:
    """The role of another entry this signature verifies for (a swap), if any."""
    for other in entries:
        if other is entry or not isinstance(other.get("public_key"), str):
            continue
        try:
            raw = unb64(other["public_key"], "public_key")
        except DossierError:
            continue
        if len(raw) == 32 and _valid(raw, signature, signed_message(data, other, digest)):
            return f"{other.get('role')} ({other.get('name')})"
    return None


def role_statuses(roles: Sequence[str], verification: Verification) -> list[RoleStatus]:
    """verified / invalid / pending per role, in the dossier's order (unlisted roles last)."""
    names = list(dict.fromkeys([*roles, *(c.role for c in verification.checks)]))
    rows: list[RoleStatus] = []
    for role in names:
        checks = tuple(c for c in verification.checks if c.role == role)
        if any(c.ok for c in checks):
            status = "verified"
        elif checks:
            status = "invalid"
        else:
            status = "pending"
        rows.append(RoleStatus(role, status, checks))
    return rows
