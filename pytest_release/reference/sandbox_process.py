"""Supervising one sandboxed process: start it, cap its output, kill it on time, collect it.

Knows nothing about bubblewrap or languages: it runs an argv and reports what happened as a
``Finished`` value, which ``sandbox_result.py`` turns into the user-facing ``RunResult``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Finished", "memfd_with", "supervise", "tasks_of_user"]

_DRAIN_SECONDS = 1.0  # after a kill, how long to collect what the pipes still hold
_READ_SIZE = 65536


@dataclass(frozen=True, slots=True)
class Finished:
    """What a supervised process left behind."""

    stdout: str
    stderr: str
    returncode: int  # 128 + N when killed by signal N (bubblewrap's and the shell's convention)
    duration_ms: float
    timed_out: bool  # we killed it at the wall-clock limit
    truncated: bool  # we killed it because its output exceeded the cap


async def supervise(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: str | None,
    pass_fds: tuple[int, ...],
    run_as: int | None,
    wall_seconds: float,
    output_bytes: int,
) -> Finished:
    """Run ``argv`` in its own process group within ``wall_seconds`` and ``output_bytes``.

    ``run_as`` is the uid and gid to switch to (None keeps ours). stdout and stderr share one
    output budget; the first byte over it stops the program. Cancelling the caller kills it too.
    """
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        pass_fds=pass_fds,
        start_new_session=True,  # one process group to kill, whatever the code spawns
        user=run_as,
        group=run_as,
        extra_groups=[] if run_as is not None else None,
    )
    assert proc.stdout is not None  # we asked for pipes
    assert proc.stderr is not None

    def kill() -> None:
        # Killing bubblewrap's group kills the sandbox's PID 1 (--die-with-parent), and the
        # kernel then kills everything else in that PID namespace.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()

    budget = _Budget(output_bytes, on_overflow=kill)
    stdout: list[bytes] = []
    stderr: list[bytes] = []
    pumps: asyncio.Future[Any] = asyncio.ensure_future(
        asyncio.gather(_pump(proc.stdout, stdout, budget), _pump(proc.stderr, stderr, budget))
    )
    exited: asyncio.Future[Any] = asyncio.ensure_future(proc.wait())
    try:
        await asyncio.wait({pumps, exited}, timeout=wall_seconds)
        duration_ms = (time.perf_counter() - started) * 1000
        timed_out = not exited.done()
        if not (pumps.done() and exited.done()):
            kill()  # out of time, or (without bwrap) a background child still holds the pipes
            await asyncio.wait({pumps, exited}, timeout=_DRAIN_SECONDS)
    finally:
        if proc.returncode is None:
            kill()  # the caller was cancelled: leave nothing running
        pumps.cancel()
        exited.cancel()
    returncode = proc.returncode if proc.returncode is not None else -signal.SIGKILL
    if returncode < 0:  # asyncio says -N for "killed by signal N"; bubblewrap says 128 + N
        returncode = 128 - returncode
    return Finished(
        stdout=b"".join(stdout).decode("utf-8", errors="replace"),
        stderr=b"".join(stderr).decode("utf-8", errors="replace"),
        returncode=returncode,
        duration_ms=duration_ms,
        timed_out=timed_out,
        truncated=budget.truncated,
    )


class _Budget:
    """The output bytes still allowed, shared by stdout and stderr of one run."""

    __slots__ = ("on_overflow", "remaining", "truncated")

    def __init__(self, limit: int, *, on_overflow: Callable[[], None]) -> None:
        self.remaining = limit
        self.truncated = False
        self.on_overflow = on_overflow

    def take(self, chunk: bytes) -> bytes:
        """The part of ``chunk`` that fits; the first overflow stops the program."""
        kept = chunk[: self.remaining]
        self.remaining -= len(kept)
        if len(kept) < len(chunk) and not self.truncated:
            self.truncated = True
            self.on_overflow()  # stop the flood now rather than burn CPU until the timeout
        return kept


async def _pump(stream: asyncio.StreamReader, sink: list[bytes], budget: _Budget) -> None:
    # Keep reading after the budget is spent so a killed program's pipe drains to EOF.
    while chunk := await stream.read(_READ_SIZE):
        if kept := budget.take(chunk):
            sink.append(kept)


def memfd_with(text: str) -> int:
    """An anonymous in-memory file holding ``text``, positioned at its start.

    bubblewrap copies the user's code from it into the sandbox, so no host path ever holds it.
    The caller closes it.
    """
    fd = os.memfd_create("sandbox-code", os.MFD_CLOEXEC)
    data = text.encode("utf-8", errors="replace")  # lone surrogates from JSON must not crash us
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def tasks_of_user(uid: int) -> int:
    """Processes and threads owned by ``uid``: what RLIMIT_NPROC counts against its limit."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                count += len(os.listdir(f"/proc/{entry.name}/task"))
        except OSError:
            continue  # the process ended while we looked
    return count
