"""System requirements of the host this runs on: CPUs, memory, free disk, runtime versions.

Run the predeploy phase on the production host (or an identical one) for this item to
speak about production. Runtimes are checked by running a command that prints a version
(``python``: this interpreter; ``php``: ``php -r 'echo PHP_VERSION;'``) against a PEP 440
specifier such as ``">=8.1"``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from pytest_release.config_table import Table
from pytest_release.settings import ConfigError

KNOWN_COMMANDS: Mapping[str, tuple[str, ...]] = {
    "python": (sys.executable, "-c", "import platform; print(platform.python_version())"),
    "php": ("php", "-r", "echo PHP_VERSION;"),
    "node": ("node", "--version"),
    "git": ("git", "--version"),
    "psql": ("psql", "--version"),
    "redis-server": ("redis-server", "--version"),
    "bwrap": ("bwrap", "--version"),
}
_VERSION = re.compile(r"(\d+(?:\.\d+)+)")


@dataclass(frozen=True, slots=True)
class Runtime:
    name: str
    command: tuple[str, ...]
    spec: SpecifierSet


@dataclass(frozen=True, slots=True)
class SystemConfig:
    """``[tool.pytest_release.predeploy.system]``."""

    min_cpus: int = 1
    min_memory_mb: int = 1024
    min_disk_free_mb: int = 1024
    disk_path: Path = Path(".")
    runtimes: tuple[Runtime, ...] = ()


def system_config(table: Table) -> SystemConfig:
    runtimes = []
    for name, value in table.mapping("runtimes").items():
        if isinstance(value, str):
            command, spec_text = KNOWN_COMMANDS.get(name), value
        elif isinstance(value, Mapping) and isinstance(value.get("version"), str):
            raw = value.get("command")
            valid = isinstance(raw, list) and raw and all(isinstance(a, str) for a in raw)
            command, spec_text = (tuple(raw) if valid else None), value["version"]  # type: ignore[arg-type]
        else:
            command, spec_text = None, ""
        if command is None:
            raise ConfigError(
                f"{table.name} runtimes.{name}: write a version like '>=8.1' (known runtimes: "
                f"{', '.join(KNOWN_COMMANDS)}) or {{command = [...], version = '>=1.0'}}"
            )
        try:
            spec = SpecifierSet(spec_text)
        except InvalidSpecifier:
            raise ConfigError(
                f"{table.name} runtimes.{name} = {spec_text!r} is not a version specifier like "
                "'>=8.1'"
            ) from None
        runtimes.append(Runtime(name, command, spec))
    return SystemConfig(
        min_cpus=table.integer("min_cpus", 1, minimum=1),
        min_memory_mb=table.integer("min_memory_mb", 1024),
        min_disk_free_mb=table.integer("min_disk_free_mb", 1024),
        disk_path=table.path("disk_path") or table.rootpath,
        runtimes=tuple(runtimes),
    )


@dataclass(frozen=True, slots=True)
class SystemResult:
    measured: Mapping[str, Any]
    problems: tuple[str, ...]

    def evidence(self) -> dict[str, Any]:
        return {"measured": dict(self.measured), "problems": list(self.problems)}


def runtime_version(command: tuple[str, ...]) -> tuple[str | None, str]:
    """(version, raw output) of a runtime; version None when it did not run or print one."""
    if shutil.which(command[0]) is None and not os.path.isfile(command[0]):
        return None, f"{command[0]} not found on PATH"
    try:
        done = subprocess.run(  # nosec B603 - an argument list from the project's config
            list(command),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    output = (done.stdout + done.stderr).strip()
    match = _VERSION.search(output)
    return (match.group(1) if match and done.returncode == 0 else None), output[:200]


def check_system(config: SystemConfig) -> SystemResult:
    """Measure this host and compare with the requirements."""
    problems: list[str] = []
    cpus = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
    memory_mb = psutil.virtual_memory().total // (1024 * 1024)
    disk_mb = shutil.disk_usage(config.disk_path).free // (1024 * 1024)
    measured: dict[str, Any] = {
        "cpus": cpus,
        "memory_mb": memory_mb,
        "disk_free_mb": disk_mb,
        "disk_path": str(config.disk_path),
    }
    if cpus < config.min_cpus:
        problems.append(
            f"{cpus} CPU(s) available, {config.min_cpus} required: move to a larger host"
        )
    if memory_mb < config.min_memory_mb:
        problems.append(f"{memory_mb} MB of memory, {config.min_memory_mb} MB required: add memory")
    if disk_mb < config.min_disk_free_mb:
        problems.append(
            f"{disk_mb} MB free on {config.disk_path}, {config.min_disk_free_mb} MB required: "
            "free space (old releases, logs, backups) or grow the volume"
        )
    for runtime in config.runtimes:
        version, output = runtime_version(runtime.command)
        measured[runtime.name] = version or output
        if version is None:
            problems.append(
                f"{runtime.name}: could not get a version from {' '.join(runtime.command)} "
                f"({output or 'no output'}): install {runtime.name} {runtime.spec}"
            )
            continue
        try:
            ok = Version(version) in runtime.spec
        except InvalidVersion:
            ok = False
        if not ok:
            problems.append(
                f"{runtime.name} {version} does not satisfy {runtime.spec}: install a matching "
                "version"
            )
    return SystemResult(measured, tuple(problems))
