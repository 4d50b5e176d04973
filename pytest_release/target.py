"""The deployment under test: where it is, whether it answers, which version it runs."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_release import __version__

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"pytest-release/{__version__} (deployment checklist verification)"
# (total, connect) seconds; httpx is imported lazily so that runs without a target pay nothing.
REACHABILITY_TIMEOUT = (5.0, 3.0)
DEFAULT_TIMEOUT = (15.0, 5.0)


@dataclass(frozen=True, slots=True)
class Target:
    """The base URL of the deployment, the version expected and the version it reports."""

    url: str
    expected_version: str | None = None
    version_seen: str | None = None
    reference: bool = False
    #: The state directory (database, logs, backups) of an auto-started reference deployment.
    data_dir: Path | None = None

    def join(self, path: str) -> str:
        return self.url.rstrip("/") + "/" + path.lstrip("/")


class TargetUnreachable(Exception):
    """The target did not answer; the message says what happened and what to check."""


def make_client(base_url: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> httpx.Client:
    """An httpx client with sane timeouts and a user agent naming the tool."""
    import httpx

    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout[0], connect=timeout[1]),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def check_reachable(url: str) -> str | None:
    """Ask the target once, quickly; return the version it reports (from /version) if any.

    Any HTTP answer (even 503 during maintenance) counts as reachable; connection errors,
    timeouts and TLS failures raise TargetUnreachable.
    """
    import httpx

    with make_client(url, REACHABILITY_TIMEOUT) as client:
        try:
            client.get("/")
        except httpx.HTTPError as exc:
            raise TargetUnreachable(
                f"{url} did not answer ({type(exc).__name__}: {exc or 'no detail'}); "
                "check the URL, that the service is running and that this machine can reach it"
            ) from exc
        try:
            response = client.get("/version")
            if response.status_code == 200:
                data = response.json()
                if isinstance(data, dict) and data.get("version") is not None:
                    return str(data["version"])
        except (httpx.HTTPError, ValueError):
            pass  # /version is optional for reachability; the deploy suite checks it
    return None


@dataclass(slots=True)
class StartedReference:
    url: str
    stop: Callable[[], None]
    data_dir: Path | None = None


def start_reference(faults: tuple[str, ...]) -> StartedReference:
    """Start the bundled reference deployment on a free loopback port."""
    try:
        from pytest_release.reference.launcher import start_reference_server
    except ImportError as exc:
        raise TargetUnreachable(
            "no --target-url was given and the bundled reference deployment cannot be "
            f"imported ({exc}); pass --target-url URL"
        ) from exc
    env_faults = tuple(f for f in os.environ.get("PYTEST_RELEASE_FAULTS", "").split(",") if f)
    try:
        server = start_reference_server(faults=(*env_faults, *faults))
    except Exception as exc:  # any start failure becomes a reason, never a crash
        raise TargetUnreachable(f"the bundled reference deployment did not start: {exc}") from exc
    return StartedReference(url=server.url, stop=server.stop, data_dir=server.data_dir)


class TargetProvider:
    """The session's target, resolved once and shared by collection-time discovery and fixtures.

    Without a URL the bundled reference deployment is started on first use; ``close()``
    stops it. An unreachable target is remembered, so every caller gets the same reason fast.
    """

    def __init__(
        self,
        url: str | None,
        faults: tuple[str, ...] = (),
        expected_version: str | None = None,
    ) -> None:
        self._url = url
        self._faults = faults
        self._expected_version = expected_version
        self._started: StartedReference | None = None
        self._resolved: Target | None = None
        self._failure: TargetUnreachable | None = None
        self._lock = threading.Lock()

    def prestart(self) -> None:
        """Resolve in the background (e.g. boot the reference while Chromium launches)."""
        if self._resolved is None and self._failure is None and not self._lock.locked():
            threading.Thread(target=self._resolve_quietly, daemon=True).start()

    def _resolve_quietly(self) -> None:
        # A TargetUnreachable is remembered and raised by the caller's resolve(); anything else
        # the caller meets again itself, where it can be reported.
        with contextlib.suppress(Exception):
            self.resolve()

    def resolve(self) -> Target:
        """The target, checked for reachability; raises TargetUnreachable (cached)."""
        with self._lock:  # a prestart in progress finishes first
            return self._resolve()

    def _resolve(self) -> Target:
        if self._resolved is not None:
            return self._resolved
        if self._failure is not None:
            raise self._failure
        try:
            url = self._url
            if url is None:
                self._started = start_reference(self._faults)
                url = self._started.url
            seen = check_reachable(url)
        except TargetUnreachable as exc:
            self._stop()
            self._failure = exc
            raise
        self._resolved = Target(
            url=url,
            expected_version=self._expected_version,
            version_seen=seen,
            reference=self._started is not None,
            data_dir=self._started.data_dir if self._started is not None else None,
        )
        return self._resolved

    def close(self) -> None:
        """Stop the reference deployment if this provider started it."""
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        started, self._started = self._started, None
        if started is not None:
            started.stop()
