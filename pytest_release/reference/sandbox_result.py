"""Turning what a sandboxed process left behind into the ``RunResult`` a person reads.

The rules, in order: our own kills (timeout, output flood) explain themselves; a failure of
bubblewrap is the server's problem and is logged, not shown; the language's error (last line of
the traceback, PHP's fatal error) beats a bare signal; a bare signal is named with the limit that
most likely sent it; anything else is the exit status.
"""

from __future__ import annotations

import logging
import signal

from pytest_release.reference.languages import Failure, Language
from pytest_release.reference.sandbox_limits import (
    EXIT_BUSY,
    EXIT_OUTPUT_LIMIT,
    EXIT_SANDBOX_ERROR,
    EXIT_TIMEOUT,
    Limits,
    RunResult,
    describe_signal,
    timeout_message,
)
from pytest_release.reference.sandbox_process import Finished

__all__ = ["busy", "interpret", "sandbox_failed"]

log = logging.getLogger("pytest_release.reference.sandbox")


def busy(limits: Limits, waited_ms: float) -> RunResult:
    """The answer when every slot stayed taken for the whole queueing time."""
    return RunResult(
        output="",
        error=(
            f"The sandbox is busy: {limits.concurrency} programs are already running (limit); "
            "try again in a few seconds"
        ),
        exit_code=EXIT_BUSY,
        duration_ms=waited_ms,
    )


def sandbox_failed(duration_ms: float) -> RunResult:
    """The answer when the sandbox, not the user's code, failed; the details go to the log."""
    return RunResult(
        output="",
        error="The sandbox failed to start; the server log says why",
        exit_code=EXIT_SANDBOX_ERROR,
        duration_ms=duration_ms,
    )


def interpret(
    done: Finished, *, lang: Language, script: str, limits: Limits, sandboxed: bool
) -> RunResult:
    """The user-facing result of one finished run of ``script``."""
    rc = done.returncode
    if sandboxed and rc == 1 and not done.stdout and done.stderr.startswith("bwrap: "):
        # bubblewrap's own complaint is about the server, not the user's code.
        log.error("sandbox failed to start: %s", done.stderr.strip())
        return sandbox_failed(done.duration_ms)
    if rc == 0:
        failure = Failure(kept=done.stderr.replace(script, lang.filename), error=None)
    else:
        failure = lang.explain(done.stderr, script, limits)
    output = _join(done.stdout, failure.kept)
    if done.truncated:
        output += f"\n[output truncated at {limits.output_bytes} bytes (limit)]"
    error: str | None = None
    exit_code = rc
    timed_out = done.timed_out
    if done.timed_out:
        error, exit_code = timeout_message(limits, cpu=False), EXIT_TIMEOUT
    elif done.truncated:
        error = (
            f"Output limit exceeded: the program printed more than {limits.output_bytes} bytes "
            "(limit) and was stopped"
        )
        exit_code = EXIT_OUTPUT_LIMIT
    elif 128 < rc <= 128 + signal.SIGRTMAX and failure.error is None:
        error, timed_out = describe_signal(rc - 128, limits)
        if timed_out:  # the CPU limit is a timeout too, from the user's point of view
            exit_code = EXIT_TIMEOUT
    elif rc:
        printed = [line for line in failure.kept.splitlines() if line.strip()]
        error = failure.error or (printed[-1] if printed else None)
        error = error or f"The program exited with status {rc}"
    return RunResult(
        output=output,
        error=error,
        exit_code=exit_code,
        duration_ms=done.duration_ms,
        timed_out=timed_out,
        truncated=done.truncated,
    )


def _join(stdout: str, stderr: str) -> str:
    # stdout first, then what the program printed to stderr: their interleaving is lost in two
    # pipes, and stdout is what the example is about.
    if stdout and stderr and not stdout.endswith("\n"):
        return f"{stdout}\n{stderr}"
    return stdout + stderr
