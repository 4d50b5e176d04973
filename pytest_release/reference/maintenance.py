"""Maintenance mode and the announced maintenance window, kept in a file in the data dir.

The CLI (`pytest-release maintenance on|off|status|announce`) and the running server
share nothing but this file, so switching works across processes and survives restarts.
The server notices a change by the file's mtime/size on each request (a stat call).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_release.reference.logging_json import get_logger, log_event
from pytest_release.reference.settings import (
    DEFAULT_WINDOW_MESSAGE,
    MaintenanceWindow,
    parse_when,
)

STATE_FILE = "maintenance.json"
DEFAULT_MESSAGE = "We are deploying a new release. Interactive examples will be back shortly."
DEFAULT_RETRY_AFTER_S = 600
logger = get_logger("maintenance")


@dataclass(frozen=True, slots=True)
class MaintenanceState:
    """Whether maintenance mode is on, what users are told, and any announced window."""

    enabled: bool = False
    message: str = DEFAULT_MESSAGE
    since: datetime | None = None
    retry_after_s: int = DEFAULT_RETRY_AFTER_S
    window: MaintenanceWindow | None = None

    def to_json(self) -> dict[str, Any]:
        """The state as stored in the file and shown by `maintenance status`."""
        return {
            "enabled": self.enabled,
            "message": self.message,
            "since": self.since.isoformat() if self.since else None,
            "retry_after_s": self.retry_after_s,
            "window": window_json(self.window),
        }


def window_json(window: MaintenanceWindow | None) -> dict[str, str] | None:
    """A window as JSON-ready strings."""
    if window is None:
        return None
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "message": window.message,
    }


def state_path(data_dir: Path) -> Path:
    """The file that holds the maintenance state."""
    return Path(data_dir) / STATE_FILE


def _from_json(raw: dict[str, Any]) -> MaintenanceState:
    window = None
    if isinstance(raw.get("window"), dict):
        win = raw["window"]
        window = MaintenanceWindow(
            parse_when(str(win["start"]), name="window start"),
            parse_when(str(win["end"]), name="window end"),
            str(win.get("message") or DEFAULT_WINDOW_MESSAGE),
        )
    since = raw.get("since")
    return MaintenanceState(
        enabled=bool(raw.get("enabled", False)),
        message=str(raw.get("message") or DEFAULT_MESSAGE),
        since=parse_when(since, name="since") if isinstance(since, str) else None,
        retry_after_s=int(raw.get("retry_after_s") or DEFAULT_RETRY_AFTER_S),
        window=window,
    )


def read_state(data_dir: Path) -> MaintenanceState:
    """The stored state; a missing file means maintenance is off."""
    try:
        raw = json.loads(state_path(data_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return MaintenanceState()
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{state_path(data_dir)} is not valid maintenance state ({exc}); "
            "delete it to turn maintenance mode off"
        ) from exc
    return _from_json(raw if isinstance(raw, dict) else {})


def write_state(data_dir: Path, state: MaintenanceState) -> MaintenanceState:
    """Store ``state`` atomically (a reader never sees half a file)."""
    directory = Path(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".maintenance-", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state.to_json(), handle, indent=2)
    os.replace(tmp, state_path(directory))
    return state


def set_maintenance(
    data_dir: Path,
    enabled: bool,
    *,
    message: str | None = None,
    retry_after_s: int | None = None,
) -> MaintenanceState:
    """Switch maintenance mode on or off (the function `pytest-release maintenance` calls)."""
    current = read_state(data_dir)
    state = replace(
        current,
        enabled=enabled,
        message=message or DEFAULT_MESSAGE,
        since=datetime.now(UTC) if enabled else None,
        retry_after_s=retry_after_s or current.retry_after_s,
    )
    return write_state(data_dir, state)


def announce_window(data_dir: Path, window: MaintenanceWindow | None) -> MaintenanceState:
    """Announce (or with None, withdraw) an upcoming maintenance window for the site banner."""
    return write_state(data_dir, replace(read_state(data_dir), window=window))


class MaintenanceMonitor:
    """The server's view of the state file, re-read only when the file changes."""

    def __init__(self, data_dir: Path, *, stuck: bool = False) -> None:
        self._path = state_path(data_dir)
        self._data_dir = Path(data_dir)
        self._stuck = stuck
        self._key: tuple[int, int] | None = None
        self._state = MaintenanceState()

    def current(self) -> MaintenanceState:
        """The state now (with the maintenance-stuck fault, always on)."""
        try:
            info = self._path.stat()
            key: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            key = None
        if key != self._key:
            self._key = key
            # A broken file must not take the site down; keep the last good state.
            with contextlib.suppress(ValueError):
                before = self._state
                self._state = read_state(self._data_dir)
                if self._state.enabled != before.enabled:
                    # The log records when users saw the maintenance page, and what it said.
                    log_event(
                        logger,
                        "maintenance-changed",
                        enabled=self._state.enabled,
                        message=self._state.message if self._state.enabled else None,
                    )
        if self._stuck and not self._state.enabled:
            return replace(self._state, enabled=True, since=self._state.since)
        return self._state
