"""The launcher (subprocess server the plugin auto-starts), the `serve` CLI and Monaco assets."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import ssl
import time
from pathlib import Path

import httpx
import psutil
import pytest

from pytest_release.cli import main as cli_main
from pytest_release.reference.assets import (
    MONACO_VERSION,
    AssetsError,
    ensure_monaco,
    install,
    is_installed,
)
from pytest_release.reference.faults import FAULTS, FAULTS_ENV, UnknownFaultError
from pytest_release.reference.launcher import ReferenceServerError, start_reference_server
from pytest_release.reference.settings import ADMIN_PASSWORD_ENV


def test_start_serve_and_stop() -> None:
    with start_reference_server(
        extra_env={ADMIN_PASSWORD_ENV: "launcher-secret-password"},
        extra_args=["--version-string", "2025.07.25", "--commit", "abc1234"],
    ) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert psutil.pid_exists(server.pid)
        assert server.data_dir.is_dir()
        with httpx.Client(base_url=server.url) as http:
            assert http.get("/healthz").json()["status"] == "ok"
            assert http.get("/version").json() == {"version": "2025.07.25", "commit": "abc1234"}
            run = http.post("/api/run", json={"code": "print('hi')", "language": "python"})
            assert run.json()["output"] == "hi\n"
            assert http.get("/admin", auth=("admin", "launcher-secret-password")).is_success
        data_dir, pid = server.data_dir, server.pid
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not data_dir.exists(), "a temporary data dir is removed on stop"


def test_logs_are_json_lines_with_request_ids(tmp_path: Path) -> None:
    with start_reference_server(
        data_dir=tmp_path, extra_env={ADMIN_PASSWORD_ENV: "launcher-secret-password"}
    ) as server:
        with httpx.Client(base_url=server.url) as http:
            http.get("/admin", auth=("admin", "launcher-secret-password"))
            http.get("/admin", auth=("admin", "wrong-password-typed"))
            request_id = http.get("/nope").headers["x-request-id"]
        # The access line is written after the response is sent: wait for it, briefly.
        deadline = time.monotonic() + 10
        while request_id not in "\n".join(lines := server.log_lines()):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert tmp_path.is_dir(), "a data dir given by the caller is kept"
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        assert {"timestamp", "level", "event", "request_id"} <= entry.keys()
    assert any(e["event"] == "startup" for e in entries)
    assert any(e["request_id"] == request_id and e["status"] == 404 for e in entries)
    text = "\n".join(lines)
    assert "launcher-secret-password" not in text and "wrong-password-typed" not in text


def test_faults_from_the_environment_reach_the_server() -> None:
    with start_reference_server(extra_env={FAULTS_ENV: "wrong-version"}) as server:
        assert httpx.get(f"{server.url}/version").json()["version"] == "0.0.0-stale"


def test_a_server_that_cannot_start_says_why() -> None:
    with pytest.raises(ReferenceServerError) as caught:
        start_reference_server(extra_args=["--rate-limit", "0"], timeout=10)
    message = str(caught.value)
    assert "exited with code 2" in message
    assert "must be 1 or more" in message, "the server's own error is quoted"


def test_a_busy_port_is_reported() -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        with pytest.raises(ReferenceServerError, match="cannot listen"):
            start_reference_server(port=port, timeout=10)


def test_unknown_faults_fail_before_starting() -> None:
    with pytest.raises(UnknownFaultError):
        start_reference_server(faults=["no-such-fault"])


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_serve_lists_the_faults() -> None:
    code, out, _ = cli("serve", "--list-faults")
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == list(FAULTS)


def test_serve_refuses_unknown_faults_with_the_fix() -> None:
    code, _, err = cli("serve", "--fault", "typo-fault")
    assert code == 2
    assert "typo-fault" in err and "--list-faults" in err


def test_monaco_is_installed_and_pinned() -> None:
    vs = ensure_monaco()
    assert (vs / "loader.js").is_file()
    assert is_installed(vs.parents[2].parent)
    assert MONACO_VERSION.count(".") == 2


def test_missing_npm_gives_an_actionable_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(AssetsError) as caught:
        install(tmp_path / "monaco")
    message = str(caught.value)
    assert "npm is not installed" in message and "apt-get install npm" in message
    assert f"monaco-editor@{MONACO_VERSION}" in message


def test_tls_with_http_redirect_grades_a_or_better(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    from pytest_release.probes.headers.scan import scan

    authority = trustme.CA()
    cert = authority.issue_cert("127.0.0.1", "localhost")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    with start_reference_server(
        ssl_certfile=tmp_path / "cert.pem", ssl_keyfile=tmp_path / "key.pem", http_redirect=True
    ) as server:
        assert server.url.startswith("https://") and server.http_url is not None
        redirect = httpx.get(f"{server.http_url}/python?x=1")
        assert redirect.status_code == 301
        assert redirect.headers["location"] == f"{server.url}/python?x=1"
        context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        with httpx.Client(verify=context, timeout=10) as http:
            assert http.get(f"{server.url}/").headers["strict-transport-security"]
            report = scan(f"{server.url}/", http, http_url=f"{server.http_url}/")
    assert report.grade in {"A+", "A"}, report


def test_http_redirect_needs_tls() -> None:
    with pytest.raises(ValueError, match="needs ssl_certfile"):
        start_reference_server(http_redirect=True)
    code, _, err = cli("serve", "--http-redirect-port", "0")
    assert code == 2 and "--ssl-certfile" in err
