"""Run suites the way a user does: ``python -m pytest`` in a child process, then read results.json.

The child must not inherit this process's own settings (``PYTEST_RELEASE_*`` would
override its options) and, where asked, not an xdist parent's ``PYTEST_XDIST_*`` either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

OWN_SETTINGS = ("PYTEST_RELEASE_",)
OWN_SETTINGS_AND_XDIST = ("PYTEST_RELEASE_", "PYTEST_XDIST_")


def child_environ(
    extra: Mapping[str, str] | None = None, *, drop: tuple[str, ...] = OWN_SETTINGS
) -> dict[str, str]:
    """This process's environment without variables starting with ``drop``, plus ``extra``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    environ.update(extra or {})
    return environ


def run_pytest(
    args: Sequence[str],
    report_dir: Path,
    *,
    cwd: Path,
    timeout: float,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    drop: tuple[str, ...] = OWN_SETTINGS,
) -> subprocess.CompletedProcess[str]:
    """``python -m pytest ARGS --report-dir=DIR -p no:cacheprovider -q EXTRA_ARGS`` in ``cwd``.

    Output is captured as text; a non-zero exit is the caller's to judge.
    """
    # One token for the option: pytest picks its rootdir from arguments that look like
    # existing paths, and a separate "--report-dir DIR" value would count as one.
    command = [
        sys.executable,
        "-m",
        "pytest",
        *args,
        f"--report-dir={report_dir}",
        "-p",
        "no:cacheprovider",
        "-q",
        *extra_args,
    ]
    return subprocess.run(
        command,
        cwd=cwd,
        env=child_environ(env, drop=drop),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read_results(report_dir: Path) -> dict[str, Any]:
    """The results.json a run wrote into ``report_dir``."""
    results: dict[str, Any] = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    return results
