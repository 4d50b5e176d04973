"""probe_tls against real TLS servers on 127.0.0.1 with certificates made here.

Eight bad certificates (expired, not yet valid, wrong host, self-signed, untrusted root,
incomplete chain, SHA-1 signature, RSA-1024) must each be rejected with exactly the right
reason; a good chain must pass. The servers run at OpenSSL security level 0 so that they
can present the weak certificates at all.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from pytest_release.probes.tls import hsts_issue, probe_tls, split_host
from pytest_release.probes.tls_certificate import Problem, describe, hostname_matches

NOW = datetime.now(UTC)
Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: Key

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _key(kind: str = "ec", bits: int = 2048) -> Key:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pytest-release tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(name: str, issuer: Issued | None = None, key: Key | None = None) -> Issued:
    """A root CA (issuer None) or an intermediate signed by `issuer`."""
    key = key or _key()
    signer = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer.cert.subject if issuer else _name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=30))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return Issued(builder.sign(signer, hashes.SHA256()), key)


def make_leaf(
    issuer: Issued | None,
    *,
    names: Sequence[str] = ("localhost", "127.0.0.1"),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key: Key | None = None,
) -> Issued:
    """A server certificate; issuer None makes it self-signed."""
    key = key or _key()
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(issuer.cert.subject if issuer else _name(names[0]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - timedelta(days=1))
        .not_valid_after(not_after or NOW + timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
    )
    return Issued(builder.sign(issuer.key if issuer else key, hashes.SHA256()), key)


SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")
SHA1_WITH_RSA = bytes.fromhex("06092a864886f70d010105")


def resign_with_sha1(issued: Issued, issuer: Issued) -> Issued:
    """The same certificate signed with SHA-1, which cryptography no longer produces.

    Both OIDs have the same length and an RSA signature keeps its size, so swapping the
    algorithm identifier and the trailing signature bytes leaves valid DER.
    """
    assert isinstance(issuer.key, rsa.RSAPrivateKey), "SHA-1 re-signing needs an RSA issuer"
    der = issued.cert.public_bytes(serialization.Encoding.DER)
    assert der.count(SHA256_WITH_RSA) == 2, "expected the OID in the TBS and the outer field"
    patched = der.replace(SHA256_WITH_RSA, SHA1_WITH_RSA)
    tbs = x509.load_der_x509_certificate(patched).tbs_certificate_bytes
    signature = issuer.key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    size = issuer.key.key_size // 8
    assert len(signature) == size
    return Issued(x509.load_der_x509_certificate(patched[:-size] + signature), issued.key)


@dataclass(frozen=True)
class Pki:
    root: Issued
    intermediate: Issued
    rsa_intermediate: Issued
    other_root: Issued
    other_intermediate: Issued
    ca_file: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = make_ca("Test Root CA")
    other_root = make_ca("Unknown Root CA")
    ca_file = tmp_path_factory.mktemp("pki") / "trusted-roots.pem"
    ca_file.write_bytes(root.pem())
    return Pki(
        root,
        make_ca("Test Intermediate CA", root),
        make_ca("Test RSA Intermediate CA", root, _key("rsa")),
        other_root,
        make_ca("Unknown Intermediate CA", other_root),
        ca_file,
    )


def _serve(server: socket.socket, context: ssl.SSLContext, stop: threading.Event) -> None:
    server.settimeout(0.2)
    while not stop.is_set():
        try:
            raw, _ = server.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        try:
            raw.settimeout(5)
            with context.wrap_socket(raw, server_side=True) as conn:
                conn.settimeout(0.2)
                with suppress(TimeoutError, ssl.SSLError, OSError):
                    conn.recv(4096)
                body = b"ok"
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n"
                    b"Strict-Transport-Security: max-age=63072000\r\n\r\n" + body
                )
        except (ssl.SSLError, OSError):
            raw.close()  # the probe's refused handshakes end up here


@contextmanager
def tls_server(
    tmp_path: Path,
    chain: Sequence[Issued],
    key: Key,
    *,
    minimum: ssl.TLSVersion | None = None,
) -> Iterator[int]:
    """Serve `chain` (leaf first) with `key` on 127.0.0.1; yield the port."""
    cert_file = tmp_path / "chain.pem"
    key_file = tmp_path / "key.pem"
    cert_file.write_bytes(b"".join(c.pem() for c in chain))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # before loading: lets RSA-1024/SHA-1 load
    if minimum is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 on purpose
            context.minimum_version = minimum
    context.load_cert_chain(cert_file, key_file)
    server = socket.create_server(("127.0.0.1", 0))
    port = int(server.getsockname()[1])
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(server, context, stop), daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def _problems(
    tmp_path: Path, pki: Pki, chain: Sequence[Issued], host: str = "127.0.0.1"
) -> set[Problem]:
    with tls_server(tmp_path, chain, chain[0].key) as port:
        report = probe_tls(host, port, ca_file=pki.ca_file, timeout=5)
    assert report.chain, "the probe must read the chain the server sends"
    for issue in report.issues:
        assert ": " in issue.message, f"no fix in {issue.message!r}"
    return report.problems()


def test_good_chain_is_accepted(tmp_path: Path, pki: Pki) -> None:
    leaf = make_leaf(pki.intermediate)
    with tls_server(tmp_path, [leaf, pki.intermediate], leaf.key) as port:
        report = probe_tls("127.0.0.1", port, ca_file=pki.ca_file, timeout=5)
    assert report.passed, report.evidence()
    assert report.trusted
    assert report.protocol in ("TLSv1.2", "TLSv1.3")
    assert [c.subject for c in report.chain] == ["CN=localhost", "CN=Test Intermediate CA"]
    assert report.legacy_accepted == ()


def test_good_chain_by_dns_name(tmp_path: Path, pki: Pki) -> None:
    leaf = make_leaf(pki.intermediate)
    assert _problems(tmp_path, pki, [leaf, pki.intermediate], host="localhost") == set()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("expired", Problem.EXPIRED),
        ("not-yet-valid", Problem.NOT_YET_VALID),
        ("wrong-host", Problem.HOSTNAME_MISMATCH),
        ("self-signed", Problem.SELF_SIGNED),
        ("untrusted-root", Problem.UNTRUSTED_ROOT),
        ("untrusted-root-sent", Problem.UNTRUSTED_ROOT),
        ("incomplete-chain", Problem.INCOMPLETE_CHAIN),
        ("sha1-signature", Problem.WEAK_SIGNATURE),
        ("rsa-1024", Problem.WEAK_KEY),
        ("expires-soon", Problem.EXPIRES_SOON),
    ],
)
def test_bad_certificate_is_rejected_for_the_right_reason(
    tmp_path: Path, pki: Pki, case: str, expected: Problem
) -> None:
    mid = pki.intermediate
    chain: list[Issued]
    if case == "expired":
        leaf = make_leaf(
            mid, not_before=NOW - timedelta(days=100), not_after=NOW - timedelta(days=2)
        )
        chain = [leaf, mid]
    elif case == "not-yet-valid":
        leaf = make_leaf(
            mid, not_before=NOW + timedelta(days=2), not_after=NOW + timedelta(days=90)
        )
        chain = [leaf, mid]
    elif case == "wrong-host":
        chain = [make_leaf(mid, names=("wrong.example",)), mid]
    elif case == "self-signed":
        chain = [make_leaf(None)]
    elif case == "untrusted-root":
        chain = [make_leaf(pki.other_intermediate), pki.other_intermediate]
    elif case == "untrusted-root-sent":
        chain = [make_leaf(pki.other_intermediate), pki.other_intermediate, pki.other_root]
    elif case == "incomplete-chain":
        chain = [make_leaf(mid)]  # the intermediate is left out
    elif case == "sha1-signature":
        rsa_mid = pki.rsa_intermediate
        chain = [resign_with_sha1(make_leaf(rsa_mid), rsa_mid), rsa_mid]
    elif case == "rsa-1024":
        chain = [make_leaf(mid, key=_key("rsa", 1024)), mid]
    else:
        chain = [make_leaf(mid, not_after=NOW + timedelta(days=5)), mid]
    assert _problems(tmp_path, pki, chain) == {expected}


def test_expiry_threshold_is_configurable(tmp_path: Path, pki: Pki) -> None:
    leaf = make_leaf(pki.intermediate, not_after=NOW + timedelta(days=20))
    with tls_server(tmp_path, [leaf, pki.intermediate], leaf.key) as port:
        default = probe_tls("127.0.0.1", port, ca_file=pki.ca_file, check_legacy=False)
        strict = probe_tls(
            "127.0.0.1", port, ca_file=pki.ca_file, expiry_days=30, check_legacy=False
        )
    assert default.passed
    assert strict.problems() == {Problem.EXPIRES_SOON}
    assert "threshold is 30" in strict.issues[0].message


def test_legacy_protocol_is_reported_when_the_server_accepts_it(tmp_path: Path, pki: Pki) -> None:
    leaf = make_leaf(pki.intermediate)
    with tls_server(
        tmp_path, [leaf, pki.intermediate], leaf.key, minimum=ssl.TLSVersion.TLSv1
    ) as port:
        report = probe_tls("127.0.0.1", port, ca_file=pki.ca_file, timeout=5)
    if not report.legacy_accepted and report.notes:
        pytest.skip(f"this OpenSSL cannot negotiate TLS 1.0/1.1: {report.notes}")
    assert report.problems() == {Problem.OLD_PROTOCOL}
    assert "TLS 1.0" in report.legacy_accepted


def test_trust_store_from_ssl_cert_file(
    tmp_path: Path, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaf = make_leaf(pki.intermediate)
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    with tls_server(tmp_path, [leaf, pki.intermediate], leaf.key) as port:
        report = probe_tls("127.0.0.1", port, check_legacy=False)
    assert report.trusted, report.evidence()


def test_nothing_listening_is_no_tls() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    report = probe_tls("127.0.0.1", port, timeout=2)
    assert report.problems() == {Problem.NO_TLS}


def test_plain_http_port_is_no_tls() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = int(server.getsockname()[1])

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        report = probe_tls("127.0.0.1", port, timeout=2)
    finally:
        thread.join(timeout=5)
        server.close()
    assert report.problems() == {Problem.NO_TLS}


def test_hostname_rules() -> None:
    leaf = make_leaf(None, names=("*.example.org", "example.org", "10.0.0.1"))
    info = describe(leaf.cert.public_bytes(serialization.Encoding.DER))
    assert hostname_matches(info, "www.example.org")
    assert hostname_matches(info, "EXAMPLE.org.")
    assert hostname_matches(info, "10.0.0.1")
    assert not hostname_matches(info, "a.b.example.org")
    assert not hostname_matches(info, "example.com")
    assert not hostname_matches(info, "10.0.0.2")


def test_hsts_and_host_parsing() -> None:
    assert hsts_issue("max-age=63072000; includeSubDomains") is None
    missing = hsts_issue(None)
    assert missing is not None and missing.problem is Problem.NO_HSTS
    short = hsts_issue("max-age=300")
    assert short is not None and "six months" in short.message
    assert split_host("example.org") == ("example.org", 443)
    assert split_host("example.org:8443") == ("example.org", 8443)
    assert split_host("[::1]:9443") == ("::1", 9443)
