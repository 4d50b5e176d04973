"""The code-execution sandbox of the reference deployment: user code in a bubblewrap jail.

Every run gets fresh Linux namespaces (user, PID, mount, network, IPC, UTS, cgroup) from
bubblewrap: a read-only view of /usr and the few /etc files the interpreter needs, a fresh /proc
and minimal /dev, a private size-limited tmpfs as working directory, no network at all (not even
the host's loopback), an empty environment, an unprivileged uid, and rlimits (CPU, address space,
processes, file size, open files) set by ``prlimit`` just before the interpreter starts. The
server adds a wall-clock timeout that kills the whole sandbox, an output cap, and a cap on
concurrent runs. Nothing of a run survives it: the tmpfs dies with the mount namespace.

As root, bubblewrap is started as ``nobody`` (uid 65534) rather than root: the kernel exempts
root's processes from RLIMIT_NPROC, so a fork bomb would only be bounded that way. Process counts
are then kept per sandbox by the kernel (per user namespace), so one run's fork bomb does not use
up the budget of the runs beside it.

``insecure=True`` runs the interpreter directly, with the same rlimits, timeout and output cap but
without any isolation; it exists for machines where namespaces are unavailable and is announced
by ``mechanism``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest_release
from pytest_release.reference.languages import PYTHON, Language, installed_languages
from pytest_release.reference.sandbox_limits import (
    EXIT_BUSY,
    EXIT_OUTPUT_LIMIT,
    EXIT_SANDBOX_ERROR,
    EXIT_TIMEOUT,
    Limits,
    RunResult,
    prlimit_options,
)
from pytest_release.reference.sandbox_process import memfd_with, supervise, tasks_of_user
from pytest_release.reference.sandbox_result import busy, interpret, sandbox_failed

__all__ = [
    "EXIT_BUSY",
    "EXIT_OUTPUT_LIMIT",
    "EXIT_SANDBOX_ERROR",
    "EXIT_TIMEOUT",
    "FAULTS",
    "Limits",
    "RunResult",
    "Sandbox",
    "SandboxUnavailable",
]

log = logging.getLogger(__name__)

BWRAP = "/usr/bin/bwrap"
PRLIMIT = "/usr/bin/prlimit"
SANDBOX_UID = 65534  # "nobody": owns no files the sandbox could reach
SCRATCH = "/tmp"  # the private tmpfs inside the sandbox, also the working directory
# With the host's / bound in (fault sandbox-host-files) a tmpfs on /tmp would hide the
# host's /tmp, and with it an app that happens to live there; /dev/shm hides nothing.
SCRATCH_OVER_HOST_ROOT = "/dev/shm"

#: The fault switches this module understands, with what each one breaks. Other switches in the
#: set handed to ``Sandbox`` belong to other components and are ignored here.
FAULTS: dict[str, str] = {
    "sandbox-host-files": (
        "the sandbox sees the host's whole filesystem (read-only): code can read /etc/passwd "
        "and the app's own source"
    ),
    "sandbox-network": (
        "the sandbox shares the host's network namespace: code can open connections, "
        "loopback included"
    ),
    "sandbox-env-leak": (
        "the sandbox inherits the server's environment: code can read its secrets"
    ),
}

_MECHANISM_BWRAP = "bubblewrap"
_MECHANISM_INSECURE = "insecure (no isolation)"
_DEFAULT_LIMITS = Limits()
_LEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
_TOP_LEVEL_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime")  # faster library loading; local time
_NETWORK_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf")
_SELF_TEST_TTL = 10.0  # /healthz may poll often; one sandbox start per 10 s is plenty
_SELF_TEST_CODE = """\
import os
problems = []
if os.getpid() > 16:
    problems.append("the process is not in a private PID namespace")
if os.geteuid() == 0:
    problems.append("the process runs as root")
try:
    open("/self-test", "w")
except OSError:
    pass
else:
    problems.append("the root filesystem is writable")
try:
    with open("self-test", "w") as f:
        f.write("ok")
except OSError as exc:
    problems.append(f"the scratch directory is not writable ({exc})")
print("; ".join(problems) or "ok")
"""


class SandboxUnavailable(RuntimeError):
    """Code cannot be run safely on this machine; the message says what to install or change."""


class Sandbox:
    """Runs untrusted Python/PHP snippets, one fresh jail per run, a few at a time."""

    __slots__ = (
        "_faults",
        "_hidden",
        "_insecure",
        "_languages",
        "_limits",
        "_run_as",
        "_self_test_at",
        "_self_test_result",
        "_slots",
        "_slots_loop",
    )

    def __init__(
        self,
        limits: Limits = _DEFAULT_LIMITS,
        *,
        insecure: bool = False,
        faults: frozenset[str] = frozenset(),
    ) -> None:
        self._limits = limits
        self._insecure = insecure
        self._faults = frozenset(faults) & FAULTS.keys()
        self._languages = _usable_languages(limits)
        # As root, start bubblewrap as nobody: RLIMIT_NPROC does not apply to root's processes.
        # The host-files fault is the classic mistake of a sandbox that runs as the server's own
        # user over the host's files, so it also reads what only that user may read.
        as_nobody = os.geteuid() == 0 and "sandbox-host-files" not in self._faults
        self._run_as: int | None = SANDBOX_UID if as_nobody else None
        self._hidden = _paths_to_hide()
        self._slots: asyncio.Semaphore | None = None
        self._slots_loop: asyncio.AbstractEventLoop | None = None
        self._self_test_at = float("-inf")
        self._self_test_result: str | None = None
        missing = _missing_tools(insecure=insecure, languages=self._languages)
        if missing:
            raise SandboxUnavailable(missing)
        if not insecure:
            reason = self.self_test()
            if reason is not None:
                raise SandboxUnavailable(_broken_bwrap_message(reason))

    @property
    def limits(self) -> Limits:
        """The limits every run gets."""
        return self._limits

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages this machine can run: "python" always, "php" when php-cli is installed.

        A language whose interpreter cannot start within ``limits.memory_mb`` is left out (and
        the reason logged): PHP needs 96 MB of address space.
        """
        return tuple(self._languages)

    @property
    def mechanism(self) -> str:
        """How runs are isolated, for /healthz and the page banner."""
        return _MECHANISM_INSECURE if self._insecure else _MECHANISM_BWRAP

    def self_test(self) -> str | None:
        """None when isolation works, else the reason; cached for a few seconds (for /healthz).

        It starts one real sandbox and checks the mechanism itself: private PID namespace,
        unprivileged user, read-only root, writable scratch. It deliberately does not look for
        the defects the fault switches inject, so a fault shows up only in the checks named for
        it. Blocks for one sandbox start (tens of milliseconds) at most every few seconds.
        """
        if self._insecure:
            return (
                "code runs without isolation: the server was started with --insecure-sandbox; "
                "install bubblewrap and restart without it"
            )
        now = time.monotonic()
        if now - self._self_test_at < _SELF_TEST_TTL:
            return self._self_test_result
        self._self_test_result = self._probe()
        self._self_test_at = now
        return self._self_test_result

    async def run(self, code: str, language: str) -> RunResult:
        """Run ``code`` in a fresh sandbox; never blocks the event loop.

        Raises ValueError for a language this machine cannot run. Every other outcome, including
        "busy", timeouts and limit breaches, is a RunResult whose ``error`` a person can read.
        """
        lang = self._languages.get(language)
        if lang is None:
            raise ValueError(
                f"unknown language {language!r}: this server runs {', '.join(self.languages)}"
            )
        slots = self._slots_of_running_loop()
        queued = time.perf_counter()
        try:
            async with asyncio.timeout(self._limits.queue_seconds):
                await slots.acquire()
        except TimeoutError:
            return busy(self._limits, (time.perf_counter() - queued) * 1000)
        try:
            if self._insecure:
                return await self._run_insecure(lang, code)
            return await self._run_bwrap(lang, code)
        except OSError:
            # Could not even start the process (out of PIDs or memory on the host, a binary
            # removed under our feet): the server's problem, so log it and answer plainly.
            log.exception("could not start a %s sandbox", language)
            return sandbox_failed((time.perf_counter() - queued) * 1000)
        finally:
            slots.release()

    # --- running ------------------------------------------------------------------------

    def _slots_of_running_loop(self) -> asyncio.Semaphore:
        # An asyncio.Semaphore belongs to the loop that first waits on it; tests and scripts that
        # call asyncio.run() repeatedly would otherwise trip over a dead loop's semaphore.
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots_loop is not loop:
            self._slots = asyncio.Semaphore(self._limits.concurrency)
            self._slots_loop = loop
        return self._slots

    async def _run_bwrap(self, lang: Language, code: str) -> RunResult:
        script = f"{self._scratch}/{lang.filename}"
        code_fd = memfd_with(lang.prepare(code))
        try:
            argv, env = self._bwrap_command(lang, code_fd, script)
            done = await supervise(
                argv,
                env=env,
                cwd=None,
                pass_fds=(code_fd,),
                run_as=self._run_as,
                wall_seconds=self._limits.wall_seconds,
                output_bytes=self._limits.output_bytes,
            )
        finally:
            os.close(code_fd)
        return interpret(done, lang=lang, script=script, limits=self._limits, sandboxed=True)

    async def _run_insecure(self, lang: Language, code: str) -> RunResult:
        scratch = tempfile.mkdtemp(prefix="pytest-release-run-")
        try:
            script = os.path.join(scratch, lang.filename)
            Path(script).write_text(lang.prepare(code), encoding="utf-8", errors="replace")
            if self._run_as is not None:
                os.chown(scratch, self._run_as, self._run_as)
            # RLIMIT_NPROC counts every process of the user; give the program its own budget on
            # top of what the user already runs (as root we switch to nobody, who runs nothing).
            processes = self._limits.processes
            if self._run_as is None:
                processes += tasks_of_user(os.getuid())
            argv = [
                PRLIMIT,
                *prlimit_options(self._limits, processes=processes),
                "--",
                *lang.command(script, self._limits),
            ]
            done = await supervise(
                argv,
                env=self._environment(home=scratch),
                cwd=scratch,
                pass_fds=(),
                run_as=self._run_as,
                wall_seconds=self._limits.wall_seconds,
                output_bytes=self._limits.output_bytes,
            )
            return interpret(done, lang=lang, script=script, limits=self._limits, sandboxed=False)
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, ignore_errors=True)

    # --- commands -----------------------------------------------------------------------

    def _environment(self, *, home: str) -> dict[str, str]:
        if "sandbox-env-leak" in self._faults:
            return {**os.environ, "HOME": home, "TMPDIR": home}
        return {**_LEAN_ENV, "HOME": home, "TMPDIR": home}

    @property
    def _scratch(self) -> str:
        return SCRATCH_OVER_HOST_ROOT if "sandbox-host-files" in self._faults else SCRATCH

    def _bwrap_command(
        self, lang: Language, code_fd: int, script: str
    ) -> tuple[list[str], dict[str, str]]:
        limits = self._limits
        argv = [
            BWRAP,
            "--unshare-all",  # user, PID, mount, network, IPC, UTS, cgroup namespaces
            "--unshare-user",  # required, not just "try": the uid mapping depends on it
            "--uid", str(SANDBOX_UID),
            "--gid", str(SANDBOX_UID),
            "--disable-userns",  # no nested namespaces: less kernel surface for the user's code
            "--die-with-parent",  # a dying server takes its sandboxes with it
            "--new-session",  # no controlling terminal to inject keystrokes into (TIOCSTI)
            "--hostname", "sandbox",
        ]  # fmt: skip
        if "sandbox-network" in self._faults:
            argv.append("--share-net")
        if "sandbox-host-files" in self._faults:
            argv += ["--ro-bind", "/", "/"]
        else:
            argv += ["--ro-bind", "/usr", "/usr"]
            for top in _TOP_LEVEL_DIRS:
                if os.path.islink(top):  # merged /usr: /lib -> usr/lib and friends
                    argv += ["--symlink", os.readlink(top), top]
                elif os.path.isdir(top):
                    argv += ["--ro-bind", top, top]
            for hidden in self._hidden:
                argv += ["--tmpfs", hidden, "--remount-ro", hidden]
            for path in (*_ETC_FILES, *lang.host_paths):
                argv += ["--ro-bind-try", path, path]
            if "sandbox-network" in self._faults:
                for path in _NETWORK_FILES:  # a shared network is useless without resolver files
                    argv += ["--ro-bind-try", path, path]
        argv += [
            "--proc", "/proc",
            "--dev", "/dev",
            "--size", str(limits.scratch_bytes), "--tmpfs", self._scratch,
            "--ro-bind-data", str(code_fd), script,
            "--remount-ro", "/dev",
            "--remount-ro", "/",  # bwrap's root is a tmpfs; without this it is writable
            "--chdir", self._scratch,
        ]  # fmt: skip
        env = self._environment(home=self._scratch)
        if "sandbox-env-leak" in self._faults:
            argv += ["--setenv", "HOME", self._scratch, "--setenv", "TMPDIR", self._scratch]
        else:
            argv.append("--clearenv")
            for name, value in env.items():
                argv += ["--setenv", name, value]
        argv += ["--", PRLIMIT, *prlimit_options(limits), "--", *lang.command(script, limits)]
        # bwrap itself gets the lean environment too: its /proc/PID/environ is readable by uid
        # nobody on the host, and the server's secrets have no business there.
        return argv, env

    def _probe(self) -> str | None:
        """Start one sandbox synchronously and check that it confines the process."""
        script = f"{self._scratch}/{PYTHON.filename}"
        code_fd = memfd_with(_SELF_TEST_CODE)
        timeout = max(5.0, self._limits.wall_seconds)
        try:
            argv, env = self._bwrap_command(PYTHON, code_fd, script)
            done = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=env,
                pass_fds=(code_fd,),
                start_new_session=True,
                timeout=timeout,
                check=False,
                user=self._run_as,
                group=self._run_as,
                extra_groups=[] if self._run_as is not None else None,
            )
        except subprocess.TimeoutExpired:
            return f"the sandbox self-test did not finish within {timeout:g} s"
        except OSError as exc:
            return f"bubblewrap could not be started: {exc}"
        finally:
            os.close(code_fd)
        answer = done.stdout.decode(errors="replace").strip()
        if done.returncode != 0 or answer != "ok":
            detail = done.stderr.decode(errors="replace").strip().splitlines()
            return f"sandbox self-test failed: {answer or (detail[-1] if detail else 'no output')}"
        return None


def _usable_languages(limits: Limits) -> dict[str, Language]:
    """The installed languages whose interpreter can start within ``limits``."""
    usable = {}
    for name, lang in installed_languages().items():
        if limits.memory_mb >= lang.min_memory_mb:
            usable[name] = lang
        else:
            log.warning(
                "%s is installed but disabled: it needs memory_mb >= %d, the sandbox has %d",
                name,
                lang.min_memory_mb,
                limits.memory_mb,
            )
    return usable


def _paths_to_hide() -> tuple[str, ...]:
    """Host directories under /usr that the sandbox must not see.

    /usr/local holds locally installed software (pip installs, maybe this app); the system
    interpreters need none of it. The app's own package and the server's Python prefix are hidden
    too in case they were installed under /usr.
    """
    hidden: list[str] = []
    candidates = (
        "/usr/local",
        str(Path(pytest_release.__file__).resolve().parent),
        os.path.realpath(sys.prefix),
    )
    for path in candidates:
        inside_usr = path.startswith("/usr/") and path != "/usr"
        covered = any(path == h or path.startswith(h + "/") for h in hidden)
        if inside_usr and os.path.isdir(path) and not covered:
            hidden.append(path)
    return tuple(hidden)


def _missing_tools(*, insecure: bool, languages: dict[str, Language]) -> str | None:
    """What must be installed before any code can run, as an instruction; None when complete."""
    bypass = (
        ""
        if insecure
        else (
            " Or start the server with --insecure-sandbox to run code WITHOUT isolation, only "
            "on a machine you trust."
        )
    )
    if "python" not in languages:
        return (
            f"Code execution needs the system Python at {PYTHON.binary}, which is missing. "
            "Install it with `apt-get install python3-minimal`."
        )
    if not os.access(PRLIMIT, os.X_OK):
        return (
            f"Code execution needs {PRLIMIT} to set resource limits, which is missing. "
            "Install it with `apt-get install util-linux`."
        )
    if not insecure and not os.access(BWRAP, os.X_OK):
        return (
            f"Code execution needs bubblewrap to isolate user code, but {BWRAP} is missing. "
            "Install it with `apt-get install bubblewrap` (Debian/Ubuntu)." + bypass
        )
    return None


def _broken_bwrap_message(reason: str) -> str:
    return (
        f"bubblewrap is installed but cannot isolate code on this machine: {reason}. "
        "Usual causes: user namespaces are disabled (`sysctl -w user.max_user_namespaces=10000`; "
        "on Debian also `sysctl -w kernel.unprivileged_userns_clone=1`; on Ubuntu 24.04 also "
        "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`), or a container runtime "
        "forbids them (run the container with `--security-opt seccomp=unconfined "
        "--security-opt apparmor=unconfined`). Or start the server with --insecure-sandbox to "
        "run code WITHOUT isolation, only on a machine you trust."
    )
