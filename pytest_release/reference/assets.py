"""Monaco editor assets: a local copy of the npm package, never a CDN.

`ensure_monaco()` installs ``monaco-editor@MONACO_VERSION`` with npm into a cache
directory once (default ``~/.cache/pytest-release/monaco``, override with
``PYTEST_RELEASE_MONACO_DIR``) and returns the ``min/vs`` directory the app serves
under ``/static/monaco/vs/``. Run it ahead of time with::

    python -m pytest_release.reference.assets install
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

MONACO_VERSION = "0.57.0"
MONACO_DIR_ENV = "PYTEST_RELEASE_MONACO_DIR"
NPM_TIMEOUT_S = 300.0


class AssetsError(RuntimeError):
    """Monaco could not be installed or found; the message says how to fix it."""


def cache_dir(environ: dict[str, str] | None = None) -> Path:
    """The directory npm installs Monaco into."""
    env = dict(os.environ) if environ is None else environ
    if env.get(MONACO_DIR_ENV):
        return Path(env[MONACO_DIR_ENV]).expanduser()
    base = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "pytest-release" / "monaco"


def vs_dir(root: Path) -> Path:
    """The AMD build (``min/vs``) inside an npm prefix."""
    return root / "node_modules" / "monaco-editor" / "min" / "vs"


def installed_version(root: Path) -> str | None:
    """The monaco-editor version installed under ``root``, if any."""
    manifest = root / "node_modules" / "monaco-editor" / "package.json"
    try:
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return version if isinstance(version, str) else None


def is_installed(root: Path) -> bool:
    """Whether the pinned Monaco is complete under ``root`` (loader and editor present)."""
    vs = vs_dir(root)
    return (
        installed_version(root) == MONACO_VERSION
        and (vs / "loader.js").is_file()
        and (vs / "editor" / "editor.main.js").is_file()
    )


def install(root: Path) -> Path:
    """Install the pinned Monaco with npm under ``root``; return its ``min/vs`` directory."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsError(
            "npm is not installed, so the Monaco editor cannot be fetched. Install Node.js "
            "and npm (Debian: `apt-get install npm`), or copy the npm package "
            f"monaco-editor@{MONACO_VERSION} into {root}/node_modules/monaco-editor "
            f"(or point {MONACO_DIR_ENV} at a directory that has it)."
        )
    root.mkdir(parents=True, exist_ok=True)
    command = [
        npm,
        "install",
        "--prefix",
        str(root),
        "--no-audit",
        "--no-fund",
        "--no-save",
        "--loglevel=error",
        f"monaco-editor@{MONACO_VERSION}",
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise AssetsError(
            f"`npm install monaco-editor@{MONACO_VERSION}` did not finish in "
            f"{NPM_TIMEOUT_S:.0f} s: is the npm registry reachable from this machine?"
        ) from exc
    if done.returncode != 0 or not is_installed(root):
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise AssetsError(
            f"`{' '.join(command)}` failed (exit {done.returncode}); check that the npm "
            f"registry is reachable and {root} is writable.\n{tail}"
        )
    return vs_dir(root)


def ensure_monaco(root: Path | None = None) -> Path:
    """The served ``min/vs`` directory, installing Monaco first when it is missing."""
    target = cache_dir() if root is None else root
    if is_installed(target):
        return vs_dir(target)
    return install(target)


def main(argv: list[str] | None = None) -> int:
    """``python -m pytest_release.reference.assets install|path``."""
    parser = argparse.ArgumentParser(
        prog="python -m pytest_release.reference.assets",
        description=f"Install or locate the local Monaco editor (monaco-editor@{MONACO_VERSION}).",
    )
    parser.add_argument("action", choices=["install", "path"])
    parser.add_argument("--dir", type=Path, default=None, help="npm prefix (default: cache dir)")
    args = parser.parse_args(argv)
    root = args.dir or cache_dir()
    if args.action == "path":
        if not is_installed(root):
            print(f"Monaco is not installed under {root}; run `install`", file=sys.stderr)
            return 1
        print(vs_dir(root))
        return 0
    try:
        vs = ensure_monaco(root)
    except AssetsError as exc:
        print(f"pytest-release: {exc}", file=sys.stderr)
        return 1
    print(f"Monaco {MONACO_VERSION} ready in {vs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
