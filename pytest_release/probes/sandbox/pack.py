"""The sandbox probe pack: every escape attempt, per language, a few at a time.

``run_sandbox_pack(plan)`` sends each probe program through the run API and judges it.
Probes that do not interfere run concurrently (``concurrency`` at once, the slowest first,
so the endless loop's wait overlaps everything else); the two halves of "persistence" run
one after the other and the two halves of "concurrent-runs" at the same moment. The health
endpoint is polled throughout. Every loop in every program is bounded, and nothing is sent
anywhere but the target (and the probe's own listeners on this machine's loopback).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pytest_release.probes.lanes import Lane, is_local, lane_client, target_address
from pytest_release.probes.sandbox import judge
from pytest_release.probes.sandbox.client import RunClient
from pytest_release.probes.sandbox.health import HealthMonitor
from pytest_release.probes.sandbox.listeners import LoopbackListeners
from pytest_release.probes.sandbox.model import PackReport, ProbeResult, RunRecord, Verdict
from pytest_release.probes.sandbox.server_files import (
    app_paths,
    host_file_digests,
    server_directory,
)
from pytest_release.probes.sandbox.snippets import Literal, Snippets, snippets_for
from pytest_release.sandbox_settings import SANDBOX_PROBES, Expectations

# Slowest first: they start at once and everything quick fills the time around them.
ORDER = (
    "infinite-loop",
    "concurrent-runs",
    "memory-hog",
    "network-dns",
    "fork-bomb",
    "network-tcp",
    "persistence",
    "output-flood",
    "list-processes",
    "read-etc-passwd",
    "read-proc-environ",
    "read-app-files",
    "write-outside-scratch",
    "env-secrets",
)
CONCURRENT_WAIT_S = 2.5
MAX_FORKS = 512
MAX_FLOOD_BYTES = 16 << 20


@dataclass(frozen=True, slots=True)
class PackPlan:
    """What to probe and what to expect."""

    base_url: str
    run_path: str = "/api/run"
    health_path: str = "/healthz"
    languages: tuple[str, ...] = ("python", "php")
    probes: tuple[str, ...] = SANDBOX_PROBES
    expect: Expectations = field(default_factory=Expectations)
    app_paths: tuple[str, ...] = ()
    concurrency: int = 3
    loopback_lanes: bool = True
    max_wall_s: float = 90.0
    snippet_dirs: tuple[Path, ...] = ()


def _values(plan: PackPlan, local: bool, listeners: LoopbackListeners) -> dict[str, Literal]:
    address = target_address(plan.base_url)
    port = address[1] if address else 0
    expect = plan.expect
    return {
        "PATHS": list(app_paths(port if local else None, plan.app_paths)),
        "DIRS": list(server_directory(port if local else None)),
        "LISTENER_PORT": listeners.tcp_port if local else 0,
        "DNS_PORT": listeners.dns_port if local else 0,
        "TARGET_HOST": address[0] if address else "127.0.0.1",
        "TARGET_PORT": port,
        "FORK_CAP": min(expect.processes * 2, MAX_FORKS),
        "RUN_FOR_S": int(expect.timeout_s) + 5,
        "CAP_MB": (expect.memory_mb // 16 + 8) * 16,  # 128 MB over the limit, then it stops
        "FLOOD_BYTES": min(expect.output_kb * 1024 * 4, MAX_FLOOD_BYTES),
        "WAIT_S": CONCURRENT_WAIT_S,
    }


@dataclass(slots=True)
class _Language:
    """One language's client, programs and placeholder values."""

    name: str
    client: RunClient
    snippets: Snippets
    values: Mapping[str, Literal]

    def send(self, probe: str, **extra: Literal) -> RunRecord:
        code = self.snippets.render(probe, {**self.values, **extra})
        return self.client.run(code, self.name)


def _preflight(lang: _Language) -> tuple[Verdict, str] | None:
    """None when a hello-world runs; else the verdict and reason for all of its probes."""
    record = lang.client.run(lang.snippets.hello, lang.name)
    if record.status == 400 and "language" in str(record.body).lower():
        return Verdict.SKIPPED, f"the target does not run {lang.name}: {record.body}"
    if record.problem():
        return Verdict.INCONCLUSIVE, f"a hello-world {lang.name} program did not run: " + str(
            record.problem()
        )
    if "prx-hello" not in record.output:
        detail = record.error or repr(record.output[:120])
        return Verdict.INCONCLUSIVE, f"a hello-world {lang.name} program printed nothing: {detail}"
    return None


def _probe(lang: _Language, probe: str, ctx: judge.JudgeContext, local: bool) -> ProbeResult:
    """Run one probe for one language and judge it."""
    token = secrets.token_hex(6)
    name = lang.name
    if probe == "network-dns" and not local:
        return ProbeResult(
            probe,
            name,
            Verdict.SKIPPED,
            "needs a target on this machine (the probe's resolver listens on its loopback)",
        )
    if probe == "persistence":
        first = lang.send("persistence", TOKEN=token)
        written = (first.report() or {}).get("facts", {}).get("written", [])
        paths = [str(p) for p in written] if isinstance(written, list) else []
        second = lang.send("persistence-check", TOKEN=token, PATHS=paths)
        return judge.judge_reported(probe, name, (first, second))
    if probe == "concurrent-runs":
        other = secrets.token_hex(6)
        records: dict[str, RunRecord] = {}

        def half(mine: str, peer: str) -> None:
            records[mine] = lang.send("concurrent-runs", TOKEN=mine, PEER=peer)

        partner = threading.Thread(target=half, args=(other, token), name="prx-concurrent")
        partner.start()
        half(token, other)
        partner.join()
        return judge.judge_concurrent(name, (records[token], records[other]))
    record = lang.send(probe, TOKEN=token)
    runs = (record,)
    if probe == "read-etc-passwd":
        return judge.judge_etc_passwd(name, runs, ctx)
    if probe == "read-proc-environ":
        return judge.judge_proc_environ(name, runs)
    if probe == "env-secrets":
        return judge.judge_env(name, runs)
    if probe == "read-app-files":
        return judge.judge_app_files(name, runs)
    if probe in ("network-tcp", "network-dns"):
        return judge.judge_network(probe, name, runs, token, ctx)
    if probe == "fork-bomb":
        return judge.judge_fork_bomb(name, runs, ctx)
    if probe == "infinite-loop":
        return judge.judge_infinite_loop(name, runs, ctx)
    if probe == "memory-hog":
        return judge.judge_memory_hog(name, runs, ctx)
    if probe == "output-flood":
        return judge.judge_output_flood(name, runs, ctx)
    return judge.judge_reported(probe, name, runs)


def _same_for_all(
    probes: Sequence[str], language: str, verdict: Verdict, reason: str
) -> list[ProbeResult]:
    return [ProbeResult(p, language, verdict, reason) for p in probes if p != "server-health"]


def run_sandbox_pack(plan: PackPlan, *, clock: Callable[[], float] = time.monotonic) -> PackReport:
    """Run every enabled probe for every language against ``plan.base_url``."""
    origin = clock()
    deadline = origin + plan.max_wall_s
    local = is_local(plan.base_url)
    run_timeout = plan.expect.timeout_s + 15
    available = snippets_for(plan.languages, plan.snippet_dirs)
    results: list[ProbeResult] = []
    code_probes = [p for p in ORDER if p in plan.probes]
    with LoopbackListeners() as listeners:
        ctx = judge.JudgeContext(
            expect=plan.expect,
            local=local,
            reached=listeners.reached,
            host_files=host_file_digests() if local else {},
        )
        values = _values(plan, local, listeners)
        langs: list[_Language] = []
        clients = []
        for index, language in enumerate(plan.languages):
            if language not in available:
                reason = (
                    f"no probe programs for {language}: add snippets/{language}.toml "
                    "(see pytest_release/probes/sandbox/snippets/python.toml)"
                )
                results += _same_for_all(code_probes, language, Verdict.SKIPPED, reason)
                continue
            http = lane_client(
                plan.base_url,
                Lane.SANDBOX + index,
                enabled=plan.loopback_lanes,
                timeout=(run_timeout, 5.0),
            )
            clients.append(http)
            client = RunClient(http, plan.run_path, deadline, run_timeout, origin, clock)
            langs.append(_Language(language, client, available[language], values))
        health_client = lane_client(plan.base_url, Lane.SANDBOX, enabled=False)
        clients.append(health_client)
        try:
            monitor = HealthMonitor(health_client, plan.health_path, origin)
            with monitor, ThreadPoolExecutor(max_workers=max(1, plan.concurrency)) as pool:
                ready = []
                for lang, blocked in zip(langs, pool.map(_preflight, langs), strict=True):
                    if blocked is None:
                        ready.append(lang)
                    else:
                        results += _same_for_all(code_probes, lang.name, *blocked)
                jobs = [(lang, probe) for probe in code_probes for lang in ready]
                results += pool.map(lambda job: _probe(job[0], job[1], ctx, local), jobs)
            if "server-health" in plan.probes:
                results.append(monitor.result())
        finally:
            for http in clients:
                http.close()
    return PackReport(
        target=plan.base_url,
        endpoint=plan.run_path,
        languages=plan.languages,
        results=tuple(results),
        wall_s=clock() - origin,
    )
