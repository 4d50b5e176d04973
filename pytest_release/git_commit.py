"""The git commit a directory's checkout is at (no pytest here)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_commit(directory: Path) -> str | None:
    """``git rev-parse --short=12 HEAD`` run in ``directory``; None without git or a checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None
