"""TLS endpoint checks: certificate, chain, protocol versions, HSTS.

``probe_tls(host, port)`` makes a few handshakes to that one endpoint, sends no HTTP:

1. an *inspecting* handshake that accepts anything, to read the protocol version and
   the chain the server sends (so every problem can be named, not just the first);
2. a *trust* handshake against the trust store (the system's, ``SSL_CERT_FILE``, or a
   given CA file) with time, hostname and strength checks off, so it answers exactly
   one question: does the chain lead to a trusted root?
3. one handshake each offering only TLS 1.0 and TLS 1.1: both must be refused.

The certificate itself is judged by ``tls_certificate`` (validity and expiry threshold,
hostname, key size, signature hash). HSTS needs an HTTP response, so ``hsts_issue``
judges a Strict-Transport-Security value the caller fetched.
"""

from __future__ import annotations

import socket
import ssl
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_release.probes.headers.hsts import strict_transport_security
from pytest_release.probes.tls_certificate import (
    CertificateInfo,
    Issue,
    Problem,
    chain_issue,
    describe,
    hostname_issue,
    key_issue,
    signature_issues,
    validity_issues,
)

DEFAULT_PORT = 443
# X509_V_FLAG_NO_CHECK_TIME: the trust handshake ignores validity dates (judged separately).
_NO_CHECK_TIME = 0x200000
# Lets the inspecting and trust handshakes accept weak keys and SHA-1 so they can be named.
_ANY_STRENGTH = "DEFAULT:@SECLEVEL=0"
LEGACY_VERSIONS = (("TLS 1.0", ssl.TLSVersion.TLSv1), ("TLS 1.1", ssl.TLSVersion.TLSv1_1))
MODERN = frozenset({"TLSv1.2", "TLSv1.3"})


@dataclass(frozen=True, slots=True)
class TlsReport:
    """Everything learned about one TLS endpoint, and what is wrong with it."""

    host: str
    port: int
    protocol: str | None
    cipher: str | None
    chain: tuple[CertificateInfo, ...]
    trusted: bool
    issues: tuple[Issue, ...]
    legacy_accepted: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return not self.issues

    def problems(self) -> set[Problem]:
        return {issue.problem for issue in self.issues}

    def evidence(self) -> dict[str, Any]:
        return {
            "endpoint": f"{self.host}:{self.port}",
            "passed": self.passed,
            "protocol": self.protocol,
            "cipher": self.cipher,
            "trusted": self.trusted,
            "legacy_protocols_accepted": list(self.legacy_accepted),
            "issues": [{"problem": i.problem.value, "message": i.message} for i in self.issues],
            "notes": list(self.notes),
            "chain": [c.as_dict() for c in self.chain],
        }


def split_host(value: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """'example.org', 'example.org:8443', '[::1]:443' -> (host, port)."""
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, int(port)
    return value, default_port


def _server_name(host: str) -> str | None:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None  # no SNI for IP addresses


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((host, port), timeout=timeout)


def _unverified_chain(sock: ssl.SSLSocket) -> list[bytes]:
    """The certificates the server sent, leaf first (DER)."""
    public = getattr(sock, "get_unverified_chain", None)  # Python 3.13+
    if public is not None:
        return [bytes(c) for c in public()]
    private = getattr(getattr(sock, "_sslobj", None), "get_unverified_chain", None)  # 3.10-3.12
    if private is not None:
        import _ssl

        return [c.public_bytes(_ssl.ENCODING_DER) for c in private() or []]
    leaf = sock.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _inspect(host: str, port: int, timeout: float) -> tuple[str | None, str | None, list[bytes]]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers(_ANY_STRENGTH)
    with (
        _connect(host, port, timeout) as raw,
        context.wrap_socket(raw, server_hostname=_server_name(host)) as sock,
    ):
        cipher = sock.cipher()
        return sock.version(), cipher[0] if cipher else None, _unverified_chain(sock)


def trust_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """The trust handshake's context: the trust store only, nothing else judged."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    context.check_hostname = False
    # Plain int arithmetic: inverting the IntFlag would drop the flag ssl has no name for.
    flags = (int(context.verify_flags) & ~int(ssl.VERIFY_X509_STRICT)) | _NO_CHECK_TIME
    context.verify_flags = ssl.VerifyFlags(flags)
    context.set_ciphers(_ANY_STRENGTH)
    return context


def _trust(
    host: str, port: int, timeout: float, ca_file: Path | None
) -> tuple[bool, int | None, str]:
    context = trust_context(ca_file)
    try:
        with (
            _connect(host, port, timeout) as raw,
            context.wrap_socket(raw, server_hostname=_server_name(host)),
        ):
            return True, None, ""
    except ssl.SSLCertVerificationError as exc:
        return False, exc.verify_code, exc.verify_message or str(exc)


def _accepts(host: str, port: int, timeout: float, version: ssl.TLSVersion) -> bool | None:
    """True if the server completes a handshake at exactly `version`; None if untestable."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        context.set_ciphers(_ANY_STRENGTH)
        # Offering TLS 1.0/1.1 is the point here; Python warns that they are deprecated.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = version
            context.maximum_version = version
    except (ssl.SSLError, ValueError):
        return None
    try:
        with (
            _connect(host, port, timeout) as raw,
            context.wrap_socket(raw, server_hostname=_server_name(host)) as sock,
        ):
            return sock.version() is not None
    except ssl.SSLError as exc:
        if "NO_PROTOCOLS_AVAILABLE" in str(exc) or "no protocols available" in str(exc):
            return None  # this machine's OpenSSL cannot even offer that version
        return False
    except OSError:
        return False


def probe_tls(
    host: str,
    port: int = DEFAULT_PORT,
    *,
    ca_file: Path | None = None,
    expiry_days: int = 14,
    timeout: float = 10.0,
    now: datetime | None = None,
    check_legacy: bool = True,
) -> TlsReport:
    """Check one TLS endpoint (see the module docstring); never raises for a bad server."""
    moment = now or datetime.now(UTC)
    try:
        protocol, cipher, ders = _inspect(host, port, timeout)
    except (OSError, ssl.SSLError) as exc:
        issue = Issue(
            Problem.NO_TLS,
            f"no TLS handshake with {host}:{port} ({type(exc).__name__}: {exc}): check that "
            "the server listens there with TLS enabled",
        )
        return TlsReport(host, port, None, None, (), False, (issue,))
    chain = tuple(describe(der) for der in ders)
    issues: list[Issue] = []
    notes: list[str] = []
    if not chain:
        issues.append(Issue(Problem.NO_TLS, f"{host}:{port} sent no certificate"))
        return TlsReport(host, port, protocol, cipher, chain, False, tuple(issues))

    try:
        trusted, code, message = _trust(host, port, timeout, ca_file)
    except (OSError, ssl.SSLError) as exc:
        trusted, code, message = False, None, f"{type(exc).__name__}: {exc}"
    if not trusted:
        issues.append(chain_issue(chain, code, message))
    issues += validity_issues(chain, moment, expiry_days)
    mismatch = hostname_issue(chain[0], host)
    if mismatch is not None:
        issues.append(mismatch)
    weak_key = key_issue(chain[0])
    if weak_key is not None:
        issues.append(weak_key)
    issues += signature_issues(chain)
    if protocol not in MODERN:
        issues.append(
            Issue(
                Problem.OLD_PROTOCOL,
                f"the server negotiated {protocol}: enable TLS 1.2 and 1.3 and disable older "
                "versions",
            )
        )
    legacy: list[str] = []
    if check_legacy:
        for name, version in LEGACY_VERSIONS:
            accepted = _accepts(host, port, timeout, version)
            if accepted:
                legacy.append(name)
            elif accepted is None:
                notes.append(f"{name} could not be offered by this machine's OpenSSL; not checked")
    if legacy:
        issues.append(
            Issue(
                Problem.OLD_PROTOCOL,
                f"the server accepts {' and '.join(legacy)}: disable every version before "
                "TLS 1.2 (e.g. nginx ssl_protocols TLSv1.2 TLSv1.3;)",
            )
        )
    return TlsReport(
        host, port, protocol, cipher, chain, trusted, tuple(issues), tuple(legacy), tuple(notes)
    )


def hsts_issue(value: str | None) -> Issue | None:
    """Judge a Strict-Transport-Security value from an HTTPS response (None: it was absent)."""
    verdict = strict_transport_security(
        value, https_available=True, https_cert_valid=True, preloaded=None
    )
    if verdict.passed:
        return None
    return Issue(Problem.NO_HSTS, verdict.explanation)


def combine(reports: Sequence[TlsReport]) -> dict[str, Any]:
    """Evidence for several endpoints."""
    return {
        "passed": all(r.passed for r in reports),
        "endpoints": [r.evidence() for r in reports],
    }
