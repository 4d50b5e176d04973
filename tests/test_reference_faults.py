"""Every fault switch changes exactly the behaviour it names, seen over real HTTP.

One battery of observations (headers, exposed files, the run API, the sandbox, rate
limiting, logs, ...) is taken from a healthy app and from one app per fault switch; the
test compares them: the keys that differ must be exactly the ones the fault names. The
browser-level faults (monaco-missing, no-persist, console-error, broken-asset) are
observed here at the HTML/asset level; the browser suite checks them in Chromium.
memory-leak and cpu-spike need their own process, so they run through the launcher.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from pytest_release.reference.assets import ensure_monaco
from pytest_release.reference.faults import (
    FAULTS,
    FAULTS_ENV,
    UnknownFaultError,
    describe_faults,
    faults_from_env,
    parse_faults,
)
from pytest_release.reference.inprocess import serve_reference
from pytest_release.reference.launcher import ReferenceServer, start_reference_server
from pytest_release.reference.settings import ADMIN_PASSWORD_ENV, build_settings

PASSWORD = "fault-battery-password"
EVIL_ORIGIN = "https://evil.example.net"
CANARY_NAME = "PYTEST_RELEASE_TEST_CANARY"
CANARY_VALUE = "canary-7f3a9c"
RATE_LIMIT = 8  # per minute: small, so the burst at the end of the battery is short

# Keys of the battery that change when every path but the operations ones answers 503.
BLOCKED_IN_MAINTENANCE = {
    "page_status",
    "scripts",
    "scripts_ok",
    "persist",
    "run",
    "tracked",
    "bad_type",
    "bad_json",
    "git",
    "env",
    "rate_limited",
}
EXPECTED: dict[str, set[str]] = {
    "monaco-missing": {"monaco", "scripts_ok"},
    "no-persist": {"persist"},
    "console-error": {"scripts"},
    "broken-asset": {"scripts", "scripts_ok"},
    "slow-pages": {"page_slow"},
    "run-500": {"run", "tracked"},
    "slow-api": {"run_slow"},
    "no-rate-limit": {"rate_limited"},
    "malformed-json-500": {"bad_json"},
    "output-as-html": {"scripts"},
    "csp-missing": {"csp_present"},
    "csp-unsafe-inline": {"csp_script_inline"},
    "cors-reflect": {"cors_evil"},
    "git-exposed": {"git"},
    "env-exposed": {"env"},
    "server-banner": {"banner"},
    "stack-trace": {"bad_type"},
    "admin-open": {"admin_anon"},
    # logged_404: a page in maintenance answers 503 (logged at INFO), never the 404.
    "maintenance-stuck": {"maint", "logged_404"} | BLOCKED_IN_MAINTENANCE,
    "wrong-version": {"version"},
    "migrations-pending": {"migrations", "health"},
    "metrics-missing": {"metrics"},
    "no-tracking": {"tracked"},
    "no-error-log": {"logged_404"},
    "sandbox-host-files": {"host_files"},
    "sandbox-network": {"network"},
    "sandbox-env-leak": {"env_leak"},
}
PROCESS_FAULTS = {"memory-leak", "cpu-spike"}


class RequestIdCollector(logging.Handler):
    """Request ids of every log record at WARNING and above (4xx/5xx access lines, errors)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.ids: set[str] = set()
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        request_id = getattr(record, "request_id", None)
        if request_id:
            with self._lock:
                self.ids.add(str(request_id))


def _script_src(csp: str | None) -> list[str]:
    for part in (csp or "").split(";"):
        words = part.split()
        if words and words[0] == "script-src":
            return words[1:]
    return []


def _run(http: httpx.Client, code: str) -> tuple[int, str]:
    response = http.post("/api/run", json={"code": code, "language": "python"})
    if response.status_code != 200:
        return response.status_code, ""
    body = response.json()
    return 200, f"{body['output']}|{body['error']}"


def observe(url: str, listener_port: int, logs: RequestIdCollector) -> dict[str, Any]:
    """Everything the fault switches may change, as comparable values."""
    seen: dict[str, Any] = {}
    auth = ("admin", PASSWORD)
    with httpx.Client(base_url=url, timeout=20) as http:
        page = http.get("/", headers={"accept": "text/html"})
        seen["page_status"] = page.status_code
        started = time.perf_counter()
        http.get("/python")
        seen["page_slow"] = time.perf_counter() - started > 1.0
        sources = re.findall(r'<script src="([^"]+)"', page.text) if page.status_code == 200 else []
        seen["scripts"] = tuple(src.split("?")[0] for src in sources)
        seen["scripts_ok"] = page.status_code == 200 and all(
            http.get(src).status_code == 200 for src in sources
        )
        persist = re.search(r'data-persist="(\w+)"', page.text)
        seen["persist"] = persist.group(1) if persist else None
        seen["monaco"] = http.get("/static/monaco/vs/loader.js").status_code

        headers = http.get("/healthz").headers
        csp = headers.get("content-security-policy")
        seen["csp_present"] = csp is not None
        seen["csp_script_inline"] = "'unsafe-inline'" in _script_src(csp)
        seen["banner"] = ("server" in headers, "x-powered-by" in headers)
        preflight = http.options(
            "/api/run",
            headers={"origin": EVIL_ORIGIN, "access-control-request-method": "POST"},
        )
        seen["cors_evil"] = (
            preflight.headers.get("access-control-allow-origin"),
            preflight.headers.get("access-control-allow-credentials"),
        )
        seen["git"] = (http.get("/.git/HEAD").status_code, http.get("/.git/config").status_code)
        seen["env"] = http.get("/.env").status_code
        bad = http.post("/api/run", json={"code": 123, "language": "python"})
        seen["bad_type"] = (bad.status_code, "Traceback" in bad.text)
        malformed = http.post(
            "/api/run", content=b'{"code": ', headers={"content-type": "application/json"}
        )
        seen["bad_json"] = (malformed.status_code, "Traceback" in malformed.text)
        seen["admin_anon"] = http.get("/admin").status_code
        seen["version"] = http.get("/version").json()
        seen["metrics"] = http.get("/metrics").status_code
        seen["maint"] = http.get("/status").json()["status"]
        health = http.get("/healthz").json()
        seen["health"] = health["status"]
        seen["migrations"] = health["checks"]["migrations"]["ok"]

        before = http.get("/admin/stats.json", auth=auth).json()["runs_total"]
        started = time.perf_counter()
        seen["run"] = _run(http, "print('hi')")
        seen["run_slow"] = time.perf_counter() - started > 1.2
        seen["tracked"] = http.get("/admin/stats.json", auth=auth).json()["runs_total"] - before

        request_id = f"fault-battery-{os.urandom(6).hex()}"
        http.get("/no-such-page", headers={"x-request-id": request_id})
        # The access line is written just after the response is sent: allow it a moment.
        deadline = time.monotonic() + 1.0
        while request_id not in logs.ids and time.monotonic() < deadline:
            time.sleep(0.01)
        seen["logged_404"] = request_id in logs.ids

        # One program probes all three sandbox faults: fewer sandbox starts, a faster battery.
        probe = (
            "import os, socket\n"
            "found = []\n"
            "try:\n"
            "    open('/etc/passwd').read()\n"
            "    found.append('host_files')\n"
            "except OSError:\n"
            "    pass\n"
            f"if os.environ.get('{CANARY_NAME}') == '{CANARY_VALUE}':\n"
            "    found.append('env_leak')\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {listener_port}), timeout=2).close()\n"
            "    found.append('network')\n"
            "except OSError:\n"
            "    pass\n"
            "print('found:' + ','.join(found))\n"
        )
        text = _run(http, probe)[1]
        found = text.split("found:", 1)[1].split("|", 1)[0].split(",") if "found:" in text else []
        for key in ("host_files", "env_leak", "network"):
            seen[key] = key in [item.strip() for item in found]

        # Last: the burst uses up this client's rate-limit budget.
        burst = [http.post("/api/run", content=b"{}").status_code for _ in range(RATE_LIMIT + 1)]
        seen["rate_limited"] = 429 in burst
    return seen


@pytest.fixture(scope="module")
def listener() -> Iterator[int]:
    """A loopback TCP listener that sandboxed code must not be able to reach."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.fixture(scope="module")
def observations(
    tmp_path_factory: pytest.TempPathFactory, listener: int
) -> Iterator[dict[str, dict[str, Any]]]:
    """The battery for the healthy app and for each fault, taken a few apps at a time."""
    logs = RequestIdCollector()
    logger = logging.getLogger("pytest_release.reference")
    previous_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(logs)
    os.environ[CANARY_NAME] = CANARY_VALUE  # the in-process server's "secret"
    monaco = ensure_monaco()
    names = ["healthy", *EXPECTED]
    # Directories made here, not in the worker threads: TempPathFactory is not thread-safe.
    data_dirs = {name: tmp_path_factory.mktemp(name) for name in names}

    def one(name: str) -> tuple[str, dict[str, Any]]:
        faults = frozenset() if name == "healthy" else frozenset({name})
        settings = build_settings(
            data_dir=data_dirs[name],
            faults=faults,
            rate_limit=RATE_LIMIT,
            monaco_dir=monaco,
            environ={ADMIN_PASSWORD_ENV: PASSWORD},
        )
        with serve_reference(settings) as url:
            return name, observe(url, listener, logs)

    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = dict(pool.map(one, names))
        yield results
    finally:
        os.environ.pop(CANARY_NAME, None)
        logger.removeHandler(logs)
        logger.setLevel(previous_level)


def test_every_fault_is_covered_here() -> None:
    assert set(EXPECTED) | PROCESS_FAULTS == set(FAULTS)


def test_healthy_baseline(observations: dict[str, dict[str, Any]]) -> None:
    healthy = observations["healthy"]
    assert healthy["page_status"] == 200
    assert healthy["scripts_ok"] is True
    assert healthy["persist"] == "true"
    assert healthy["monaco"] == 200
    assert healthy["csp_present"] is True and healthy["csp_script_inline"] is False
    assert healthy["banner"] == (False, False)
    assert healthy["cors_evil"] == (None, None)
    assert healthy["git"] == (404, 404) and healthy["env"] == 404
    assert healthy["bad_type"] == (400, False)
    assert healthy["bad_json"] == (400, False)
    assert healthy["admin_anon"] == 401
    assert healthy["metrics"] == 200
    assert healthy["maint"] == "operational"
    assert healthy["health"] == "ok" and healthy["migrations"] is True
    assert healthy["run"] == (200, "hi\n|None")
    assert healthy["run_slow"] is False and healthy["page_slow"] is False
    assert healthy["tracked"] == 1
    assert healthy["logged_404"] is True
    assert healthy["host_files"] is False
    assert healthy["env_leak"] is False
    assert healthy["network"] is False
    assert healthy["rate_limited"] is True


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_fault_changes_exactly_what_it_names(
    observations: dict[str, dict[str, Any]], fault: str
) -> None:
    healthy, faulty = observations["healthy"], observations[fault]
    changed = {key for key in healthy if healthy[key] != faulty[key]}
    details = {key: (healthy[key], faulty[key]) for key in changed ^ EXPECTED[fault]}
    assert changed == EXPECTED[fault], f"{fault}: unexpected (healthy, faulty) values {details}"


def test_fault_values_are_the_realistic_ones(observations: dict[str, dict[str, Any]]) -> None:
    assert observations["cors-reflect"]["cors_evil"] == (EVIL_ORIGIN, "true")
    assert observations["git-exposed"]["git"] == (200, 200)
    assert observations["env-exposed"]["env"] == 200
    assert observations["stack-trace"]["bad_type"] == (500, True)
    assert observations["admin-open"]["admin_anon"] == 200
    assert observations["wrong-version"]["version"]["version"] == "0.0.0-stale"
    assert observations["maintenance-stuck"]["page_status"] == 503
    assert observations["run-500"]["run"] == (500, "")
    assert observations["monaco-missing"]["monaco"] == 404
    assert observations["no-persist"]["persist"] == "false"
    assert "/static/js/fault-console-error.js" in observations["console-error"]["scripts"]
    assert observations["malformed-json-500"]["bad_json"] == (500, False)
    assert "/static/js/fault-output-html.js" in observations["output-as-html"]["scripts"]


def test_exposed_files_look_real_but_hold_fake_secrets(tmp_path: Path) -> None:
    settings = build_settings(
        data_dir=tmp_path, faults=frozenset({"git-exposed", "env-exposed"}), environ={}
    )
    with serve_reference(settings) as url, httpx.Client(base_url=url) as http:
        assert http.get("/.git/HEAD").text.startswith("ref: refs/heads/")
        assert '[remote "origin"]' in http.get("/.git/config").text
        env = http.get("/.env").text
    assert "DB_PASSWORD=" in env and "APP_KEY=" in env and "fake" in env.lower()


# --- faults that need their own process ------------------------------------------------


def _rss_from_metrics(http: httpx.Client) -> float:
    match = re.search(r"^process_resident_memory_bytes (\S+)$", http.get("/metrics").text, re.M)
    assert match, "/metrics has no process_resident_memory_bytes"
    return float(match.group(1))


def _leak_growth(server: ReferenceServer) -> float:
    with httpx.Client(base_url=server.url) as http:
        for _ in range(10):
            http.get("/version")
        before = _rss_from_metrics(http)
        for _ in range(60):
            http.get("/version")
        return _rss_from_metrics(http) - before


def _cpu_seconds(server: ReferenceServer) -> float:
    times = psutil.Process(server.pid).cpu_times()
    return float(times.user + times.system)


def _idle_cpu(servers: dict[str, ReferenceServer], spiking: str) -> dict[str, float]:
    """CPU seconds each idle server used while ``spiking`` burns 0.8 s (at most 20 s wall).

    Waiting for the spike rather than a fixed window keeps this honest on a loaded machine.
    """
    start = {name: _cpu_seconds(server) for name, server in servers.items()}
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if _cpu_seconds(servers[spiking]) - start[spiking] > 0.8:
            break
    return {name: _cpu_seconds(server) - start[name] for name, server in servers.items()}


def test_memory_leak_and_cpu_spike_in_their_own_processes() -> None:
    names = ["healthy", "memory-leak", "cpu-spike"]

    def start(name: str) -> ReferenceServer:
        return start_reference_server(faults=[] if name == "healthy" else [name])

    with ThreadPoolExecutor(max_workers=3) as pool:
        servers = dict(zip(names, pool.map(start, names), strict=True))
    try:
        cpu = _idle_cpu(servers, "cpu-spike")
        growth = {name: _leak_growth(servers[name]) for name in ("healthy", "memory-leak")}
        for name, server in servers.items():
            assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok", name
    finally:
        for server in servers.values():
            server.stop()
    mib = 1024 * 1024
    assert growth["memory-leak"] > 10 * mib, (
        f"leak grew RSS by {growth['memory-leak'] / mib:.1f} MiB"
    )
    assert growth["healthy"] < 4 * mib, f"healthy grew RSS by {growth['healthy'] / mib:.1f} MiB"
    assert cpu["cpu-spike"] > 0.8, f"cpu-spike used only {cpu['cpu-spike']:.2f} s of CPU"
    assert cpu["healthy"] < 0.3 and cpu["memory-leak"] < 0.3, cpu


# --- the registry ----------------------------------------------------------------------


def test_unknown_fault_names_are_refused_with_the_fix() -> None:
    with pytest.raises(UnknownFaultError, match="--list-faults"):
        parse_faults(["csp-missing", "no-such-fault"])


def test_faults_from_the_environment() -> None:
    env = {FAULTS_ENV: "csp-missing, git-exposed,,"}
    assert faults_from_env(env) == {"csp-missing", "git-exposed"}
    assert faults_from_env({}) == frozenset()


def test_list_describes_every_fault_in_one_line() -> None:
    lines = describe_faults().splitlines()
    assert len(lines) == len(FAULTS)
    for name, line in zip(FAULTS, lines, strict=True):
        assert line.startswith(name) and len(line.split(None, 1)[1]) > 10
