"""Sending one program to the run API, patiently but within bounds.

"Busy" answers (the sandbox's slots are all taken) and 429s are retried after the wait
the target asks for, as long as the pack's deadline allows; everything else is recorded
as it came back. The record is the probe's evidence: code, answer, timing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from pytest_release.probes.sandbox.model import RunRecord

EXIT_BUSY = 75  # sysexits EX_TEMPFAIL: the contract's "nothing ran, try again"
BUSY_RETRY_S = 0.3
MAX_RETRY_AFTER_S = 10.0


def retry_after_seconds(value: str | None, default: float = 1.0) -> float:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); ``default`` if absent."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


@dataclass(slots=True)
class RunClient:
    """Posts programs to ``path`` on ``client`` until ``deadline`` (a monotonic time)."""

    client: httpx.Client
    path: str
    deadline: float
    run_timeout_s: float
    origin: float  # monotonic time the pack started (records are relative to it)
    clock: Callable[[], float] = time.monotonic

    def run(self, code: str, language: str) -> RunRecord:
        """Send ``code``; retry busy answers and 429s while time allows."""
        started = self.clock()
        attempts = 0
        while True:
            attempts += 1
            status, body, error, wait = self._send(code, language)
            now = self.clock()
            # A 503 may be maintenance, which outlasts any pack: try it twice, not forever.
            gave_up = status == 503 and attempts >= 2
            if wait is None or gave_up or now + wait >= self.deadline:
                return RunRecord(
                    language=language,
                    code=code,
                    status=status,
                    body=body,
                    started_s=started - self.origin,
                    elapsed_s=now - started,
                    attempts=attempts,
                    transport_error=error,
                )
            time.sleep(wait)

    def _send(
        self, code: str, language: str
    ) -> tuple[int | None, object, str | None, float | None]:
        """(status, body, transport error, seconds to wait before a retry or None)."""
        remaining = max(1.0, self.deadline - self.clock())
        try:
            response = self.client.post(
                self.path,
                json={"code": code, "language": language},
                timeout=min(self.run_timeout_s, remaining),
            )
        except httpx.HTTPError as exc:
            return None, None, f"{type(exc).__name__}: {exc or 'no detail'}", None
        try:
            body: object = response.json()
        except ValueError:
            body = response.text
        if response.status_code in (429, 503):
            wait = retry_after_seconds(response.headers.get("retry-after"))
            return response.status_code, body, None, min(wait + 0.1, MAX_RETRY_AFTER_S)
        if (
            response.status_code == 200
            and isinstance(body, dict)
            and body.get("exit_code") == EXIT_BUSY
            and "busy" in str(body.get("error", "")).lower()
        ):
            return response.status_code, body, None, BUSY_RETRY_S
        return response.status_code, body, None, None
