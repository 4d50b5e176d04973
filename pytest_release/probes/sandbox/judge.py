"""Turning a probe's runs into a verdict: confined, escaped, or inconclusive, with the reason.

The programs report what they managed (``escapes``) and plain facts; the judgement lives
here, in one place for every language: which environment names look like secrets, how
many processes or megabytes are too many, whether a timeout came in time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_release.probes.sandbox.model import ProbeResult, RunRecord, Verdict
from pytest_release.sandbox_settings import Expectations

SECRET_NAME = re.compile(
    r"(_KEY$|^KEY$|_KEY_|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|DATABASE_URL|_DSN$"
    r"|^AWS_|API_?KEY)",
    re.IGNORECASE,
)
# Names that only the server's own environment has: seeing them means it was inherited.
HOST_MARKERS = frozenset(
    {
        "VIRTUAL_ENV",
        "PYTEST_CURRENT_TEST",
        "SSH_AUTH_SOCK",
        "SSH_CONNECTION",
        "KUBERNETES_SERVICE_HOST",
        "DBUS_SESSION_BUS_ADDRESS",
        "SUDO_USER",
    }
)
TIMEOUT_WORDS = re.compile(r"time|timed out|timeout|deadline|limit", re.IGNORECASE)
TIMEOUT_GRACE_S = 3.0  # kill, clean-up and the answer's way back
OUTPUT_SLACK_BYTES = 16 * 1024  # the target's own truncation notice and the probe's report
MIN_OVERLAP_S = 0.5


@dataclass(frozen=True, slots=True)
class JudgeContext:
    """What the judge needs besides the runs."""

    expect: Expectations = field(default_factory=Expectations)
    local: bool = True  # the target runs on this machine
    reached: Callable[[str], bool] = lambda token: False  # the loopback listeners' records
    host_files: Mapping[str, str] = field(default_factory=dict)  # path -> sha256 (first 64 KiB)


@dataclass(frozen=True, slots=True)
class Spec:
    """How a probe is described when it passes."""

    title: str
    confined: str
    fix: str


SPECS: Mapping[str, Spec] = {
    "read-etc-passwd": Spec(
        "host files such as /etc/passwd are not readable",
        "/etc/passwd, /etc/shadow and /etc/group of the host are out of reach",
        "show user code only the interpreter's files (e.g. bubblewrap --ro-bind /usr /usr, "
        "no host /etc)",
    ),
    "read-proc-environ": Spec(
        "no process environment in /proc shows secrets or the server's environment",
        "/proc shows only the run's own, clean environment",
        "run user code in its own PID namespace with a fresh /proc and a cleared environment",
    ),
    "read-app-files": Spec(
        "the app's own files and .env are not readable",
        "none of the app's files or directories could be read",
        "keep the application directory out of the sandbox's mount namespace",
    ),
    "write-outside-scratch": Spec(
        "nothing outside the scratch directory is writable",
        "every place outside the scratch directory refused a new file",
        "mount the root read-only and give each run a private tmpfs as its working directory",
    ),
    "list-processes": Spec(
        "the host's processes are invisible",
        "only the run's own processes are visible",
        "unshare the PID namespace and mount a fresh /proc (bwrap --unshare-pid --proc /proc)",
    ),
    "network-tcp": Spec(
        "no TCP connection can be opened, not even to loopback",
        "connections to the test machine's listener and to the server itself failed",
        "give runs their own network namespace (bwrap --unshare-net) or drop their traffic",
    ),
    "network-dns": Spec(
        "no DNS query gets out",
        "a DNS query to the test machine's resolver got no answer",
        "give runs their own network namespace (bwrap --unshare-net); DNS is a way out too",
    ),
    "env-secrets": Spec(
        "the environment carries no secrets",
        "the environment holds no names like *_KEY, *_SECRET, *TOKEN*, DATABASE_URL",
        "start user code with a cleared environment (bwrap --clearenv, env -i) and pass only "
        "PATH, HOME and LANG",
    ),
    "fork-bomb": Spec(
        "a fork bomb is bounded",
        "process creation stopped below the limit",
        "limit processes per run (RLIMIT_NPROC via prlimit, or a pids cgroup)",
    ),
    "infinite-loop": Spec(
        "an endless loop is stopped in time with a timeout error",
        "stopped within the time limit with a timeout error",
        "kill runs at the wall-clock limit and answer with an error that says it timed out",
    ),
    "memory-hog": Spec(
        "a memory hog is stopped at the memory limit",
        "stopped before the memory limit",
        "cap memory per run (RLIMIT_AS via prlimit, or a memory cgroup)",
    ),
    "output-flood": Spec(
        "an output flood is truncated",
        "output was cut at the limit",
        "cap captured output and stop the program when it goes over",
    ),
    "persistence": Spec(
        "a file written in one run is gone in the next",
        "the next run found none of the files the first one wrote",
        "give every run a fresh scratch directory and remove it afterwards",
    ),
    "concurrent-runs": Spec(
        "two runs at the same time cannot see each other",
        "neither run saw the other's files or socket",
        "separate concurrent runs: own scratch directory, mount, PID and network namespaces",
    ),
    "server-health": Spec(
        "the server keeps answering health checks while the probes run",
        "every health check was answered",
        "run user code outside the web server's process, with bounded concurrency",
    ),
}


def _result(
    probe: str,
    language: str,
    runs: Sequence[RunRecord],
    *,
    escapes: Sequence[str] = (),
    facts: Mapping[str, Any] | None = None,
    inconclusive: str | None = None,
    confined: str | None = None,
) -> ProbeResult:
    if escapes:
        more = f" (+{len(escapes) - 1} more)" if len(escapes) > 1 else ""
        verdict, summary = Verdict.ESCAPED, f"{escapes[0]}{more}"
    elif inconclusive:
        verdict, summary = Verdict.INCONCLUSIVE, inconclusive
    else:
        verdict, summary = Verdict.CONFINED, confined or SPECS[probe].confined
    return ProbeResult(
        probe=probe,
        language=language,
        verdict=verdict,
        summary=summary,
        escapes=tuple(escapes),
        runs=tuple(runs),
        facts=dict(facts or {}),
    )


def _reports(runs: Sequence[RunRecord]) -> tuple[list[Mapping[str, Any]], str | None]:
    """Each run's report, or the first reason one is missing."""
    reports: list[Mapping[str, Any]] = []
    for run in runs:
        problem = run.problem()
        if problem:
            return reports, problem
        report = run.report()
        if report is None:
            detail = run.error or f"exit code {run.exit_code}, no report line"
            return reports, f"the probe program did not finish: {detail}"
        reports.append(report)
    return reports, None


def _facts(report: Mapping[str, Any]) -> Mapping[str, Any]:
    facts = report.get("facts")
    return facts if isinstance(facts, Mapping) else {}


def _escapes(report: Mapping[str, Any]) -> list[str]:
    escapes = report.get("escapes")
    return [str(e) for e in escapes] if isinstance(escapes, list) else []


def _names(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def judge_reported(probe: str, language: str, runs: Sequence[RunRecord]) -> ProbeResult:
    """Probes whose programs name their own escapes (files, writes, processes, ...)."""
    reports, missing = _reports(runs)
    escapes = [e for report in reports for e in _escapes(report)]
    facts = {k: v for report in reports for k, v in _facts(report).items()}
    return _result(probe, language, runs, escapes=escapes, facts=facts, inconclusive=missing)


def judge_etc_passwd(language: str, runs: Sequence[RunRecord], ctx: JudgeContext) -> ProbeResult:
    """A host file read counts; on a local target an /etc/passwd of the sandbox's own does not."""
    reports, missing = _reports(runs)
    if missing:
        return _result("read-etc-passwd", language, runs, inconclusive=missing)
    facts = dict(_facts(reports[0]))
    escapes = []
    for escape in _escapes(reports[0]):
        path = escape.removeprefix("read ").split(" (", 1)[0]
        seen = facts.get(path)
        digest = seen.get("sha256") if isinstance(seen, Mapping) else None
        if ctx.local and path in ctx.host_files and digest != ctx.host_files[path]:
            facts[f"{path} (note)"] = "the sandbox has its own copy, not the host's"
            continue
        escapes.append(escape)
    return _result("read-etc-passwd", language, runs, escapes=escapes, facts=facts)


def judge_proc_environ(language: str, runs: Sequence[RunRecord]) -> ProbeResult:
    """Another process's environment, or any secret-looking name in one, is an escape."""
    reports, missing = _reports(runs)
    if missing:
        return _result("read-proc-environ", language, runs, inconclusive=missing)
    facts = _facts(reports[0])
    own = set(_names(facts.get("own")))
    environs = facts.get("environs")
    escapes: list[str] = []
    for path, value in environs.items() if isinstance(environs, Mapping) else []:
        names = _names(value)
        secrets = sorted(n for n in names if SECRET_NAME.search(n))
        if path != "/proc/self/environ" and set(names) - own:
            escapes.append(
                f"read another process's environment {path} ({len(names)} variables, "
                f"e.g. {', '.join(sorted(set(names) - own)[:4])})"
            )
        if secrets:
            escapes.append(f"{path} shows variables named like secrets: {', '.join(secrets[:6])}")
    return _result("read-proc-environ", language, runs, escapes=escapes, facts=facts)


def judge_env(language: str, runs: Sequence[RunRecord]) -> ProbeResult:
    """Secret-looking names, or names only the server's environment has."""
    reports, missing = _reports(runs)
    if missing:
        return _result("env-secrets", language, runs, inconclusive=missing)
    names = _names(_facts(reports[0]).get("names"))
    escapes = []
    secrets = sorted(n for n in names if SECRET_NAME.search(n))
    if secrets:
        escapes.append(f"user code sees variables named like secrets: {', '.join(secrets[:6])}")
    inherited = sorted(HOST_MARKERS.intersection(names))
    if inherited:
        escapes.append(f"user code inherits the server's environment (e.g. {inherited[0]})")
    return _result("env-secrets", language, runs, escapes=escapes, facts={"names": names})


def judge_app_files(language: str, runs: Sequence[RunRecord]) -> ProbeResult:
    """Any app file read is an escape; an environment file's secret names are named too."""
    result = judge_reported("read-app-files", language, runs)
    env_files = result.facts.get("env_names")
    extra = []
    for path, names in env_files.items() if isinstance(env_files, Mapping) else []:
        secrets = sorted(n for n in _names(names) if SECRET_NAME.search(n))
        if secrets:
            extra.append(
                f"the app's environment file {path} shows variables named like secrets: "
                f"{', '.join(secrets[:6])}"
            )
    if not extra:
        return result
    return _result(
        "read-app-files", language, runs, escapes=[*extra, *result.escapes], facts=result.facts
    )


def judge_network(
    probe: str, language: str, runs: Sequence[RunRecord], token: str, ctx: JudgeContext
) -> ProbeResult:
    """The program's own report, confirmed (or contradicted) by the listeners."""
    result = judge_reported(probe, language, runs)
    if ctx.reached(token) and result.verdict is not Verdict.ESCAPED:
        where = "TCP listener" if probe == "network-tcp" else "DNS responder"
        escape = f"the test machine's loopback {where} was reached from inside the sandbox"
        return _result(probe, language, runs, escapes=[escape], facts=result.facts)
    return result


def _stopped_by_limit(run: RunRecord) -> bool:
    """The run ended through a limit: a timeout, a signal, an error."""
    return bool(run.answer.get("timed_out")) or run.error is not None or (run.exit_code or 0) != 0


def judge_fork_bomb(language: str, runs: Sequence[RunRecord], ctx: JudgeContext) -> ProbeResult:
    run = runs[0]
    if run.problem():
        return _result("fork-bomb", language, runs, inconclusive=run.problem())
    report = run.report()
    limit = ctx.expect.processes
    if report is None:
        if _stopped_by_limit(run):
            return _result("fork-bomb", language, runs, confined=f"stopped: {run.error}")
        return _result("fork-bomb", language, runs, inconclusive="no report and no error")
    facts = _facts(report)
    started = facts.get("started")
    if isinstance(started, int) and started > limit:
        escape = f"started {started} processes (limit {limit})"
        return _result("fork-bomb", language, runs, escapes=[escape], facts=facts)
    stopped = facts.get("stopped_by") or "the cap"
    confined = f"stopped after {started} processes (limit {limit}): {stopped}"
    return _result("fork-bomb", language, runs, facts=facts, confined=confined)


def judge_infinite_loop(language: str, runs: Sequence[RunRecord], ctx: JudgeContext) -> ProbeResult:
    run = runs[0]
    if run.problem():
        return _result("infinite-loop", language, runs, inconclusive=run.problem())
    report = run.report()
    if report is not None:
        return _result("infinite-loop", language, runs, escapes=_escapes(report))
    took = (run.server_ms / 1000) if run.server_ms is not None else run.elapsed_s
    limit = ctx.expect.timeout_s
    facts = {"ran_s": round(took, 2), "limit_s": limit, "error": run.error}
    if took > limit + TIMEOUT_GRACE_S:
        escape = f"ran for {took:.1f} s before being stopped (limit {limit:g} s)"
        return _result("infinite-loop", language, runs, escapes=[escape], facts=facts)
    if run.error is None or not TIMEOUT_WORDS.search(run.error):
        escape = f"stopped after {took:.1f} s without an error saying it timed out ({run.error!r})"
        return _result("infinite-loop", language, runs, escapes=[escape], facts=facts)
    confined = f"stopped after {took:.1f} s (limit {limit:g} s): {run.error}"
    return _result("infinite-loop", language, runs, facts=facts, confined=confined)


def judge_memory_hog(language: str, runs: Sequence[RunRecord], ctx: JudgeContext) -> ProbeResult:
    run = runs[0]
    if run.problem():
        return _result("memory-hog", language, runs, inconclusive=run.problem())
    report = run.report()
    facts = dict(_facts(report)) if report else {}
    allocated = facts.get("allocated_mb")
    reached = max(run.progress() or 0, allocated if isinstance(allocated, int) else 0)
    limit = ctx.expect.memory_mb
    facts.update({"reached_mb": reached, "limit_mb": limit})
    if reached > limit:
        escape = f"allocated {reached} MB (limit {limit} MB)"
        return _result("memory-hog", language, runs, escapes=[escape], facts=facts)
    if report is not None:
        stopped = facts.get("stopped_by") or "no error"
        confined = f"stopped at about {reached} MB (limit {limit} MB): {stopped}"
        return _result("memory-hog", language, runs, facts=facts, confined=confined)
    if _stopped_by_limit(run):
        confined = f"stopped at about {reached} MB (limit {limit} MB): {run.error}"
        return _result("memory-hog", language, runs, facts=facts, confined=confined)
    return _result("memory-hog", language, runs, facts=facts, inconclusive="no report, no error")


def judge_output_flood(language: str, runs: Sequence[RunRecord], ctx: JudgeContext) -> ProbeResult:
    run = runs[0]
    if run.problem():
        return _result("output-flood", language, runs, inconclusive=run.problem())
    size = len(run.output.encode("utf-8", "replace"))
    limit = ctx.expect.output_kb * 1024
    facts = {"returned_bytes": size, "limit_bytes": limit, "error": run.error}
    if size > limit + OUTPUT_SLACK_BYTES:
        escape = f"returned {size // 1024} KB of output (limit {ctx.expect.output_kb} KB)"
        return _result("output-flood", language, runs, escapes=[escape], facts=facts)
    confined = f"output cut at {size // 1024} KB (limit {ctx.expect.output_kb} KB)"
    if run.error:
        confined += f": {run.error}"
    return _result("output-flood", language, runs, facts=facts, confined=confined)


def judge_concurrent(language: str, runs: Sequence[RunRecord]) -> ProbeResult:
    """Either run seeing the other is an escape; runs that never overlapped prove nothing."""
    result = judge_reported("concurrent-runs", language, runs)
    if result.verdict is not Verdict.CONFINED:
        return result
    spans = []
    for run in runs:
        end = run.started_s + run.elapsed_s
        spans.append((end - (run.server_ms or 0) / 1000, end))
    overlap = min(end for _, end in spans) - max(start for start, _ in spans)
    facts = {**result.facts, "overlap_s": round(overlap, 2)}
    if overlap < MIN_OVERLAP_S:
        reason = f"the two runs overlapped only {max(overlap, 0):.1f} s; the target queued one"
        return _result("concurrent-runs", language, runs, facts=facts, inconclusive=reason)
    return _result("concurrent-runs", language, runs, facts=facts)
