"""Values of the code-execution sandbox: its limits, its result, and what a limit breach means.

Kept apart from the mechanism (``sandbox.py``) so the web app, the benchmarks and the tests can
build and read these values without knowing how the isolation works.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

__all__ = [
    "EXIT_BUSY",
    "EXIT_OUTPUT_LIMIT",
    "EXIT_SANDBOX_ERROR",
    "EXIT_TIMEOUT",
    "Limits",
    "RunResult",
    "describe_signal",
    "format_seconds",
    "memory_message",
    "prlimit_options",
    "timeout_message",
]

# Exit codes the sandbox itself reports. They follow conventions people already know, so a
# number in a log means something without reading this file.
EXIT_TIMEOUT = 124  # coreutils timeout(1): the command ran out of time
EXIT_SANDBOX_ERROR = 125  # timeout(1)/docker: the wrapper failed, not the user's program
EXIT_BUSY = 75  # sysexits EX_TEMPFAIL: nothing ran; try again later
EXIT_OUTPUT_LIMIT = 128 + signal.SIGKILL  # the shell's "killed": we stopped an output flood


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits of one execution, plus how many executions may run at once."""

    cpu_seconds: int = 2
    wall_seconds: float = 5.0
    memory_mb: int = 256
    processes: int = 32
    file_size_kb: int = 1024
    open_files: int = 64
    output_bytes: int = 65536
    concurrency: int = 4

    def __post_init__(self) -> None:
        # A zero or negative limit would either forbid everything (the interpreter cannot start)
        # or be read by prlimit as "unlimited"; both are configuration mistakes worth a clear stop.
        for name in (
            "cpu_seconds",
            "wall_seconds",
            "memory_mb",
            "processes",
            "file_size_kb",
            "open_files",
            "output_bytes",
            "concurrency",
        ):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"sandbox limit {name} must be greater than 0, got {value!r}")
        if self.memory_mb < 32:
            raise ValueError(
                f"sandbox limit memory_mb={self.memory_mb} is too small for an interpreter to "
                "start; use 32 or more"
            )
        if self.open_files < 8:
            raise ValueError(
                f"sandbox limit open_files={self.open_files} is too small for an interpreter to "
                "start; use 8 or more"
            )

    @property
    def memory_bytes(self) -> int:
        """Address-space limit of each sandboxed process, in bytes."""
        return self.memory_mb * 1024 * 1024

    @property
    def file_size_bytes(self) -> int:
        """Largest file a sandboxed process may write, in bytes."""
        return self.file_size_kb * 1024

    @property
    def scratch_bytes(self) -> int:
        """Size of the private scratch tmpfs: room for a handful of maximal files.

        Without a size the tmpfs could grow to half the machine's RAM, one small file at a time.
        """
        return max(8 * self.file_size_bytes, 4 * 1024 * 1024)

    @property
    def queue_seconds(self) -> float:
        """How long a run waits for a free slot before it is told the sandbox is busy.

        At most half a run's wall-clock limit, so a queue behind programs that all use their full
        time fails fast instead of piling up, and never more than a second, so a person clicking
        "Run" gets an answer quickly.
        """
        return min(1.0, self.wall_seconds / 2)


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one execution produced, in the shape of the ``/api/run`` response."""

    output: str
    error: str | None
    exit_code: int
    duration_ms: float
    timed_out: bool = False
    truncated: bool = False


def format_seconds(seconds: float) -> str:
    """``5.0`` → ``"5 s"``, ``0.5`` → ``"0.5 s"``: how a person writes a duration."""
    return f"{seconds:g} s"


def timeout_message(limits: Limits, *, cpu: bool) -> str:
    """The error a user sees when the program ran out of wall-clock or CPU time."""
    if cpu:
        return (
            f"Execution timed out after {format_seconds(limits.cpu_seconds)} of CPU time "
            "(limit); look for an endless loop"
        )
    return (
        f"Execution timed out after {format_seconds(limits.wall_seconds)} (limit); "
        "look for an endless loop or a long sleep"
    )


def memory_message(limits: Limits, detail: str | None = None) -> str:
    """The error a user sees when the program needed more memory than it may use."""
    message = f"Memory limit exceeded ({limits.memory_mb} MB)"
    return f"{message}: {detail}" if detail else message


def describe_signal(signum: int, limits: Limits) -> tuple[str, bool]:
    """Explain a program killed by ``signum``; the flag says whether it counts as a timeout."""
    if signum == signal.SIGXCPU:
        return timeout_message(limits, cpu=True), True
    if signum == signal.SIGXFSZ:
        return f"File size limit exceeded ({limits.file_size_kb} KB per file)", False
    if signum == signal.SIGKILL:
        # Nobody but the kernel sends SIGKILL inside the sandbox: the hard CPU limit or the
        # out-of-memory killer. The CPU case is by far the likelier one.
        return (
            f"Killed: the program exceeded the CPU ({format_seconds(limits.cpu_seconds)}) or "
            f"memory ({limits.memory_mb} MB) limit",
            False,
        )
    if signum in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
        name = signal.Signals(signum).name
        return (
            f"The program crashed ({name}); running out of memory "
            f"(limit {limits.memory_mb} MB) is a common cause",
            False,
        )
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    return f"The program was terminated by {name}", False


def prlimit_options(limits: Limits, *, processes: int | None = None) -> list[str]:
    """``prlimit(1)`` options that apply ``limits`` to the command it runs.

    Soft and hard limits are equal (so the program cannot raise them back) except for CPU time,
    where the soft limit sends SIGXCPU, which we can name, one second before the hard SIGKILL.
    ``processes`` overrides the process count when the caller must add headroom for processes
    that already exist under the same user.
    """
    nproc = limits.processes if processes is None else processes
    return [
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        f"--as={limits.memory_bytes}",
        f"--nproc={nproc}",
        f"--fsize={limits.file_size_bytes}",
        f"--nofile={limits.open_files}",
        "--core=0",  # a core dump of a memory hog would fill the scratch dir for nothing
        "--memlock=0",
    ]
