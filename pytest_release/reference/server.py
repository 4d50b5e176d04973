"""Running the reference deployment: command-line options and the uvicorn server.

``add_serve_arguments`` is shared by ``python -m pytest_release.reference`` and
``pytest-release serve`` so both accept exactly the same options.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
from dataclasses import replace
from pathlib import Path

from pytest_release.reference.assets import AssetsError, ensure_monaco
from pytest_release.reference.faults import (
    SANDBOX_FAULTS,
    UnknownFaultError,
    describe_faults,
    faults_from_env,
    parse_faults,
)
from pytest_release.reference.logging_json import configure_logging, get_logger, log_event
from pytest_release.reference.settings import ReferenceSettings, SettingsError, build_settings

logger = get_logger("server")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"port {text!r} is not a number") from exc
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 0-65535 (0 picks a free one)")
    return value


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `serve` (and of `python -m pytest_release.reference`)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_port, default=8000, help="port (0: pick a free one)")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a fault (repeatable; also PYTEST_RELEASE_FAULTS=a,b); see --list-faults",
    )
    parser.add_argument("--list-faults", action="store_true", help="list the fault switches")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="state directory (db, maintenance, logs)"
    )
    parser.add_argument("--version-string", default=None, help="release version /version reports")
    parser.add_argument("--commit", default=None, help="commit /version reports")
    parser.add_argument(
        "--schema-revision",
        default=None,
        metavar="REV",
        help="newest migration this release knows (default: head); e.g. 0001_runs for an "
        "older release",
    )
    parser.add_argument(
        "--insecure-sandbox",
        action="store_true",
        help="run code WITHOUT isolation when bubblewrap is unavailable (every page warns)",
    )
    parser.add_argument(
        "--rate-limit", type=_positive_int, default=None, help="runs per minute per client (30)"
    )
    parser.add_argument(
        "--max-concurrent-runs", type=_positive_int, default=None, help="sandbox runs at once"
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=None,
        metavar="ORIGIN",
        help="an origin allowed to call the API cross-site (repeatable; exact origins only)",
    )
    parser.add_argument("--api-path", default=None, help="path of the run API (/api/run)")
    parser.add_argument("--banner-start", default=None, help="announced maintenance window start")
    parser.add_argument("--banner-end", default=None, help="announced maintenance window end")
    parser.add_argument("--banner-message", default=None, help="text of the maintenance banner")
    parser.add_argument("--monaco-dir", type=Path, default=None, help="npm prefix holding Monaco")
    parser.add_argument("--ssl-certfile", default=None, help="serve HTTPS with this certificate")
    parser.add_argument("--ssl-keyfile", default=None, help="private key for --ssl-certfile")
    parser.add_argument(
        "--http-redirect-port",
        type=_port,
        default=None,
        help="with --ssl-certfile: also listen for plain HTTP here and redirect it to HTTPS",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="trust X-Forwarded-* from these proxy addresses (default: trust none)",
    )
    parser.add_argument("--port-file", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])


def settings_from_args(args: argparse.Namespace) -> ReferenceSettings:
    """Flags + environment -> settings (raises SettingsError/UnknownFaultError)."""
    faults = parse_faults(args.fault) | faults_from_env()
    return build_settings(
        data_dir=args.data_dir,
        version=args.version_string,
        commit=args.commit,
        faults=faults,
        rate_limit=args.rate_limit,
        cors_origins=_joined(args.cors_origin),
        api_path=args.api_path,
        banner_start=args.banner_start,
        banner_end=args.banner_end,
        banner_message=args.banner_message,
        insecure_sandbox=args.insecure_sandbox,
        schema_revision=args.schema_revision,
    )


def _joined(values: list[str] | None) -> str | None:
    return None if values is None else ",".join(values)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP, and without it Nagle + delayed ACK add ~40 ms to every keep-alive response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _write_port_file(path: Path, port: int, redirect_port: int | None) -> None:
    tmp = path.with_name(path.name + ".tmp")
    info = {"port": port, "redirect_port": redirect_port, "pid": os.getpid()}
    tmp.write_text(json.dumps(info), encoding="utf-8")
    os.replace(tmp, path)


def _start_redirect_listener(sock: socket.socket, https_port: int) -> None:
    """Serve the HTTP->HTTPS redirect from a daemon thread (it dies with the process)."""
    import threading

    import uvicorn

    from pytest_release.reference.https_redirect import redirect_app

    config = uvicorn.Config(
        redirect_app(https_port),
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="https-redirect", daemon=True
    ).start()


def serve(args: argparse.Namespace) -> int:
    """Start the server in the foreground; return an exit code when it stops or cannot start."""
    if args.list_faults:
        print(describe_faults())
        return 0
    try:
        settings = settings_from_args(args)
    except (SettingsError, UnknownFaultError) as exc:
        print(f"pytest-release serve: {exc}", file=sys.stderr)
        return 2
    if args.http_redirect_port is not None and not args.ssl_certfile:
        print(
            "pytest-release serve: --http-redirect-port redirects to HTTPS, so it needs "
            "--ssl-certfile and --ssl-keyfile",
            file=sys.stderr,
        )
        return 2
    configure_logging(level=args.log_level, secrets=[settings.admin_password])
    try:
        sock = _bind(args.host, args.port)
        redirect_sock = (
            None if args.http_redirect_port is None else _bind(args.host, args.http_redirect_port)
        )
    except OSError as exc:
        print(
            f"pytest-release serve: cannot listen on {args.host}: {exc.strerror}; "
            "pick another --port / --http-redirect-port (0 picks a free one)",
            file=sys.stderr,
        )
        return 2
    try:
        monaco = ensure_monaco(args.monaco_dir)
    except AssetsError as exc:
        # Serve anyway: health, API and security checks still work; pages show the code
        # read-only and the browser checks fail with this reason.
        print(f"pytest-release serve: Monaco editor unavailable: {exc}", file=sys.stderr)
        log_event(logger, "monaco-unavailable", level=logging.ERROR, detail=str(exc))
        monaco = None
    settings = replace(settings, monaco_dir=monaco)

    from pytest_release.reference.sandbox import Limits, Sandbox, SandboxUnavailable

    runs_at_once = args.max_concurrent_runs
    limits = Limits() if runs_at_once is None else Limits(concurrency=runs_at_once)
    try:
        sandbox = Sandbox(
            limits, insecure=settings.insecure_sandbox, faults=settings.faults & SANDBOX_FAULTS
        )
    except SandboxUnavailable as exc:
        print(f"pytest-release serve: code execution is unavailable: {exc}", file=sys.stderr)
        sock.close()
        return 3

    import uvicorn

    from pytest_release.reference.app import create_app

    app = create_app(settings, sandbox)
    port = int(sock.getsockname()[1])
    redirect_port = None if redirect_sock is None else int(redirect_sock.getsockname()[1])
    if redirect_sock is not None:
        _start_redirect_listener(redirect_sock, port)
    if args.port_file is not None:
        _write_port_file(args.port_file, port, redirect_port)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=args.forwarded_allow_ips is not None,
        forwarded_allow_ips=args.forwarded_allow_ips,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        timeout_keep_alive=5,
        backlog=2048,
        lifespan="on",
    )
    scheme = "https" if args.ssl_certfile else "http"
    log_event(
        logger,
        "listening",
        url=f"{scheme}://{args.host}:{port}",
        http_redirect_port=redirect_port,
        data_dir=str(settings.data_dir),
        pid=os.getpid(),
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else 1
