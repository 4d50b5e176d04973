"""scan() against real servers on 127.0.0.1: uvicorn (TLS via trustme) and raw sockets."""

from __future__ import annotations

import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import trustme

from pytest_release.probes.headers import Report, ScanError, scan
from tests.security_servers import AsgiApp, Message, Receive, Send, serve_asgi

GOOD_HEADERS = [
    ("content-type", "text/html; charset=utf-8"),
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("cross-origin-embedder-policy", "require-corp"),
    ("set-cookie", "session=abc; Path=/; Secure; HttpOnly; SameSite=Lax"),
    ("set-cookie", "theme=dark; Path=/; Secure; SameSite=Strict"),
]
PAGE = '<!doctype html><html><head><script src="/app.js"></script></head><body>ok</body></html>'


def asgi_app(
    headers: Sequence[tuple[str, str]],
    body: str = PAGE,
    *,
    status: int = 200,
    reflect_cors: bool = False,
    redirect_to: str | None = None,
) -> AsgiApp:
    """A minimal ASGI app answering every GET alike and OPTIONS as a CORS endpoint would."""

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw: list[tuple[bytes, bytes]]
        if scope["method"] == "OPTIONS":
            request = {k.decode().lower(): v for k, v in scope["headers"]}
            raw = []
            if reflect_cors and "origin" in request:
                raw = [
                    (b"access-control-allow-origin", request["origin"]),
                    (b"access-control-allow-credentials", b"true"),
                ]
            await send({"type": "http.response.start", "status": 204, "headers": raw})
            await send({"type": "http.response.body", "body": b""})
            return
        if redirect_to is not None:
            raw = [(b"location", redirect_to.encode())]
            await send({"type": "http.response.start", "status": 301, "headers": raw})
            await send({"type": "http.response.body", "body": b""})
            return
        raw = [(k.encode(), v.encode()) for k, v in headers]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body.encode()})

    return app


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def uvicorn_server(app: AsgiApp, cert: Path | None = None) -> Iterator[int]:
    """Serve `app` on 127.0.0.1 (over TLS when `cert` is given); yield the port."""
    with serve_asgi(app, cert) as url:
        port = urlsplit(url).port
        assert port is not None
        yield port


class _RawHandler(socketserver.BaseRequestHandler):
    reply = b""

    def handle(self) -> None:
        self.request.settimeout(2)
        try:
            self.request.recv(65536)
            self.request.sendall(self.reply)
        except OSError:
            pass


@contextmanager
def raw_server(reply: bytes) -> Iterator[int]:
    """A TCP server that answers any request with the bytes `reply`, then hangs up."""
    handler = type("Handler", (_RawHandler,), {"reply": reply})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def cert(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tls") / "server.pem"
    ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(path)
    return path


def trusting_client(ca: trustme.CA) -> httpx.Client:
    """A client that trusts the test CA; open it inside the server's block so that it
    closes first (a TLS server otherwise waits for its keep-alive connections)."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return httpx.Client(verify=context, timeout=5.0)


@pytest.fixture
def client(ca: trustme.CA) -> Iterator[httpx.Client]:
    with trusting_client(ca) as c:
        yield c


def test_good_headers_over_tls_grade_a_plus(ca: trustme.CA, cert: Path) -> None:
    with uvicorn_server(asgi_app(GOOD_HEADERS), cert) as port, trusting_client(ca) as client:
        report = scan(f"https://127.0.0.1:{port}/", client)
    assert report.grade == "A+", report.failures()
    assert report.score >= 100
    assert report.tests_failed == 0
    assert report.tests["content-security-policy"].result == (
        "csp-implemented-with-no-unsafe-default-src-none"
    )
    assert report.tests["cookies"].result == "cookies-secure-with-httponly-sessions-and-samesite"
    assert report.tests["x-frame-options"].result == "x-frame-options-implemented-via-csp"
    # Nothing answers plain HTTP on that port, like a TLS-only host.
    assert report.tests["redirection"].result == "redirection-not-needed-no-http"
    assert report.tests["cross-origin-resource-sharing"].result == (
        "cross-origin-resource-sharing-not-implemented"
    )


def test_http_redirect_chain_is_followed(ca: trustme.CA, cert: Path) -> None:
    with uvicorn_server(asgi_app(GOOD_HEADERS), cert) as tls_port:
        target = f"https://127.0.0.1:{tls_port}/"
        with (
            uvicorn_server(asgi_app([], redirect_to=target)) as http_port,
            trusting_client(ca) as client,
        ):
            report = scan(target, client, http_url=f"http://127.0.0.1:{http_port}/")
    redirect = report.tests["redirection"]
    assert redirect.result == "redirection-to-https", redirect.explanation
    assert redirect.data == f"http://127.0.0.1:{http_port}/ -> {target}"
    assert report.grade == "A+"


def test_missing_headers_and_reflected_cors_grade_low(client: httpx.Client) -> None:
    weak = [("content-type", "text/html"), ("set-cookie", "sessionid=1; Path=/")]
    with uvicorn_server(asgi_app(weak, reflect_cors=True)) as port:
        report = scan(f"http://127.0.0.1:{port}/", client)
    assert report.grade == "F"
    assert report.score == 0
    results = {name: t.result.value for name, t in report.tests.items()}
    assert results["content-security-policy"] == "csp-not-implemented"
    assert results["strict-transport-security"] == "hsts-not-implemented-no-https"
    assert results["redirection"] == "redirection-missing"
    assert results["x-frame-options"] == "x-frame-options-not-implemented"
    assert results["cookies"] == "cookies-session-without-secure-flag"
    assert results["cross-origin-resource-sharing"] == (
        "cross-origin-resource-sharing-implemented-with-universal-access"
    )
    assert "sessionid" in report.tests["cookies"].explanation
    worst = report.failures()[0]
    assert worst.score_modifier == -50


def test_untrusted_certificate_is_graded_and_reported(cert: Path) -> None:
    with (
        uvicorn_server(asgi_app(GOOD_HEADERS), cert) as port,
        httpx.Client(timeout=5.0) as untrusting,
    ):
        report = scan(f"https://127.0.0.1:{port}/", untrusting)
    hsts = report.tests["strict-transport-security"]
    assert hsts.result == "hsts-invalid-cert"
    assert "certificate" in hsts.explanation


def test_server_down_raises_scan_error(client: httpx.Client) -> None:
    sock = _free_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    with pytest.raises(ScanError, match="seems to be down") as info:
        scan(f"http://127.0.0.1:{port}/", client)
    assert "cannot connect" in info.value.reason


def test_error_status_raises_scan_error(client: httpx.Client) -> None:
    with (
        uvicorn_server(asgi_app([("content-type", "text/plain")], "boom", status=500)) as port,
        pytest.raises(ScanError, match="HTTP 500"),
    ):
        scan(f"http://127.0.0.1:{port}/", client)


def test_garbage_bytes_raise_scan_error(client: httpx.Client) -> None:
    with raw_server(b"\x00\xffthis is not http\r\n\r\n") as port, pytest.raises(ScanError):
        scan(f"http://127.0.0.1:{port}/", client)


def test_malformed_but_valid_http_is_graded(client: httpx.Client) -> None:
    reply = (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: text/html\r\n"
        b"Content-Security-Policy: ;;,, default-src\r\n"
        b"Set-Cookie: =nameless; SameSite\r\n"
        b"Set-Cookie: csrftoken=x; Domain=evil.test\r\n"
        b"X-Frame-Options: DENY, SAMEORIGIN\r\n"
        b"Strict-Transport-Security: max-age=abc\r\n"
        b'Cross-Origin-Opener-Policy: "same-origin"\r\n'
        b"Connection: close\r\n\r\n"
        b'<html><![if x]><meta http-equiv="content-security-policy"><script src=//cdn.x/a.js'
    )
    with raw_server(reply) as port:
        report = scan(f"http://127.0.0.1:{port}/", client)
    assert isinstance(report, Report)
    assert report.tests["content-security-policy"].result == "csp-header-invalid"
    assert report.tests["x-frame-options"].result == "x-frame-options-header-invalid"
    assert report.tests["cross-origin-opener-policy"].result == "coop-header-invalid"
    # The nameless cookie and the cookie for another domain are rejected like a browser would.
    assert report.tests["cookies"].result == "cookies-not-found"


def test_bad_url_raises_scan_error(client: httpx.Client) -> None:
    with pytest.raises(ScanError, match="only http"):
        scan("ftp://127.0.0.1/", client)
