"""Run the schedule step by step against the reference deployment on this machine.

The inputs of the pre-deployment checks (the nightly backup, the release candidate on
staging with its e2e run and benchmarks, a local Redis; ``predeploy_inputs.py``), the
pre-deployment checks, backup, notification, maintenance on, deploy the new release (its
start runs a migration), deployment checks, maintenance off, smoke, go-live checks,
post-deployment checks — and when a phase says NO-GO or ROLLBACK after the deploy, the
rollback (maintenance on, previous release and database restored, maintenance off) and its
re-verification. Every phase is an ordinary pytest run with its own report directory; the
actions between them are what the operators would do, done by this module.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from pytest_release.ops_fixtures import REFERENCE_RULES
from pytest_release.predeploy_settings import OVERLAY_ENV
from pytest_release.probes.deploy_state import installed_versions
from pytest_release.probes.schedule import Step, Window
from pytest_release.reference import backup as backups
from pytest_release.reference.launcher import ReferenceServer, start_reference_server
from pytest_release.reference.maintenance import announce_window, set_maintenance
from pytest_release.reference.settings import MaintenanceWindow
from pytest_release.rehearsal.local_redis import (
    INSTALL_HINT,
    LocalRedis,
    RedisStartError,
    find_redis_server,
    start_local_redis,
)
from pytest_release.rehearsal.predeploy_inputs import (
    BY,
    PredeployInputs,
    predeploy_entries,
    write_backup_schedule,
    write_predeploy_config,
)
from pytest_release.rehearsal.staging import (
    BENCHMARK_BUDGETS,
    E2E_SUITE,
    StagingError,
    run_benchmarks,
    start_staging,
)
from pytest_release.rehearsal.timeline import moment, write_schedule
from pytest_release.rehearsal.toml_text import array_of_tables, tables

PREVIOUS = "2025.07.24"
RELEASE = "2025.07.25"
PREVIOUS_SCHEMA = "0001_runs"  # the new release adds 0002_runs_indexes: the deploy migrates
BLOCKING = ("NO-GO", "ROLLBACK")

DEPLOY_BEFORE_WINDOW = (
    "suites/deploy/test_backup.py",
    "suites/deploy/test_maintenance.py::test_maintenance_window_is_scheduled",
    "suites/deploy/test_maintenance.py::test_users_are_notified",
)
DEPLOY_IN_WINDOW = (
    "suites/deploy/test_maintenance.py::test_maintenance_mode_is_enabled",
    "suites/deploy/test_deployment.py::test_release_version_is_live",
    "suites/deploy/test_deployment.py::test_dependencies_match_lock_file",
    "suites/deploy/test_deployment.py::test_migrations_at_head",
    "suites/deploy/test_deployment.py::test_caches_rebuilt",
    "suites/deploy/test_deployment.py::test_configuration_is_as_expected",
    "suites/deploy/test_deployment.py::test_services_restarted",
    "suites/deploy/test_verification.py",
)
DEPLOY_GO_LIVE = (
    "suites/deploy/test_deployment.py::test_frontend_assets_are_built",
    "suites/deploy/test_go_live.py",
    "suites/deploy/test_performance_metrics.py",
)
POSTDEPLOY_QUICK = (
    "suites/postdeploy/monitoring",
    "suites/postdeploy/functionality/test_code_execution.py",
)


class RehearsalError(RuntimeError):
    """The rehearsal could not go on (not a failed check: those are in the reports)."""


@dataclass(frozen=True, slots=True)
class PhaseRun:
    """One pytest run of the rehearsal."""

    title: str
    step: str
    phase: str
    report_dir: Path
    verdict: str
    returncode: int
    results: dict[str, Any] = field(repr=False)
    on_staging: bool = False  # run against the staging copy, not the rehearsed production


@dataclass(slots=True)
class Options:
    work: Path
    faults: tuple[str, ...] = ()
    quick: bool = False
    watch: str | None = None
    root: Path = field(default_factory=Path.cwd)


class Rehearsal:
    """The state of one rehearsal: the running server, the runs so far."""

    def __init__(self, options: Options, say: Callable[[str], None] = print) -> None:
        self.o = options
        self.say = say
        self.data = options.work / "data"
        self.runs: list[PhaseRun] = []
        self.server: ReferenceServer | None = None
        self.steps: tuple[Step, ...] = ()
        self.window: Window | None = None
        self.env: dict[str, str] = {}
        self.backup: Path | None = None
        self.rolled_back = False
        self.incident: PhaseRun | None = None
        self.aborted: str | None = None
        self.redis: LocalRedis | None = None
        self.redis_missing: str | None = None  # why there is no Redis, when there is none

    @property
    def attestations(self) -> Path:
        return self.o.work / "attestations.toml"

    def attest(self, text: str) -> None:
        """Append entries to the rehearsal's attestations file (every later run reads it)."""
        with self.attestations.open("a", encoding="utf-8") as out:
            out.write(text)

    def child_env(self) -> dict[str, str]:
        """The environment of a child run: nothing of ours or of an xdist parent leaks in."""
        return {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTEST_RELEASE_", "PYTEST_XDIST_"))
        }

    def cache_env(self, db: int) -> dict[str, str]:
        return {"REDIS_URL": self.redis.url(db)} if self.redis is not None else {}

    # --- the deployment under rehearsal ------------------------------------------------

    def start(self, version: str, *, faults: Sequence[str] = (), schema: str | None = None) -> str:
        args = ["--version-string", version, *(["--schema-revision", schema] if schema else [])]
        self.server = start_reference_server(
            data_dir=self.data,
            faults=faults,
            extra_args=args,
            extra_env=self.cache_env(0),
            timeout=60.0,
        )
        return self.server.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def url(self) -> str:
        if self.server is None:
            raise RehearsalError("no release is running")
        return self.server.url

    # --- one phase run ------------------------------------------------------------------

    def check(
        self,
        title: str,
        step: str,
        phase: str,
        args: Sequence[str],
        url: str | None = None,
        **env: str,
    ) -> PhaseRun:
        number = len(self.runs) + 1
        slug = title.lower().replace(" ", "-").replace(":", "")
        report_dir = self.o.work / f"{number:02d}-{slug}"
        environ = self.child_env()
        environ.update(self.env)
        environ["PYTEST_RELEASE_NOW"] = moment(self.steps, step).isoformat()
        environ.update(env)
        # One token per option: pytest picks its rootdir from arguments that look like
        # existing paths, and a separate "--report-dir DIR" value would count as one.
        command = [
            sys.executable,
            "-m",
            "pytest",
            *args,
            f"--rootdir={self.o.root}",
            f"--target-url={url or self.url}",
            f"--release-version={PREVIOUS if self.rolled_back else RELEASE}",
            f"--release-phase={phase}",
            f"--report-dir={report_dir}",
            "-p",
            "no:cacheprovider",
            "-q",
        ]
        if self.o.watch and phase == "deploy" and any("go_live" in a for a in args):
            command += [f"--watch={self.o.watch}", "--every=10s"]
        if self.attestations.is_file():
            command.append(f"--attestations={self.attestations}")
        report_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with (report_dir / "pytest-output.txt").open("w", encoding="utf-8") as out:
            out.write(f"$ {' '.join(command)}\n")
            out.flush()
            code = subprocess.call(command, cwd=self.o.root, env=environ, stdout=out, stderr=out)
        results_file = report_dir / "results.json"
        if not results_file.is_file():
            raise RehearsalError(
                f"{title}: pytest wrote no results (exit {code}); "
                f"see {report_dir}/pytest-output.txt"
            )
        results = json.loads(results_file.read_text(encoding="utf-8"))
        verdict = str(results["verdict"])
        run = PhaseRun(title, step, phase, report_dir, verdict, code, results, url is not None)
        self.runs.append(run)
        self.say(
            f"  {title:<34} {run.verdict:<13} {time.monotonic() - started:5.1f} s  {report_dir}"
        )
        return run

    # --- the schedule -------------------------------------------------------------------

    def prepare(self) -> None:
        if not (self.o.root / "suites" / "checklist.md").is_file():
            raise RehearsalError(
                f"{self.o.root} has no suites/checklist.md: run `pytest-release rehearse` "
                "from the pytest-release project root"
            )
        if self.o.work.exists():
            shutil.rmtree(self.o.work)
        self.o.work.mkdir(parents=True)
        self.steps, self.window = write_schedule(self.o.work / "schedule.md", datetime.now(UTC))
        self.say(f"rehearsal of release {RELEASE} (previous {PREVIOUS}) in {self.o.work}")
        self.say(f"  faults in the new release: {', '.join(self.o.faults) or 'none'}")
        self.start_redis()
        url = self.start(PREVIOUS, schema=PREVIOUS_SCHEMA)
        with httpx.Client(base_url=url, timeout=60) as client:
            for code in ("print('users were here')", "print(2 + 2)"):
                client.post("/api/run", json={"code": code, "language": "python"})

    def start_redis(self) -> None:
        binary = find_redis_server()
        if binary is None:
            self.redis_missing = (
                "redis-server is not installed on this machine, so the rehearsal ran the "
                "reference deployment with its in-process cache and checked no Redis "
                f"({INSTALL_HINT})"
            )
            self.say(f"  no redis-server: the deployment caches in-process ({INSTALL_HINT})")
            return
        try:
            self.redis = start_local_redis(binary, self.o.work / "redis")
        except RedisStartError as exc:
            raise RehearsalError(str(exc)) from None
        self.say(f"  action: redis-server for the cache at {self.redis.url()}")

    def prepare_predeploy(self) -> None:
        """Produce what the pre-deployment checks read, as the team's pipeline would."""
        self.say("  action: the nightly backup (the command of the backup schedule)")
        schedule = self.o.work / "ops" / "cron.d" / "reference-backup"
        command = write_backup_schedule(schedule, sys.executable, self.data)
        done = subprocess.run(
            command, cwd=self.o.root, env=self.child_env(), capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RehearsalError(
                f"the scheduled backup command failed (exit {done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-300:]}"
            )
        nightly = max((self.data / "backups").iterdir(), key=lambda p: p.stat().st_mtime)
        self.say(f"  action: release {RELEASE} on staging (restored from {nightly.name})")
        staging_dir = self.o.work / "staging" / "data"
        staging = start_staging(nightly, staging_dir, RELEASE, self.cache_env(1))
        e2e_report = self.o.work / "junit" / "e2e.xml"
        try:
            self.say("  action: benchmarks against staging")
            try:
                bench = run_benchmarks(
                    self.o.root, staging.url, self.o.work / "benchmarks", self.child_env()
                )
            except StagingError as exc:
                raise RehearsalError(str(exc)) from None
            self.check(
                "staging: e2e",
                "pre-deployment testing",
                "predeploy",
                [E2E_SUITE, f"--junitxml={e2e_report}"],
                url=staging.url,
            )
        finally:
            staging.stop()
        inputs = PredeployInputs(
            e2e_report=e2e_report,
            benchmark_reports=bench.parent,
            budgets=BENCHMARK_BUDGETS,
            database_url=f"sqlite:///{staging_dir / backups.DB_NAME}",
            backup_dir=self.data / "backups",
            backup_schedule=schedule,
            firewall_host="127.0.0.1",
            allowed_ports=(int(self.url.rsplit(":", 1)[1]),),
            redis_url=self.redis.url() if self.redis is not None else None,
        )
        config = write_predeploy_config(self.o.work / "predeploy.toml", inputs)
        self.env[OVERLAY_ENV] = str(config)
        self.attest(predeploy_entries(datetime.now(UTC), self.redis_missing))

    def build_release(self, backup: Path) -> None:
        """What the release build leaves behind: lock file, configuration, previous artifact."""
        lock = self.o.work / "release" / "requirements.lock"
        lock.parent.mkdir(parents=True)
        pins = sorted(installed_versions().items())
        lock.write_text("".join(f"{n}=={v}\n" for n, v in pins), encoding="utf-8")
        config = self.o.work / "release" / "app.env"
        config.write_text(
            f"RELEASE={RELEASE}\nDATA_DIR={self.data}\nLOG_LEVEL=info\n", encoding="utf-8"
        )
        previous = self.o.work / "releases" / PREVIOUS
        shutil.copytree(backup / "files", previous)
        ops: dict[str, dict[str, Any]] = {
            "deploy": {
                "data_dir": str(self.data),
                "lock_file": str(lock),
                "config_file": str(config),
                "required_keys": ["RELEASE", "DATA_DIR"],
                "config_sha256": hashlib.sha256(config.read_bytes()).hexdigest(),
                "previous_release": str(previous),
                "previous_version": PREVIOUS,
                "rollback_command": [
                    sys.executable,
                    "-m",
                    "pytest_release.cli",
                    "backup",
                    "verify",
                    str(backup),
                ],
            },
            "backup": {"dir": str(self.data / "backups")},
            "monitoring": {"rule_files": [str(REFERENCE_RULES)]},
            "maintenance": {"schedule": str(self.o.work / "schedule.md"), "timezone": "UTC"},
        }
        (self.o.work / "ops.toml").write_text(tables(ops), encoding="utf-8")
        self.env["PYTEST_RELEASE_OPS_CONFIG"] = str(self.o.work / "ops.toml")

    def rehearse(self) -> None:
        try:
            self.prepare()
            self._schedule()
        finally:
            self.stop()
            if self.redis is not None:
                self.redis.stop()

    def _schedule(self) -> None:
        assert self.window is not None
        if not self.o.quick:
            self.prepare_predeploy()
            self.check("predeploy", "pre-deployment testing", "predeploy", ["-m", "predeploy"])
        self.say("  action: backup of the database and the application files")
        self.backup = backups.create_backup(self.data)
        self.build_release(self.backup)
        self.say("  action: announce the maintenance window (banner, status page)")
        message = f"Release {RELEASE}: interactive examples are unavailable during the window."
        announce_window(self.data, MaintenanceWindow(self.window.start, self.window.end, message))
        self.check(
            "deploy: backup and notice",
            "send maintenance notification",
            "deploy",
            DEPLOY_BEFORE_WINDOW,
        )
        self.say("  action: maintenance on; deploy the new release (its start migrates)")
        set_maintenance(
            self.data,
            True,
            message=f"Deploying release {RELEASE}; back at {self.window.end:%H:%M} UTC.",
        )
        self.env["PYTEST_RELEASE_DEPLOY_STARTED"] = datetime.now(UTC).isoformat()
        self.stop()
        self.start(RELEASE, faults=self.o.faults)
        self.check("deploy: in the window", "clear and rebuild caches", "deploy", DEPLOY_IN_WINDOW)
        self.say("  action: maintenance off; withdraw the banner")
        set_maintenance(self.data, False)
        announce_window(self.data, None)
        smoke = self.check("smoke", "smoke testing", "smoke", ["-m", "smoke"])
        if smoke.verdict in BLOCKING:  # not going live with a release that fails its smoke test
            self.roll_back(smoke)
            return
        go_live = self.check(
            "deploy: go live", "post-deployment verification", "deploy", DEPLOY_GO_LIVE
        )
        post_args = list(POSTDEPLOY_QUICK) if self.o.quick else ["-m", "postdeploy"]
        post = self.check("postdeploy", "post-deployment verification", "postdeploy", post_args)
        failed = next((r for r in (go_live, post) if r.verdict in BLOCKING), None)
        if failed is not None:
            self.roll_back(failed)

    def roll_back(self, failed: PhaseRun) -> None:
        assert self.backup is not None
        self.incident = failed
        self.say(f"  {failed.title} says {failed.verdict}: rolling back to {PREVIOUS}")
        self.env["PYTEST_RELEASE_ROLLBACK_STARTED"] = datetime.now(UTC).isoformat()
        set_maintenance(
            self.data,
            True,
            message=f"Release {RELEASE} had a problem; we are "
            f"restoring {PREVIOUS}. Back in a few minutes.",
        )
        with httpx.Client(base_url=self.url, timeout=30) as client:
            client.get("/status")  # the running release notices maintenance (and logs it)
        self.stop()
        backups.restore_backup(self.backup, self.data)
        self.start(PREVIOUS, schema=PREVIOUS_SCHEMA)
        httpx.get(self.url + "/status", timeout=30)
        set_maintenance(self.data, False)
        self.rolled_back = True
        self.attest(rollback_entries(datetime.now(UTC), self.o.faults))
        args = ["suites/rollback", "suites/smoke"]
        args += list(POSTDEPLOY_QUICK[1:]) if self.o.quick else ["suites/postdeploy/functionality"]
        self.check(
            "rollback",
            "post-deployment verification",
            "rollback",
            args,
            PYTEST_RELEASE_INCIDENT_RESULTS=str(failed.report_dir / "results.json"),
        )


def rollback_entries(now: datetime, faults: Sequence[str]) -> str:
    """Root cause and fix stay attestations: the rehearsal knows them, it switched the fault on."""
    at = now.replace(microsecond=0)
    cause = ", ".join(faults) or "no fault switch (look at the failing items)"
    return array_of_tables(
        "attestation",
        [
            {
                "item": "rollback.post.root-cause",
                "by": BY,
                "at": at,
                "note": f"rehearsal: the new release was deployed with the fault(s) {cause}",
            },
            {
                "item": "rollback.post.develop-fix",
                "by": BY,
                "at": at,
                "note": "rehearsal: the next release is deployed without the fault switch",
            },
        ],
    )
