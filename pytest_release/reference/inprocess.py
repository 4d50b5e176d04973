"""Serve an ASGI app on a real loopback port from a background thread.

For tests and probes that want real HTTP against a reference app without paying for a
subprocess per configuration (``launcher.py`` is the subprocess way)::

    with serve_in_thread(create_app(settings, runner)) as url:
        httpx.get(url + "/healthz")
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from pytest_release.reference.app import create_app
from pytest_release.reference.context import CodeRunner
from pytest_release.reference.faults import SANDBOX_FAULTS
from pytest_release.reference.settings import ReferenceSettings


@contextlib.contextmanager
def serve_in_thread(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    timeout: float = 10.0,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> Iterator[str]:
    """Run ``app`` with uvicorn in a daemon thread; yield its base URL; stop it on exit.

    With ``ssl_certfile``/``ssl_keyfile`` it serves HTTPS (and the URL says https).
    """
    # IPPROTO_TCP: asyncio sets TCP_NODELAY only when the proto says TCP (else +40 ms/request).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"reference-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the in-process server stopped during startup; see the log")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the in-process server did not start within {timeout:.0f} s")
        time.sleep(0.01)
    try:
        yield f"{'https' if ssl_certfile else 'http'}://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)
        sock.close()


@contextlib.contextmanager
def serve_reference(settings: ReferenceSettings, runner: CodeRunner | None = None) -> Iterator[str]:
    """Serve the reference app for ``settings`` in a thread; without a runner, the real Sandbox."""
    if runner is None:
        from pytest_release.reference.sandbox import Sandbox

        runner = Sandbox(
            insecure=settings.insecure_sandbox, faults=settings.faults & SANDBOX_FAULTS
        )
    with serve_in_thread(create_app(settings, runner)) as url:
        yield url
