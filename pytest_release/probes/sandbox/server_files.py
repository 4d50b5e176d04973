"""Where the app under test keeps its files, for the "read the app's own files" probe.

For a target on this machine the server process is found by its listening port; its
working directory and the module it runs are what user code must not be able to read.
For a remote target only the usual places (and the configured ``app_paths``) are tried.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence

COMMON_PATHS = (
    "/app/.env",
    "/srv/app/.env",
    "/var/www/.env",
    "/var/www/html/.env",
    "/opt/app/.env",
    "/usr/src/app/.env",
    "/app",
    "/var/www/html",
)
PROJECT_FILES = (".env", "pyproject.toml", "setup.py", "package.json", "composer.json", "config.py")


def server_process(port: int) -> tuple[str | None, tuple[str, ...]]:
    """The local process listening on ``port``: its working directory and its own files."""
    try:
        import psutil

        listeners = [
            c
            for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid
        ]
        if not listeners:
            return None, ()
        process = psutil.Process(listeners[0].pid)
        cwd = process.cwd()
        cmdline = process.cmdline()
    except Exception:  # psutil's AccessDenied/NoSuchProcess, or no psutil: nothing known
        return None, ()
    paths = [os.path.join(cwd, n) for n in PROJECT_FILES if os.path.exists(os.path.join(cwd, n))]
    module = cmdline[cmdline.index("-m") + 1] if "-m" in cmdline[:-1] else None
    if module:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin and os.path.isfile(spec.origin):
            main = os.path.join(os.path.dirname(spec.origin), "__main__.py")
            paths.append(
                main if spec.submodule_search_locations and os.path.isfile(main) else spec.origin
            )
    return cwd, tuple(paths)


def app_paths(local_port: int | None, configured: Sequence[str]) -> tuple[str, ...]:
    """Paths the app-files probe tries, most specific first, without duplicates."""
    found = server_process(local_port)[1] if local_port else ()
    return tuple(dict.fromkeys((*configured, *found, *COMMON_PATHS)))


def server_directory(local_port: int | None) -> tuple[str, ...]:
    """The local server's working directory (a place user code must not write to)."""
    cwd = server_process(local_port)[0] if local_port else None
    return (cwd,) if cwd else ()


def host_file_digests(paths: Sequence[str] = ("/etc/passwd", "/etc/group")) -> dict[str, str]:
    """sha256 of the first 64 KiB of each host file (what the probe program hashes)."""
    import hashlib

    digests = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                digests[path] = hashlib.sha256(handle.read(65536)).hexdigest()
        except OSError:
            continue
    return digests
