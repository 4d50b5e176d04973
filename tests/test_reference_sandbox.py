"""The reference deployment's code-execution sandbox, tested for real: bubblewrap, no mocks.

Every test runs actual code in an actual sandbox and checks what the code could or could not do
from the outside as well (the host file it tried to write, the listener it tried to reach, the
processes it left behind). Limits are small so the whole file stays fast.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pytest_release
from pytest_release.reference import sandbox as sandbox_module
from pytest_release.reference.sandbox import (
    EXIT_BUSY,
    EXIT_TIMEOUT,
    FAULTS,
    Limits,
    RunResult,
    Sandbox,
    SandboxUnavailable,
)

FAST = Limits(
    cpu_seconds=1,
    wall_seconds=1.5,
    memory_mb=128,
    processes=16,
    file_size_kb=64,
    open_files=32,
    output_bytes=4096,
    concurrency=4,
)
APP_FILE = str(Path(pytest_release.__file__).resolve())
SECRETS = {
    "PYTEST_RELEASE_TEST_API_KEY": "key-7f3a9c",
    "PYTEST_RELEASE_TEST_SECRET": "secret-51b2e0",
    "PYTEST_RELEASE_TEST_TOKEN_X": "token-c0ffee",
    "DATABASE_URL": "postgresql://app:hunter2@db.internal/app",
}


def run(sandbox: Sandbox, code: str, language: str = "python") -> RunResult:
    return asyncio.run(sandbox.run(code, language))


def run_json(sandbox: Sandbox, code: str) -> dict[str, Any]:
    result = run(sandbox, code)
    assert result.exit_code == 0, f"probe failed: {result}"
    parsed: dict[str, Any] = json.loads(result.output)
    return parsed


def with_params(code: str, **params: object) -> str:
    """Prefix a probe with its parameters, passed as JSON so no quoting can go wrong."""
    return f"import json\nP = json.loads({json.dumps(json.dumps(params))})\n{code}"


def tagged(code: str) -> tuple[str, str]:
    """``code`` that first names its process with a unique tag (inherited by every fork).

    The tag lets a test find processes the code left behind, without mistaking another test's
    sandbox (pytest-xdist) for a leftover.
    """
    tag = f"sbx{os.getpid() % 10000}{time.monotonic_ns() % 100000}"[:15]
    prefix = f"import ctypes\nctypes.CDLL(None).prctl(15, {tag.encode()!r}, 0, 0, 0)\n"
    return prefix + code, tag


def processes_named(tag: str) -> list[int]:
    """Host PIDs whose process name is ``tag``, once the kernel has finished tearing down.

    Killing a sandbox's PID 1 makes the kernel kill the rest of its namespace, which takes a
    moment; only processes still there after a few seconds were really left behind.
    """
    deadline = time.monotonic() + 3.0
    while True:
        found = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                if Path(f"/proc/{entry.name}/comm").read_text().strip() == tag:
                    found.append(int(entry.name))
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(FAST)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP listener on the host's loopback that sandboxed code must not reach."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return SECRETS


# --- it works ---------------------------------------------------------------------------


def test_python_hello_world(sandbox: Sandbox) -> None:
    result = run(sandbox, 'print("Hello, world!")')
    assert result == RunResult("Hello, world!\n", None, 0, result.duration_ms)
    assert sandbox.mechanism == "bubblewrap"
    assert sandbox.self_test() is None


def test_php_hello_world(sandbox: Sandbox) -> None:
    if "php" not in sandbox.languages:
        pytest.skip("php-cli is not installed (/usr/bin/php); `apt-get install php-cli`")
    result = run(sandbox, '<?php echo "Hello, world!\\n";', "php")
    assert (result.output, result.error, result.exit_code) == ("Hello, world!\n", None, 0)


def test_python_error_is_the_users_own_message(sandbox: Sandbox) -> None:
    result = run(sandbox, 'print("before")\ndef f():\n    raise ValueError("bad input")\nf()\n')
    assert result.exit_code != 0
    assert result.error == "ValueError: bad input (line 3)"
    assert result.output == "before\n"
    combined = f"{result.output}{result.error}"
    assert "Traceback" not in combined
    assert "/work" not in combined
    assert "pytest_release" not in combined


def test_php_error_is_the_users_own_message(sandbox: Sandbox) -> None:
    if "php" not in sandbox.languages:
        pytest.skip("php-cli is not installed (/usr/bin/php); `apt-get install php-cli`")
    result = run(sandbox, '<?php\necho "before\\n";\nthrow new RuntimeException("boom");\n', "php")
    assert result.exit_code != 0
    assert result.error == "Fatal error: Uncaught RuntimeException: boom in main.php:3"
    assert result.output == "before\n"


def test_unknown_language_is_a_value_error(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown language 'cobol'"):
        run(sandbox, "DISPLAY 'HI'.", "cobol")


# --- isolation --------------------------------------------------------------------------


def test_cannot_read_host_files(sandbox: Sandbox) -> None:
    code = with_params(
        """
import os
def readable(path):
    try:
        with open(path, "rb") as f:
            f.read(1)
        return True
    except OSError:
        return False
print(json.dumps({
    "passwd": readable("/etc/passwd"),
    "shadow": readable("/etc/shadow"),
    "app": readable(P["app"]),
    "env_file": readable(P["env_file"]),
    "root_dir": sorted(os.listdir("/")),
    "host_pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
}))
""",
        app=APP_FILE,
        env_file=str(Path(APP_FILE).parents[1] / ".env"),
    )
    seen = run_json(sandbox, code)
    assert seen["passwd"] is False
    assert seen["shadow"] is False
    assert seen["app"] is False, f"sandboxed code can read the app's source {APP_FILE}"
    assert seen["env_file"] is False
    assert not {"root", "home", "work", "var", "srv", "opt", "mnt"} & set(seen["root_dir"])
    pids = seen["host_pids"]
    assert max(pids) < 16, f"host PIDs visible in the sandbox: {pids}"


def test_cannot_write_outside_scratch(sandbox: Sandbox, tmp_path: Path) -> None:
    host_target = Path("/tmp") / f"sandbox-escape-{os.getpid()}-{time.monotonic_ns()}"
    code = with_params(
        """
def writable(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return True
    except OSError:
        return False
print(json.dumps({path: writable(path) for path in P["paths"]}))
""",
        paths=[
            "/escape",
            "/usr/escape",
            "/etc/escape",
            "/dev/escape",
            "/proc/escape",
            "/tmp/main.py",
            str(tmp_path / "escape"),
            "/tmp/ok",
            "ok-in-cwd",
            str(host_target),
        ],
    )
    seen = run_json(sandbox, code)
    allowed = {"/tmp/ok", "ok-in-cwd", str(host_target)}  # /tmp is the sandbox's own tmpfs
    assert {path for path, ok in seen.items() if ok} == allowed
    assert not host_target.exists(), "a write to the sandbox's /tmp reached the host's /tmp"
    assert not (tmp_path / "escape").exists()


def test_cannot_connect_to_loopback_or_resolve_names(
    sandbox: Sandbox, listener: socket.socket
) -> None:
    code = with_params(
        """
import socket
try:
    socket.create_connection(("127.0.0.1", P["port"]), timeout=1).close()
    tcp = "connected"
except OSError as exc:
    tcp = f"refused: {exc}"
try:
    socket.getaddrinfo("example.com", 80)
    dns = "resolved"
except OSError as exc:
    dns = f"failed: {exc}"
print(json.dumps({"tcp": tcp, "dns": dns}))
""",
        port=listener.getsockname()[1],
    )
    seen = run_json(sandbox, code)
    assert seen["tcp"] != "connected"
    assert seen["dns"] != "resolved"
    with pytest.raises(BlockingIOError):  # nothing ever knocked on the host's listener
        listener.accept()


def test_server_secrets_are_invisible(sandbox: Sandbox, secrets: dict[str, str]) -> None:
    env = run_json(sandbox, "import json, os\nprint(json.dumps(dict(os.environ)))")
    assert set(env) <= {"PATH", "HOME", "LANG", "TMPDIR", "PWD"}, f"unexpected variables: {env}"
    assert not set(secrets.values()) & {str(v) for v in env.values()}


def test_fork_bomb_is_bounded_and_leaves_nothing_behind() -> None:
    # Enough wall time that a loaded machine still finishes the counting run well inside it.
    small = Limits(cpu_seconds=1, wall_seconds=2.0, memory_mb=64, processes=8, concurrency=1)
    bounded = Sandbox(small)
    counter, counter_tag = tagged(
        "import os, time\nn = 0\ntry:\n    for _ in range(1000):\n"
        "        if os.fork() == 0:\n            time.sleep(30)\n            os._exit(0)\n"
        "        n += 1\nexcept OSError:\n    pass\nprint(n)\n"
    )
    counted = run(bounded, counter)
    assert int(counted.output) < small.processes, counted
    assert processes_named(counter_tag) == [], "sleeping children outlived their sandbox"
    bomb, bomb_tag = tagged(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    started = time.monotonic()
    exploded = run(bounded, bomb)
    assert exploded.timed_out, exploded
    assert time.monotonic() - started < small.wall_seconds + 1.5
    assert processes_named(bomb_tag) == [], "fork bomb processes outlived their sandbox"


def test_infinite_loop_is_killed_with_a_timeout_message(sandbox: Sandbox) -> None:
    loop, loop_tag = tagged("while True:\n    pass\n")
    busy_loop = run(sandbox, loop)
    assert busy_loop.timed_out
    assert busy_loop.exit_code == EXIT_TIMEOUT
    assert busy_loop.error is not None
    assert "timed out" in busy_loop.error
    assert busy_loop.duration_ms < (FAST.wall_seconds + 1) * 1000
    sleep, sleep_tag = tagged("import time\ntime.sleep(60)\n")
    sleeper = run(sandbox, sleep)
    assert sleeper.timed_out
    assert sleeper.error is not None
    assert sleeper.error.startswith("Execution timed out after 1.5 s (limit)")
    assert sleeper.duration_ms < (FAST.wall_seconds + 1) * 1000
    assert processes_named(loop_tag) == processes_named(sleep_tag) == []


def test_event_loop_keeps_running_during_a_long_run(sandbox: Sandbox) -> None:
    async def scenario() -> tuple[RunResult, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        result = await sandbox.run("import time\ntime.sleep(60)\n", "python")
        task.cancel()
        return result, ticks

    result, ticks = asyncio.run(scenario())
    assert result.timed_out
    assert ticks > 50, f"the event loop ticked only {ticks} times in {result.duration_ms:.0f} ms"


@pytest.mark.parametrize(
    "code",
    [
        "x = bytearray(1024 * 1024 * 1024)\n",
        "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n",
    ],
    ids=["one-big-allocation", "growing"],
)
def test_memory_hog_is_stopped(sandbox: Sandbox, code: str) -> None:
    result = run(sandbox, code)
    assert result.exit_code != 0
    assert result.error is not None
    assert "memory limit exceeded" in result.error.lower()


def test_php_memory_hog_is_stopped(sandbox: Sandbox) -> None:
    if "php" not in sandbox.languages:
        pytest.skip("php-cli is not installed (/usr/bin/php); `apt-get install php-cli`")
    result = run(sandbox, '<?php $a = []; while (true) { $a[] = str_repeat("x", 1 << 20); }', "php")
    assert result.error is not None
    assert result.error.startswith("Memory limit exceeded (128 MB): Fatal error: Allowed memory")


def test_php_is_left_out_when_it_cannot_start_within_the_memory_limit() -> None:
    assert Sandbox(Limits(memory_mb=64)).languages == ("python",)


def test_output_flood_is_truncated_and_stopped(sandbox: Sandbox) -> None:
    result = run(sandbox, 'while True:\n    print("x" * 100)\n')
    assert result.truncated
    assert not result.timed_out
    assert result.output.startswith("x" * 100)
    assert "[output truncated at 4096 bytes (limit)]" in result.output
    assert len(result.output.encode()) <= FAST.output_bytes + 100
    assert result.duration_ms < FAST.wall_seconds * 1000


def test_file_size_limit(sandbox: Sandbox) -> None:
    result = run(sandbox, 'open("big", "wb").write(b"x" * (1024 * 1024))\n')
    assert result.error is not None
    assert "File too large" in result.error
    assert "64 KB" in result.error


# --- runs do not see each other ---------------------------------------------------------


def test_files_do_not_survive_a_run(sandbox: Sandbox) -> None:
    first = run(sandbox, 'open("/tmp/marker", "w").write("1")\nopen("marker2", "w").write("1")')
    assert first.exit_code == 0, first
    later = run_json(
        sandbox,
        "import json, os\nprint(json.dumps(sorted(os.listdir('.')) + sorted(os.listdir('/tmp'))))",
    )
    assert "marker" not in later
    assert "marker2" not in later


def test_concurrent_runs_cannot_see_each_others_files(sandbox: Sandbox) -> None:
    code = (
        "import json, os, time\n"
        "open('/tmp/mine-{tag}', 'w').write('{tag}')\ntime.sleep(0.4)\n"
        "print(json.dumps(sorted(os.listdir('/tmp'))))\n"
    )

    async def both() -> list[RunResult]:
        return list(
            await asyncio.gather(
                sandbox.run(code.format(tag="a"), "python"),
                sandbox.run(code.format(tag="b"), "python"),
            )
        )

    first, second = asyncio.run(both())
    assert json.loads(first.output) == ["main.py", "mine-a"]
    assert json.loads(second.output) == ["main.py", "mine-b"]


def test_concurrency_cap_queues_then_reports_busy() -> None:
    capped = Sandbox(Limits(cpu_seconds=1, wall_seconds=2.5, memory_mb=64, concurrency=2))
    interval = "import time\nstart = time.time()\ntime.sleep({s})\nprint(start, time.time())\n"

    async def burst(count: int, seconds: float) -> list[RunResult]:
        runs = [capped.run(interval.format(s=seconds), "python") for _ in range(count)]
        return list(await asyncio.gather(*runs))

    # Four short runs: all get a slot within the queueing time, never more than two at once.
    short = asyncio.run(burst(4, 0.2))
    assert [r.exit_code for r in short] == [0, 0, 0, 0], short
    spans = [tuple(map(float, r.output.split())) for r in short]
    overlap = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert overlap <= 2, f"{overlap} runs overlapped with a cap of 2: {spans}"
    # Three long runs: the third waits for the queueing time, then hears "busy".
    long = asyncio.run(burst(3, 1.5))
    assert sorted(r.exit_code for r in long) == [0, 0, EXIT_BUSY], long
    refused = next(r for r in long if r.exit_code == EXIT_BUSY)
    assert refused.error is not None
    assert "busy" in refused.error
    assert refused.duration_ms < 1500


# --- fault switches ---------------------------------------------------------------------

HOLES_PROBE = """
import os, socket
def readable(path):
    try:
        with open(path, "rb") as f:
            f.read(1)
        return True
    except OSError:
        return False
try:
    socket.create_connection(("127.0.0.1", P["port"]), timeout=1).close()
    network = True
except OSError:
    network = False
print(json.dumps({
    "sandbox-host-files": readable("/etc/passwd") and readable(P["app"]),
    "sandbox-network": network,
    "sandbox-env-leak": P["secret"] in os.environ.values(),
}))
"""


@pytest.mark.parametrize("fault", [None, *sorted(FAULTS)])
def test_each_fault_opens_exactly_its_hole(
    fault: str | None, listener: socket.socket, secrets: dict[str, str]
) -> None:
    faulty = Sandbox(FAST, faults=frozenset({fault} if fault else set()) | {"unrelated-fault"})
    code = with_params(
        HOLES_PROBE,
        port=listener.getsockname()[1],
        app=APP_FILE,
        secret=secrets["PYTEST_RELEASE_TEST_API_KEY"],
    )
    holes = run_json(faulty, code)
    assert holes == {name: name == fault for name in FAULTS}
    assert faulty.self_test() is None  # the mechanism still works; only the named hole is open


# --- without bubblewrap -----------------------------------------------------------------


def test_missing_bubblewrap_is_refused_with_instructions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_module, "BWRAP", "/nonexistent/bwrap")
    with pytest.raises(SandboxUnavailable) as refused:
        Sandbox(FAST)
    assert "apt-get install bubblewrap" in str(refused.value)
    assert "--insecure-sandbox" in str(refused.value)
    assert Sandbox(FAST, insecure=True).mechanism == "insecure (no isolation)"


def test_insecure_mode_still_applies_limits(secrets: dict[str, str]) -> None:
    insecure = Sandbox(FAST, insecure=True)
    assert insecure.self_test() is not None
    hello = run(insecure, 'print("hi")')
    assert (hello.output, hello.error, hello.exit_code) == ("hi\n", None, 0)
    env = run_json(insecure, "import json, os\nprint(json.dumps(dict(os.environ)))")
    assert not set(secrets.values()) & {str(v) for v in env.values()}
    flood = run(insecure, 'while True:\n    print("x" * 100)\n')
    assert flood.truncated
    loop = run(insecure, "while True:\n    pass\n")
    assert loop.timed_out
    assert loop.duration_ms < (FAST.wall_seconds + 1) * 1000
    hog = run(insecure, "x = bytearray(1024 * 1024 * 1024)\n")
    assert hog.error is not None
    assert "memory limit exceeded" in hog.error.lower()
