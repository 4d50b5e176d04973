"""Real servers on 127.0.0.1 for the security tests: ASGI under uvicorn, WSGI under werkzeug."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from werkzeug.serving import make_server

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Message, Receive, Send], Awaitable[None]]


@contextmanager
def serve_asgi(app: AsgiApp, cert: Path | None = None) -> Iterator[str]:
    """Serve an ASGI app with uvicorn (TLS when `cert` holds key and chain); yield its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        log_level="critical",
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=2,
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(cert) if cert else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(1000):
            if server.started:
                break
            threading.Event().wait(0.01)
        assert server.started, "uvicorn did not start"
        yield f"{'https' if cert else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    """Serve a WSGI app (e.g. Flask) with werkzeug's threaded server; yield its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def asgi_router(
    routes: dict[str, tuple[int, list[tuple[str, str]], bytes]],
    default: tuple[int, list[tuple[str, str]], bytes] = (404, [], b"not found"),
) -> AsgiApp:
    """An app answering exact raw paths from a table (anything else: `default`)."""

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        path = raw.decode("latin-1").split("?", 1)[0]
        status, headers, body = routes.get(path, default)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    return app


@contextmanager
def reference_over_tls(
    cert: Path, trust: ssl.SSLContext, faults: tuple[str, ...] = (), timeout: float = 60
) -> Iterator[str]:
    """The reference deployment served over HTTPS with `cert` (key + chain in one PEM).

    The launcher polls /healthz over plain HTTP, so this starts the process itself and
    waits for an HTTPS answer; yields https://localhost:PORT.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="pytest-release-tls-ref-"))
    port_file = data_dir / "port.json"
    command = [
        sys.executable,
        "-m",
        "pytest_release.reference",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--port-file",
        str(port_file),
        "--ssl-certfile",
        str(cert),
        "--ssl-keyfile",
        str(cert),
        *[arg for fault in faults for arg in ("--fault", fault)],
    ]
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        url = None
        while time.monotonic() < deadline and process.poll() is None:
            if port_file.exists():
                try:
                    port = json.loads(port_file.read_text())["port"]
                    url = f"https://localhost:{port}"
                    httpx.get(url + "/healthz", verify=trust, timeout=2)
                    break
                except (ValueError, KeyError, httpx.HTTPError):
                    url = None
            time.sleep(0.05)
        assert url, (
            "the reference deployment did not answer over HTTPS: "
            + (data_dir / "server.log").read_text(errors="replace")[-2000:]
        )
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)
