"""Polling the health endpoint while the probes run: the server must keep answering."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from pytest_release.probes.sandbox.model import ProbeResult, Verdict

POLL_S = 0.5
SLOW_S = 3.0  # an answer slower than this counts as not answering


@dataclass(slots=True)
class HealthMonitor:
    """``with HealthMonitor(client, "/healthz"):`` polls until the block ends."""

    client: httpx.Client
    path: str
    origin: float = field(default_factory=time.monotonic)
    samples: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _poll_once(self) -> None:
        started = time.monotonic()
        try:
            response = self.client.get(self.path, timeout=SLOW_S)
            status: int | None = response.status_code
            error = None
        except httpx.HTTPError as exc:
            status, error = None, f"{type(exc).__name__}: {exc or 'no detail'}"
        took = time.monotonic() - started
        self.samples.append(
            {
                "at_s": round(started - self.origin, 2),
                "status": status,
                "took_s": round(took, 3),
                "error": error,
            }
        )

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._poll_once()
            self._stop.wait(POLL_S)

    def __enter__(self) -> HealthMonitor:
        self._poll_once()  # the baseline, before any probe runs
        self._thread = threading.Thread(target=self._loop, name="prx-health", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=SLOW_S + 1)
        self._poll_once()  # and once after the last probe

    def result(self) -> ProbeResult:
        """Every poll after the baseline must answer, in time, with the baseline's status.

        The baseline status itself is not judged here (a 503 because the sandbox self-test
        fails is the health suite's business); only a change while the probes run is.
        """
        if not self.samples or self.samples[0]["status"] is None:
            reason = "the health endpoint did not answer even before the probes started"
            if self.samples:
                reason += f" ({self.samples[0]['error']})"
            return ProbeResult(
                "server-health", "server", Verdict.INCONCLUSIVE, reason, facts=self._facts()
            )
        baseline = self.samples[0]["status"]
        bad = [
            s
            for s in self.samples[1:]
            if s["status"] != baseline or s["error"] is not None or s["took_s"] > SLOW_S
        ]
        if bad:
            first = bad[0]
            what = first["error"] or f"status {first['status']} in {first['took_s']} s"
            escape = (
                f"{len(bad)} of {len(self.samples) - 1} health checks during the probes went "
                f"wrong, first at +{first['at_s']} s: {what} (before: {baseline})"
            )
            return ProbeResult(
                "server-health",
                "server",
                Verdict.ESCAPED,
                escape,
                escapes=(escape,),
                facts=self._facts(),
            )
        slowest = max(s["took_s"] for s in self.samples)
        summary = (
            f"all {len(self.samples)} health checks answered {baseline}, slowest in {slowest} s"
        )
        return ProbeResult(
            "server-health", "server", Verdict.CONFINED, summary, facts=self._facts()
        )

    def _facts(self) -> dict[str, Any]:
        return {"path": self.path, "samples": list(self.samples)}
