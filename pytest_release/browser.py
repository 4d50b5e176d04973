"""Chromium for the browser checks: where it is, how it is launched (no pytest here).

Discovery order: ``PYTEST_RELEASE_CHROMIUM``, ``[tool.pytest_release.browser] executable``,
the usual system paths (Debian's ``/usr/bin/chromium`` first), then Playwright's own
download cache. A Playwright ``channel`` (``chrome``, ``msedge``) skips discovery and lets
Playwright find the branded browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_release.config_number import is_number

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Playwright

CHROMIUM_ENV = "PYTEST_RELEASE_CHROMIUM"
SYSTEM_CANDIDATES = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/snap/bin/chromium",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
)
# Flags for containers and CI machines: no sandbox (often no user namespaces), no GPU, and
# nothing that phones home while the checks run.
DEFAULT_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
INSTALL_HINT = (
    "install one with `sudo apt-get install chromium` (Debian/Ubuntu) or "
    "`python -m playwright install chromium`, or point "
    f"{CHROMIUM_ENV}=/path/to/chrome (or [tool.pytest_release.browser] executable) at one"
)


class TraceMode(StrEnum):
    """When a Playwright trace is kept."""

    OFF = "off"
    ON = "on"
    RETAIN_ON_FAILURE = "retain-on-failure"


class Isolation(StrEnum):
    """How tests are kept apart in the browser."""

    # A new browser context per test: no cookies, no storage, no cache (a first visit).
    CONTEXT = "context"
    # One browser profile per worker; each test gets a new page with the target's cookies,
    # storage and permissions cleared, while the HTTP and compiled-code caches stay warm
    # (a returning visitor). Parsing Monaco afresh costs seconds of CPU per test.
    STORAGE = "storage"


class BrowserConfigError(ValueError):
    """A bad value in [tool.pytest_release.browser]; the message names key, value and fix."""


class BrowserNotFound(Exception):
    """No usable Chromium; the message lists where we looked and how to get one."""


@dataclass(frozen=True, slots=True)
class BrowserSettings:
    """How the browser checks launch Chromium ([tool.pytest_release.browser])."""

    executable: str | None = None
    channel: str | None = None
    headless: bool = True
    args: tuple[str, ...] = DEFAULT_ARGS
    timeout_s: float = 10.0
    trace: TraceMode = TraceMode.RETAIN_ON_FAILURE
    # DOM snapshots make a trace replayable but cost seconds per test on a Monaco page
    # (every poll is an action); actions, console and network are always in the trace.
    trace_snapshots: bool = False
    isolation: Isolation = Isolation.CONTEXT
    viewport: tuple[int, int] = (1280, 900)
    slow_mo_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class ChromiumExecutable:
    """A browser binary and how it was found (for messages and evidence)."""

    path: str
    source: str


_BROWSER_KEYS = frozenset(
    {
        "executable",
        "channel",
        "headless",
        "args",
        "extra_args",
        "timeout_s",
        "trace",
        "trace_snapshots",
        "isolation",
        "viewport",
    }
)


def browser_settings(
    table: Mapping[str, Any], *, headed: bool = False, channel: str | None = None
) -> BrowserSettings:
    """Validate [tool.pytest_release.browser]; ``headed``/``channel`` come from the CLI."""
    unknown = sorted(set(table) - _BROWSER_KEYS)
    if unknown:
        raise BrowserConfigError(
            f"[tool.pytest_release.browser] has unknown key(s) {', '.join(unknown)}; "
            f"known keys: {', '.join(sorted(_BROWSER_KEYS))}"
        )
    executable = table.get("executable")
    if executable is not None and not isinstance(executable, str):
        raise BrowserConfigError(
            f"[tool.pytest_release.browser] executable = {executable!r}: use a path string"
        )
    args = _strings(table.get("args", list(DEFAULT_ARGS)), "args")
    args += _strings(table.get("extra_args", []), "extra_args")
    headless = _bool(table, "headless", True)
    snapshots = _bool(table, "trace_snapshots", False)
    timeout = table.get("timeout_s", 10.0)
    if not is_number(timeout) or timeout <= 0:
        raise BrowserConfigError(
            f"[tool.pytest_release.browser] timeout_s = {timeout!r}: use a number of seconds > 0"
        )
    try:
        trace = TraceMode(table.get("trace", TraceMode.RETAIN_ON_FAILURE.value))
    except ValueError:
        allowed = ", ".join(m.value for m in TraceMode)
        raise BrowserConfigError(
            f"[tool.pytest_release.browser] trace = {table.get('trace')!r}: use one of {allowed}"
        ) from None
    try:
        isolation = Isolation(table.get("isolation", Isolation.CONTEXT.value))
    except ValueError:
        allowed = ", ".join(m.value for m in Isolation)
        raise BrowserConfigError(
            f"[tool.pytest_release.browser] isolation = {table.get('isolation')!r}: use one "
            f"of {allowed}"
        ) from None
    viewport = table.get("viewport", [1280, 900])
    if (
        not isinstance(viewport, list | tuple)
        or len(viewport) != 2
        or not all(isinstance(v, int) and v > 0 for v in viewport)
    ):
        raise BrowserConfigError(
            f"[tool.pytest_release.browser] viewport = {viewport!r}: use [width, height] in pixels"
        )
    chosen_channel = channel or table.get("channel")
    return BrowserSettings(
        executable=executable,
        channel=str(chosen_channel) if chosen_channel else None,
        headless=bool(headless) and not headed,
        args=args,
        timeout_s=float(timeout),
        trace=trace,
        trace_snapshots=snapshots,
        isolation=isolation,
        viewport=(int(viewport[0]), int(viewport[1])),
    )


def _bool(table: Mapping[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise BrowserConfigError(
            f"[tool.pytest_release.browser] {key} = {value!r}: use true or false"
        )
    return value


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise BrowserConfigError(
            f"[tool.pytest_release.browser] {key} = {value!r}: use a list of strings"
        )
    return tuple(value)


def playwright_cache_dirs(environ: Mapping[str, str]) -> list[Path]:
    """Where Playwright keeps downloaded browsers (PLAYWRIGHT_BROWSERS_PATH, then default)."""
    dirs: list[Path] = []
    custom = environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if custom and custom != "0":
        dirs.append(Path(custom).expanduser())
    home = Path(environ.get("HOME") or Path.home())
    dirs.append(Path(environ.get("XDG_CACHE_HOME") or home / ".cache") / "ms-playwright")
    dirs.append(home / "Library" / "Caches" / "ms-playwright")
    return dirs


def _cached_playwright_chromium(dirs: Sequence[Path]) -> str | None:
    patterns = (
        "chromium-*/chrome-linux*/chrome",
        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
        "chromium_headless_shell-*/chrome-*/headless_shell",
    )
    for directory in dirs:
        if not directory.is_dir():
            continue
        found = sorted(
            (p for pattern in patterns for p in directory.glob(pattern)),
            key=lambda p: p.as_posix(),
            reverse=True,  # newest revision first
        )
        for path in found:
            if os.access(path, os.X_OK):
                return str(path)
    return None


def find_chromium(
    configured: str | None = None,
    environ: Mapping[str, str] | None = None,
    candidates: Sequence[str] = SYSTEM_CANDIDATES,
) -> ChromiumExecutable:
    """The Chromium to launch; raises BrowserNotFound with what was tried and the fix."""
    env = os.environ if environ is None else environ
    tried: list[str] = []
    for value, source in ((env.get(CHROMIUM_ENV), CHROMIUM_ENV), (configured, "configuration")):
        if not value:
            continue
        resolved = shutil.which(value) or value
        if Path(resolved).is_file() and os.access(resolved, os.X_OK):
            return ChromiumExecutable(resolved, source)
        # An explicit choice that does not work is an error, not a reason to pick another.
        raise BrowserNotFound(
            f"{source} names the browser {value!r}, but that is not an executable file; "
            f"fix the path or unset it ({INSTALL_HINT})"
        )
    for candidate in candidates:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return ChromiumExecutable(candidate, "system")
        tried.append(candidate)
    dirs = playwright_cache_dirs(env)
    cached = _cached_playwright_chromium(dirs)
    if cached is not None:
        return ChromiumExecutable(cached, "playwright cache")
    tried.extend(f"{d}/chromium-*" for d in dirs)
    raise BrowserNotFound(f"no Chromium found (looked at {', '.join(tried)}); {INSTALL_HINT}")


def launch_options(settings: BrowserSettings) -> dict[str, Any]:
    """Playwright launch options: headless unless headed, this machine's flags, the binary."""
    options: dict[str, Any] = {
        "headless": settings.headless,
        "args": list(settings.args),
        "timeout": settings.timeout_s * 3000,  # a cold start on a busy CI box is slow
    }
    if settings.slow_mo_ms:
        options["slow_mo"] = settings.slow_mo_ms
    if settings.channel:
        options["channel"] = settings.channel
    else:
        options["executable_path"] = find_chromium(settings.executable).path
    return options


def launch_chromium(playwright: Playwright, settings: BrowserSettings) -> Browser:
    """Launch Chromium for fresh contexts (``browser.new_context()`` per test)."""
    return playwright.chromium.launch(**launch_options(settings))


def launch_warm_profile(
    playwright: Playwright, settings: BrowserSettings, user_data_dir: Path
) -> BrowserContext:
    """Launch Chromium with an on-disk profile whose caches outlive each test's page."""
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        viewport={"width": settings.viewport[0], "height": settings.viewport[1]},
        **launch_options(settings),
    )
