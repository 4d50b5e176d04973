"""What the request handlers share: settings, the code runner, database, cache, metrics.

The code runner is injected (``create_app(settings, runner)``): in production it is the
bubblewrap ``Sandbox``; anything with ``languages`` and ``async run(code, language)``
works, which keeps the web app independent of how isolation is done.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from pytest_release.reference.cache import CacheChoice
from pytest_release.reference.db import Database
from pytest_release.reference.maintenance import MaintenanceMonitor
from pytest_release.reference.metrics import Metrics
from pytest_release.reference.ratelimit import RateLimiter
from pytest_release.reference.settings import ReferenceSettings


class RunOutcome(Protocol):
    """The result of one execution (the Sandbox's RunResult has these fields)."""

    @property
    def output(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def exit_code(self) -> int: ...
    @property
    def duration_ms(self) -> float: ...
    @property
    def timed_out(self) -> bool: ...
    @property
    def truncated(self) -> bool: ...


class CodeRunner(Protocol):
    """Runs user code somewhere safe; unknown languages raise ValueError."""

    @property
    def languages(self) -> tuple[str, ...]: ...

    async def run(self, code: str, language: str) -> RunOutcome: ...


@runtime_checkable
class SelfTesting(Protocol):
    """A runner that can check its own isolation (None means it works)."""

    def self_test(self) -> str | None: ...


@dataclass(slots=True)
class SandboxCheck:
    """The last sandbox self-test: ok, what it said, when."""

    ok: bool = False
    detail: str = "not checked yet"
    checked_at: float = field(default_factory=time.time)


@dataclass(slots=True)
class AppContext:
    """Long-lived objects of one app instance (mutable only where the app must update)."""

    settings: ReferenceSettings
    runner: CodeRunner
    database: Database
    cache: CacheChoice
    limiter: RateLimiter | None
    metrics: Metrics
    maintenance: MaintenanceMonitor
    mechanism: str = "unknown"
    sandbox_check: SandboxCheck = field(default_factory=SandboxCheck)
    started_at: float = field(default_factory=time.time)


def check_sandbox(runner: CodeRunner) -> SandboxCheck:
    """Run the runner's self-test (blocking); a runner without one is taken at its word."""
    if not isinstance(runner, SelfTesting):
        return SandboxCheck(True, "the code runner has no self-test")
    try:
        problem = runner.self_test()
    except Exception as exc:  # a crashing self-test is a failed self-test, with its reason
        return SandboxCheck(False, f"self-test crashed: {type(exc).__name__}: {exc}")
    return SandboxCheck(problem is None, problem or "isolation works")
