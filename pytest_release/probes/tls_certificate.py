"""Pure checks on certificates (DER bytes in, findings out), used by ``probes.tls``.

Validity window, hostname match (RFC 6125 as browsers apply it: subjectAltName only,
one wildcard label at the left), key size (RSA/DSA >= 2048 bits, EC >= 256 bits, as the
CA/Browser Forum Baseline Requirements §6.1.5 require) and signature hash (no MD5 or
SHA-1, BR §7.1.3), and how a chain that does not verify went wrong.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
WEAK_HASHES = frozenset({"md5", "sha1", "md2", "md4"})


class Problem(StrEnum):
    """Why a TLS endpoint fails; the strings are stable (they appear in evidence)."""

    NO_TLS = "no-tls"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    EXPIRES_SOON = "expires-soon"
    HOSTNAME_MISMATCH = "hostname-mismatch"
    SELF_SIGNED = "self-signed"
    UNTRUSTED_ROOT = "untrusted-root"
    INCOMPLETE_CHAIN = "incomplete-chain"
    UNTRUSTED = "untrusted"
    WEAK_KEY = "weak-key"
    WEAK_SIGNATURE = "weak-signature"
    OLD_PROTOCOL = "old-protocol"
    NO_HSTS = "no-hsts"


@dataclass(frozen=True, slots=True)
class Issue:
    problem: Problem
    message: str


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """The facts about one certificate that the checks need (and a reader wants to see)."""

    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    key_type: str
    key_bits: int
    signature_hash: str | None
    self_issued: bool
    self_signed: bool
    is_ca: bool
    serial: str

    def as_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "dns_names": list(self.dns_names),
            "ip_addresses": list(self.ip_addresses),
            "key": f"{self.key_type} {self.key_bits} bits",
            "signature_hash": self.signature_hash,
            "self_signed": self.self_signed,
            "is_ca": self.is_ca,
            "serial": self.serial,
        }


def _name(name: x509.Name) -> str:
    common = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return f"CN={common[0].value!s}" if common else name.rfc4514_string() or "(empty name)"


def _key(certificate: x509.Certificate) -> tuple[str, int]:
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, 0


def _signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer`'s key verifies `certificate`'s signature."""
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            hash_algorithm = certificate.signature_hash_algorithm
            if hash_algorithm is None:
                return False
            key.verify(
                certificate.signature,
                certificate.tbs_certificate_bytes,
                padding.PKCS1v15(),
                hash_algorithm,
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            hash_algorithm = certificate.signature_hash_algorithm
            if hash_algorithm is None:
                return False
            key.verify(
                certificate.signature,
                certificate.tbs_certificate_bytes,
                ec.ECDSA(hash_algorithm),
            )
        else:
            certificate.verify_directly_issued_by(issuer)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def describe(der: bytes) -> CertificateInfo:
    """Read one DER certificate."""
    certificate = x509.load_der_x509_certificate(der)
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, ips = (), ()
    try:
        is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    try:
        hash_name = (
            certificate.signature_hash_algorithm.name
            if certificate.signature_hash_algorithm
            else None
        )
    except UnsupportedAlgorithm:
        hash_name = "unsupported"
    key_type, key_bits = _key(certificate)
    self_issued = certificate.issuer == certificate.subject
    return CertificateInfo(
        subject=_name(certificate.subject),
        issuer=_name(certificate.issuer),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        dns_names=dns,
        ip_addresses=ips,
        key_type=key_type,
        key_bits=key_bits,
        signature_hash=hash_name,
        self_issued=self_issued,
        self_signed=self_issued and _signed_by(certificate, certificate),
        is_ca=is_ca,
        serial=format(certificate.serial_number, "x"),
    )


def validity_issues(
    chain: Sequence[CertificateInfo], now: datetime, expiry_days: int
) -> list[Issue]:
    """Expired / not yet valid certificates in what the server sends, and a leaf expiring soon."""
    issues = []
    for position, cert in enumerate(chain):
        if cert.self_signed and position > 0:
            continue  # a root the server sends anyway: clients use their own copy
        which = "the certificate" if position == 0 else f"the chain certificate {cert.subject}"
        if now > cert.not_after:
            days = (now - cert.not_after).days
            issues.append(
                Issue(
                    Problem.EXPIRED,
                    f"{which} expired on {cert.not_after:%Y-%m-%d %H:%M} UTC ({days} days ago): "
                    "renew it and reload the server",
                )
            )
        elif now < cert.not_before:
            issues.append(
                Issue(
                    Problem.NOT_YET_VALID,
                    f"{which} is not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC: check "
                    "the server's and the issuer's clocks, or install the current certificate",
                )
            )
        elif position == 0 and cert.not_after - now < timedelta(days=expiry_days):
            left = cert.not_after - now
            issues.append(
                Issue(
                    Problem.EXPIRES_SOON,
                    f"the certificate expires on {cert.not_after:%Y-%m-%d} ({left.days} days "
                    f"left, the threshold is {expiry_days}): renew it now and check that "
                    "automatic renewal works",
                )
            )
    return issues


def _dns_match(pattern: str, host: str) -> bool:
    pattern = pattern.lower().rstrip(".")
    if pattern == host:
        return True
    if pattern.startswith("*.") and "*" not in pattern[2:]:
        label, _, rest = host.partition(".")
        return bool(label) and rest == pattern[2:] and rest.count(".") >= 1
    return False


def hostname_matches(cert: CertificateInfo, host: str) -> bool:
    """RFC 6125 as browsers do it: subjectAltName only; IP addresses against IP entries."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return any(_dns_match(name, host) for name in cert.dns_names)
    return any(ipaddress.ip_address(ip) == address for ip in cert.ip_addresses)


def hostname_issue(cert: CertificateInfo, host: str) -> Issue | None:
    if hostname_matches(cert, host):
        return None
    names = [*cert.dns_names, *cert.ip_addresses]
    covered = ", ".join(names) if names else f"nothing (no subjectAltName; {cert.subject} only)"
    return Issue(
        Problem.HOSTNAME_MISMATCH,
        f"the certificate is not valid for {host}: it covers {covered}; issue one whose "
        f"subjectAltName includes {host}",
    )


def key_issue(cert: CertificateInfo) -> Issue | None:
    weak = (
        (cert.key_type in ("RSA", "DSA") and cert.key_bits < MIN_RSA_BITS)
        or (cert.key_type.startswith("EC") and cert.key_bits < MIN_EC_BITS)
        or cert.key_type == "DSA"
    )
    if not weak:
        return None
    return Issue(
        Problem.WEAK_KEY,
        f"the certificate's key is {cert.key_type} {cert.key_bits} bits, too weak (minimum: "
        f"RSA {MIN_RSA_BITS}, EC {MIN_EC_BITS}): issue a new certificate with an RSA 2048+ "
        "or ECDSA P-256 key",
    )


def signature_issues(chain: Sequence[CertificateInfo]) -> list[Issue]:
    """MD5/SHA-1 signatures on the leaf or the intermediates (a root's own does not matter)."""
    issues = []
    for position, cert in enumerate(chain):
        if cert.self_signed and position > 0:
            continue
        if cert.signature_hash in WEAK_HASHES:
            which = "the certificate" if position == 0 else f"the chain certificate {cert.subject}"
            issues.append(
                Issue(
                    Problem.WEAK_SIGNATURE,
                    f"{which} is signed with {cert.signature_hash.upper()}, which browsers "
                    "reject: reissue it with a SHA-256 signature",
                )
            )
    return issues


# OpenSSL verify codes (x509_vfy.h) that say the chain could not be completed.
_NO_ISSUER = frozenset({2, 20, 21})
_SELF_SIGNED_LEAF = 18
_SELF_SIGNED_IN_CHAIN = 19


def chain_issue(
    chain: Sequence[CertificateInfo], verify_code: int | None, verify_message: str
) -> Issue:
    """Why a chain failed to verify against the trust store, in words a person can act on.

    Publicly trusted roots never sign server certificates directly (BR §6.1.7), so a
    server that sends only its own certificate whose issuer is unknown is taken to have
    left out the intermediate; a sent chain that ends below an unknown issuer, or at a
    self-signed root the store lacks, has an untrusted root.
    """
    leaf = chain[0] if chain else None
    if verify_code == _SELF_SIGNED_LEAF or (
        leaf is not None and len(chain) == 1 and leaf.self_signed
    ):
        return Issue(
            Problem.SELF_SIGNED,
            "the certificate is self-signed, so no client trusts it: use a certificate from a "
            "public CA (e.g. Let's Encrypt), or for an internal service add its CA to ca_file",
        )
    top = chain[-1] if chain else None
    if verify_code == _SELF_SIGNED_IN_CHAIN or (top is not None and top.self_signed):
        name = top.subject if top is not None else "a self-signed root"
        return Issue(
            Problem.UNTRUSTED_ROOT,
            f"the chain ends at the root {name}, which the trust store does not contain: use "
            "a certificate from a publicly trusted CA, or add that root to ca_file if it is "
            "your internal CA",
        )
    if verify_code in _NO_ISSUER and top is not None:
        if len(chain) == 1 and not top.is_ca:
            return Issue(
                Problem.INCOMPLETE_CHAIN,
                f"the server sends only its own certificate, and its issuer {top.issuer} is "
                "neither sent nor trusted: configure the server with the full chain (leaf + "
                "intermediates, e.g. fullchain.pem); if that issuer is a private root, add it "
                "to ca_file",
            )
        return Issue(
            Problem.UNTRUSTED_ROOT,
            f"the chain the server sends ends at {top.subject}, issued by {top.issuer}, which "
            "the trust store does not contain: use a certificate from a publicly trusted CA, "
            "or add your CA's root to ca_file",
        )
    return Issue(
        Problem.UNTRUSTED,
        f"the certificate chain does not verify ({verify_message or 'unknown error'}): "
        "check it with `openssl s_client -showcerts` and reinstall the certificate and chain",
    )
