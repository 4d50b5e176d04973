"""The code-execution API hardening suites, run as a user runs them (pytest in a subprocess).

Healthy reference deployment: the five items pass. Each sandbox, rate-limit, validation and
sanitization fault fails its item, with evidence naming the escape. Against a reference
started with --insecure-sandbox (code runs as a plain subprocess), the escapes are
reported and the verdict is not GO.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.suite_runner import run_and_read

SANDBOX = "suites/postdeploy/security/test_sandbox_isolation.py"
RATE_POST = "suites/postdeploy/security/test_sandbox_rate_limit.py"
RATE_PRE = "suites/predeploy/security/test_api_rate_limit.py"
VALIDATION = "suites/predeploy/security/test_api_input_validation.py"
SANITIZATION = "suites/predeploy/security/test_api_output_sanitization.py"
ALL = (SANDBOX, RATE_POST, RATE_PRE, VALIDATION, SANITIZATION)
ITEMS = {
    "post.security.sandbox-isolation",
    "post.security.rate-limiting",
    "pre.security.rate-limiting",
    "pre.security.input-validation",
    "pre.security.output-sanitization",
}
# A secret in the server's environment, as real deployments have: the env-leak fault
# must hand it to user code, and nothing else may.
SECRET_ENV = {"APP_SECRET_KEY": "prx-test-secret-2f9c"}


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    results: dict[str, Any]
    report_dir: Path

    def statuses(self) -> dict[str, str]:
        return {i["id"]: i["status"] for i in self.results["checklist"] if i["id"] in ITEMS}

    def failed_tests(self) -> set[str]:
        return {
            t["nodeid"].split("::", 1)[1] for t in self.results["tests"] if t["outcome"] == "failed"
        }

    def evidence(self, name: str) -> list[Any]:
        found = sorted(self.report_dir.glob(f"evidence/*/{name}.json"))
        return [json.loads(p.read_text(encoding="utf-8")) for p in found]


def run_suites(tmp_path: Path, *files: str, args: tuple[str, ...] = ()) -> Run:
    report_dir = tmp_path / "reports"
    finished = run_and_read(files, report_dir, extra_args=args, env=SECRET_ENV, timeout=240)
    return Run(*finished, report_dir)


def test_healthy_reference_passes_all_five_items(tmp_path: Path) -> None:
    run = run_suites(tmp_path, *ALL)
    assert run.statuses() == dict.fromkeys(ITEMS, "pass"), run.output[-4000:]
    assert run.results["verdict"] == "GO"
    limit = run.evidence("rate-limit-configured")[0][0]
    assert limit["observed_limit"] >= 30 and limit["advertised_limit"] == 30
    health = run.evidence("sandbox-server-health")[0]
    assert health["pack"]["escapes"] == []
    languages = {r["language"] for r in run.evidence("sandbox-network-tcp")[0]["results"]}
    assert languages == {"python", "php"}


SANDBOX_FAULTS = {
    "sandbox-host-files": ("read-etc-passwd", "read /etc/passwd"),
    "sandbox-network": ("network-tcp", "opened a TCP connection"),
    "sandbox-env-leak": ("env-secrets", "APP_SECRET_KEY"),
}


@pytest.mark.parametrize("fault", sorted(SANDBOX_FAULTS))
def test_each_sandbox_fault_fails_isolation_naming_the_escape(tmp_path: Path, fault: str) -> None:
    probe, words = SANDBOX_FAULTS[fault]
    run = run_suites(tmp_path, SANDBOX, args=("--release-fault", fault))
    assert run.statuses()["post.security.sandbox-isolation"] == "fail", run.output[-3000:]
    assert f"test_sandbox_confines[{probe}]" in run.failed_tests()
    escapes = [e for r in run.evidence(f"sandbox-{probe}")[0]["results"] for e in r["escapes"]]
    assert any(words in e for e in escapes), escapes
    assert run.results["verdict"] != "GO"


def test_no_rate_limit_fails_both_rate_limit_items(tmp_path: Path) -> None:
    run = run_suites(tmp_path, RATE_POST, RATE_PRE, args=("--release-fault", "no-rate-limit"))
    statuses = run.statuses()
    assert statuses["post.security.rate-limiting"] == "fail", run.output[-3000:]
    assert statuses["pre.security.rate-limiting"] == "fail"
    burst = run.evidence("rate-limit-burst")[0][0]
    assert burst["observed_limit"] is None and burst["problems"][0]["kind"] == "no-limit"
    assert "no 429 after" in run.output


@pytest.mark.parametrize(
    ("fault", "kind"), [("malformed-json-500", "malformed-json"), ("stack-trace", "wrong-types")]
)
def test_validation_faults_fail_input_validation(tmp_path: Path, fault: str, kind: str) -> None:
    run = run_suites(tmp_path, VALIDATION, args=("--release-fault", fault))
    assert run.statuses()["pre.security.input-validation"] == "fail", run.output[-3000:]
    assert f"test_bad_input_is_refused_cleanly[{kind}]" in run.failed_tests()
    cases = run.evidence(f"input-validation-{kind}")[0]["cases"]
    assert any(c["status"] == 500 for c in cases), cases


def test_output_as_html_fails_output_sanitization(tmp_path: Path) -> None:
    run = run_suites(tmp_path, SANITIZATION, args=("--release-fault", "output-as-html"))
    assert run.statuses()["pre.security.output-sanitization"] == "fail", run.output[-3000:]
    assert run.failed_tests() == {"test_page_shows_output_as_text"}
    page = run.evidence("output-sanitization-page")[0]
    assert "injected" in page["problems"][0] and "img" in page["problems"][0]


@pytest.fixture
def insecure_reference() -> Iterator[str]:
    """The reference with --insecure-sandbox, run from an app directory holding a .env."""
    app = Path(tempfile.mkdtemp(prefix="prx-insecure-app-"))
    app.chmod(0o755)  # an app directory as deployed: other users may look in
    (app / ".env").write_text("APP_SECRET_KEY=prx-file-secret\nDEBUG=0\n", encoding="utf-8")
    (app / ".env").chmod(0o644)  # the classic mistake: readable by every user
    port_file = app / "port.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_RELEASE_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest_release.reference",
            "--port",
            "0",
            "--data-dir",
            str(app / "data"),
            "--port-file",
            str(port_file),
            "--insecure-sandbox",
        ],
        cwd=app,
        env={**env, **SECRET_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        url = None
        while url is None and time.monotonic() < deadline:
            if port_file.is_file():
                candidate = f"http://127.0.0.1:{json.loads(port_file.read_text())['port']}"
                try:
                    httpx.get(candidate + "/healthz", timeout=2)
                    url = candidate
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        assert url is not None, "the insecure reference did not start"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        for path in sorted(app.rglob("*"), reverse=True):
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
        app.rmdir()


def test_insecure_sandbox_escapes_are_reported(tmp_path: Path, insecure_reference: str) -> None:
    run = run_suites(tmp_path, SANDBOX, args=("--target-url", insecure_reference))
    assert run.statuses()["post.security.sandbox-isolation"] == "fail", run.output[-3000:]
    assert run.results["verdict"] != "GO"
    failed = run.failed_tests()

    def escapes(probe: str) -> list[str]:
        results = run.evidence(f"sandbox-{probe}")[0]["results"]
        return [e for r in results for e in r["escapes"]]

    assert "test_sandbox_confines[read-etc-passwd]" in failed  # file read
    assert any("read /etc/passwd" in e for e in escapes("read-etc-passwd"))
    assert "test_sandbox_confines[network-tcp]" in failed  # network
    assert "test_sandbox_confines[read-app-files]" in failed  # environment: the app's .env
    assert any(
        ".env shows variables named like secrets: APP_SECRET_KEY" in e
        for e in escapes("read-app-files")
    )
    for probe in ("write-outside-scratch", "list-processes", "persistence", "concurrent-runs"):
        assert f"test_sandbox_confines[{probe}]" in failed


# --- the pure pieces, without a server --------------------------------------------------


def test_settings_name_the_bad_key_and_the_known_probes() -> None:
    from pytest_release.sandbox_settings import hardening_settings
    from pytest_release.settings import ConfigError

    with pytest.raises(ConfigError, match="did you mean 'timeout_s'"):
        hardening_settings({"timeout": 5})
    with pytest.raises(ConfigError, match=r"unknown probe 'fork-bom'.*'fork-bomb'"):
        hardening_settings({"disable": ["fork-bom"]})
    settings = hardening_settings(
        {"disable": ["network-dns"], "rate_limit": {"per_minute": 12}}, run_path="/run"
    )
    assert settings.run_path == "/run" and settings.rate_limit.endpoints == ("/run",)
    assert not settings.on("network-dns") and settings.on("fork-bomb")
    assert settings.rate_limit.per_minute == 12


def test_snippets_fill_words_as_they_are_and_text_as_literals() -> None:
    from pytest_release.probes.sandbox.snippets import SnippetError, snippets_for

    found = snippets_for(["python", "php", "cobol"])
    assert set(found) == {"python", "php"}
    php = found["php"].render_echo("it's <b>", "x\\y")
    assert "echo 'it\\'s <b>';" in php and "'x\\\\y'" in php
    code = found["python"].render("network-dns", {"DNS_PORT": 53, "TOKEN": "abc"})
    assert '"prx-abc.example"' in code and "127.0.0.1:53" in code
    with pytest.raises(SnippetError, match="TOKEN"):
        found["python"].render("network-dns", {"DNS_PORT": 53})


def _record(body: dict[str, Any], elapsed: float = 0.1) -> Any:
    from pytest_release.probes.sandbox.model import RunRecord

    return RunRecord("python", "code", 200, body, 0.0, elapsed)


def test_judge_limits_and_secrets() -> None:
    from pytest_release.probes.sandbox import judge
    from pytest_release.probes.sandbox.model import Verdict
    from pytest_release.sandbox_settings import Expectations

    ctx = judge.JudgeContext(expect=Expectations(timeout_s=2, memory_mb=64))
    slow = _record(
        {"output": "", "error": "Execution timed out", "exit_code": 124, "duration_ms": 9000.0}
    )
    assert judge.judge_infinite_loop("python", [slow], ctx).verdict is Verdict.ESCAPED
    quick = _record(
        {"output": "", "error": "Execution timed out", "exit_code": 124, "duration_ms": 2100.0}
    )
    assert judge.judge_infinite_loop("python", [quick], ctx).verdict is Verdict.CONFINED
    silent = _record({"output": "", "error": None, "exit_code": 137, "duration_ms": 2100.0})
    assert judge.judge_infinite_loop("python", [silent], ctx).verdict is Verdict.ESCAPED
    hog = _record({"output": "@@prx-progress 96\n", "error": "Killed", "exit_code": 137})
    assert "allocated 96 MB" in judge.judge_memory_hog("python", [hog], ctx).summary
    env = _record(
        {
            "output": '@@prx {"escapes": [], "facts": {"names": ["PATH", "STRIPE_API_KEY"]}}',
            "error": None,
            "exit_code": 0,
        }
    )
    assert "STRIPE_API_KEY" in judge.judge_env("python", [env]).summary
    broken = _record({"output": "", "error": "SyntaxError: x", "exit_code": 1})
    assert judge.judge_reported("list-processes", "python", [broken]).verdict is (
        Verdict.INCONCLUSIVE
    )
