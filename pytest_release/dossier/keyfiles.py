"""Ed25519 sign-off keys on disk: a private key (PEM, owner-only) and a public key (JSON).

The public file says whose key it is and, optionally, which roles it may sign for; a team
keeps the public files of everyone allowed to sign in one directory (the trusted keys).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_release.dossier.runs import DossierError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PUBLIC_KIND = "pytest-release ed25519 public key"


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A trusted public key: raw 32 bytes, whose it is, which roles it may sign for (empty: any)."""

    raw: bytes
    name: str
    roles: tuple[str, ...]
    source: str

    @property
    def key_id(self) -> str:
        return key_id(self.raw)


def key_id(raw: bytes) -> str:
    """A short fingerprint of a public key (first 16 hex digits of its sha256)."""
    return hashlib.sha256(raw).hexdigest()[:16]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, what: str) -> bytes:
    """Decode base64, or raise DossierError naming what it was meant to be."""
    if not isinstance(text, str):
        raise DossierError(f"{what} is missing")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise DossierError(f"{what} is not base64") from None


def _ed25519() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise DossierError(
            "signing needs the 'cryptography' package: pip install cryptography"
        ) from None
    return ed25519


def generate(out: Path, name: str, roles: Sequence[str], force: bool = False) -> tuple[Path, Path]:
    """Write ``out.key`` (private, mode 0600) and ``out.pub`` (public, JSON); return both paths."""
    from cryptography.hazmat.primitives import serialization

    ed25519 = _ed25519()
    private_path = out.with_name(out.name + ".key")
    public_path = out.with_name(out.name + ".pub")
    if not force:
        for path in (private_path, public_path):
            if path.exists():
                raise DossierError(
                    f"{path} exists; refusing to overwrite a key (pass --force to replace it, "
                    "and re-share the new .pub)"
                )
    key = ed25519.Ed25519PrivateKey.generate()
    pem: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    raw: bytes = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    private_path.unlink(missing_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = {
        "kind": PUBLIC_KIND,
        "name": name,
        "roles": list(roles),
        "key_id": key_id(raw),
        "public_key": b64(raw),
    }
    public_path.write_text(json.dumps(public, indent=1) + "\n", encoding="utf-8")
    return private_path, public_path


def load_private(path: Path) -> Ed25519PrivateKey:
    """The private key of a ``.key`` file written by ``keygen``."""
    from cryptography.hazmat.primitives import serialization

    ed25519 = _ed25519()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DossierError(f"{path}: cannot read the key: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        hint = " (that is the public half; give the .key file)" if path.suffix == ".pub" else ""
        raise DossierError(
            f"{path}: not an unencrypted PEM private key{hint}; make one with "
            "`pytest-release keygen`"
        ) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise DossierError(f"{path}: not an Ed25519 key; make one with `pytest-release keygen`")
    private: Ed25519PrivateKey = key
    return private


def public_raw(key: Ed25519PrivateKey) -> bytes:
    """The raw 32 bytes of a private key's public half."""
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_public(path: Path) -> PublicKey:
    """One ``.pub`` file written by ``keygen``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DossierError(f"{path}: cannot read it as a public key file: {exc}") from None
    if not isinstance(data, Mapping) or data.get("kind") != PUBLIC_KIND:
        raise DossierError(f"{path}: not a pytest-release public key (made by keygen)")
    raw = unb64(data.get("public_key"), f"{path}: public_key")
    if len(raw) != 32:
        raise DossierError(f"{path}: public_key must be 32 bytes (Ed25519), got {len(raw)}")
    roles = data.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise DossierError(f"{path}: roles must be a list of role names")
    return PublicKey(raw, str(data.get("name", "")), tuple(roles), str(path))


def load_trusted(paths: Iterable[Path]) -> dict[str, PublicKey]:
    """Trusted keys by key id, from ``.pub`` files and directories of them."""
    trusted: dict[str, PublicKey] = {}
    for path in paths:
        if path.is_dir():
            files = sorted(path.glob("*.pub"))
        elif path.is_file():
            files = [path]
        else:
            raise DossierError(f"{path}: no such file or directory of trusted .pub keys")
        for file in files:
            key = load_public(file)
            trusted[key.key_id] = key
    return trusted
