"""Fault switches: one realistic defect each, so every suite can be shown to fail rightly.

A fault is switched on with ``--fault NAME`` (repeatable) or the environment variable
``PYTEST_RELEASE_FAULTS`` (comma separated). Each one changes exactly the behaviour its
description names; everything else keeps working, so a suite run against a faulty
instance should fail on the matching checklist item(s) only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from types import MappingProxyType

FAULTS_ENV = "PYTEST_RELEASE_FAULTS"

# name -> one line a person reads in `--list-faults`. Order: browser, API, security,
# operations, then the sandbox faults (implemented by pytest_release.reference.sandbox).
_REGISTRY: dict[str, str] = {
    # pages / browser
    "monaco-missing": "Monaco is not deployed: /static/monaco/* answers 404, editors fail to load",
    "no-persist": "edits are not saved to localStorage (and so not restored on reload)",
    "console-error": "every page loads a script that throws an uncaught JavaScript error",
    "broken-asset": "every page references a JavaScript file that answers 404",
    "slow-pages": "pages take 1.5 s longer to render",
    # code execution API
    "run-500": "POST /api/run answers 500 (generic JSON error) for every well-formed request",
    "slow-api": "POST /api/run takes 1.5 s longer",
    "no-rate-limit": "no rate limit on /api/run",
    "malformed-json-500": "POST /api/run answers 500 (generic error) for a body that is not JSON",
    "output-as-html": "the page shows program output as HTML (innerHTML): output can inject markup",
    # security
    "csp-missing": "no Content-Security-Policy header",
    "csp-unsafe-inline": "Content-Security-Policy allows 'unsafe-inline' in script-src",
    "cors-reflect": "CORS reflects any Origin and allows credentials",
    "git-exposed": "/.git/HEAD and /.git/config are served",
    "env-exposed": "/.env is served (with fake secrets)",
    "server-banner": "Server and X-Powered-By headers carry software versions",
    "stack-trace": (
        "unhandled errors answer 500 with a Python traceback; POST /api/run with a "
        'non-string "code" triggers one'
    ),
    "admin-open": "/admin answers without credentials",
    # operations
    "memory-leak": "every request leaks 256 KiB that is never freed",
    "cpu-spike": "a background thread burns one CPU for 1 s every 3 s",
    "maintenance-stuck": "maintenance mode stays on whatever the state file says",
    "wrong-version": "/version reports a stale release (0.0.0-stale, commit 0000000)",
    "migrations-pending": "database migrations are not run to head at startup",
    "metrics-missing": "/metrics answers 404",
    "no-tracking": "code runs are not recorded in the usage statistics",
    "no-error-log": "errors are not logged (no log line for 4xx/5xx responses or exceptions)",
    # sandbox (implemented by the Sandbox itself; passed through to Sandbox(faults=...))
    "sandbox-host-files": "the sandbox lets user code read host files (/etc, the app's source)",
    "sandbox-network": "the sandbox lets user code open network connections",
    "sandbox-env-leak": "the sandbox passes the server's environment variables to user code",
}

FAULTS: Mapping[str, str] = MappingProxyType(_REGISTRY)
SANDBOX_FAULTS = frozenset(name for name in _REGISTRY if name.startswith("sandbox-"))


class UnknownFaultError(ValueError):
    """A fault name that is not in the registry."""


def parse_faults(names: Iterable[str]) -> frozenset[str]:
    """Validate fault names (each may itself be comma separated); raise on unknown ones."""
    chosen: set[str] = set()
    for raw in names:
        for part in raw.split(","):
            name = part.strip()
            if name:
                chosen.add(name)
    unknown = sorted(chosen - _REGISTRY.keys())
    if unknown:
        raise UnknownFaultError(
            f"unknown fault(s): {', '.join(unknown)}; "
            "list the available ones with `pytest-release serve --list-faults`"
        )
    return frozenset(chosen)


def faults_from_env(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """Faults named in PYTEST_RELEASE_FAULTS (comma separated)."""
    env = os.environ if environ is None else environ
    return parse_faults([env.get(FAULTS_ENV, "")])


def describe_faults() -> str:
    """The registry as aligned text lines, for ``--list-faults``."""
    width = max(len(name) for name in _REGISTRY)
    return "\n".join(f"{name.ljust(width)}  {text}" for name, text in _REGISTRY.items())
