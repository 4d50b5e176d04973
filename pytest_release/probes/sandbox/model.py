"""Values of the sandbox probe pack: one run sent, one probe's verdict, the whole pack."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

MARKER = "@@prx "
PROGRESS = "@@prx-progress "
_PROGRESS = re.compile(r"^@@prx-progress (\d+)\s*$", re.MULTILINE)
EVIDENCE_OUTPUT_CHARS = 4000


class Verdict(StrEnum):
    """What one probe concluded for one language."""

    CONFINED = "confined"
    ESCAPED = "escaped"
    INCONCLUSIVE = "inconclusive"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One program sent to the run API and what came back (the evidence of a probe)."""

    language: str
    code: str
    status: int | None
    body: Any  # the decoded JSON answer, or the raw text when it was not JSON
    started_s: float  # seconds since the pack started
    elapsed_s: float  # what the client waited, retries included
    attempts: int = 1
    transport_error: str | None = None

    @property
    def answer(self) -> Mapping[str, Any]:
        """The JSON object answered with 200, or {} for anything else."""
        if self.status == 200 and isinstance(self.body, Mapping):
            return self.body
        return {}

    @property
    def output(self) -> str:
        value = self.answer.get("output")
        return value if isinstance(value, str) else ""

    @property
    def error(self) -> str | None:
        value = self.answer.get("error")
        return value if isinstance(value, str) and value else None

    @property
    def exit_code(self) -> int | None:
        value = self.answer.get("exit_code")
        return value if isinstance(value, int) else None

    @property
    def server_ms(self) -> float | None:
        value = self.answer.get("duration_ms")
        return float(value) if isinstance(value, int | float) else None

    def report(self) -> Mapping[str, Any] | None:
        """The probe program's own report (its last ``@@prx {json}`` line), if it got that far."""
        for line in reversed(self.output.splitlines()):
            if line.startswith(MARKER):
                try:
                    value = json.loads(line[len(MARKER) :])
                except ValueError:
                    return None
                return value if isinstance(value, Mapping) else None
        return None

    def progress(self) -> int | None:
        """The last progress number the program printed (memory hog: MB allocated so far)."""
        found = _PROGRESS.findall(self.output)
        return int(found[-1]) if found else None

    def problem(self) -> str | None:
        """Why the API gave no usable answer, or None when it ran the program."""
        if self.transport_error:
            return f"no answer: {self.transport_error}"
        if self.status != 200 or not self.answer:
            text = self.body if isinstance(self.body, str) else json.dumps(self.body)
            return f"the API answered {self.status}: {text[:200]}"
        return None

    def evidence(self) -> dict[str, Any]:
        """Code sent, answer (long output shortened) and timing."""
        body: Any = self.body
        if isinstance(body, Mapping) and isinstance(body.get("output"), str):
            output = body["output"]
            if len(output) > EVIDENCE_OUTPUT_CHARS:
                head = output[: EVIDENCE_OUTPUT_CHARS // 2]
                tail = output[-EVIDENCE_OUTPUT_CHARS // 4 :]
                body = {
                    **body,
                    "output": f"{head}\n[... {len(output)} characters in all ...]\n{tail}",
                }
        elif isinstance(body, str) and len(body) > EVIDENCE_OUTPUT_CHARS:
            body = body[:EVIDENCE_OUTPUT_CHARS] + f"[... {len(body)} characters in all]"
        return {
            "language": self.language,
            "code": self.code,
            "status": self.status,
            "answer": body,
            "started_s": round(self.started_s, 3),
            "elapsed_s": round(self.elapsed_s, 3),
            "attempts": self.attempts,
            "transport_error": self.transport_error,
        }


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe's verdict for one language, with the runs behind it."""

    probe: str
    language: str
    verdict: Verdict
    summary: str  # what happened, one line
    escapes: tuple[str, ...] = ()
    runs: tuple[RunRecord, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        """``[php] network-tcp: escaped: opened a TCP connection to ...``"""
        return f"[{self.language}] {self.probe}: {self.verdict.value}: {self.summary}"

    def evidence(self) -> dict[str, Any]:
        return {
            "probe": self.probe,
            "language": self.language,
            "verdict": self.verdict.value,
            "summary": self.summary,
            "escapes": list(self.escapes),
            "facts": dict(self.facts),
            "runs": [run.evidence() for run in self.runs],
        }


@dataclass(frozen=True, slots=True)
class PackReport:
    """Every probe's results, per language, and how long the pack took."""

    target: str
    endpoint: str
    languages: tuple[str, ...]
    results: tuple[ProbeResult, ...]
    wall_s: float

    def for_probe(self, probe: str) -> tuple[ProbeResult, ...]:
        return tuple(r for r in self.results if r.probe == probe)

    def escaped(self) -> tuple[ProbeResult, ...]:
        return tuple(r for r in self.results if r.verdict is Verdict.ESCAPED)

    def summary(self) -> dict[str, Any]:
        """Verdict per probe and language, for the pack-level evidence."""
        table: dict[str, dict[str, str]] = {}
        for result in self.results:
            table.setdefault(result.probe, {})[result.language] = result.verdict.value
        return {
            "target": self.target,
            "endpoint": self.endpoint,
            "languages": list(self.languages),
            "wall_s": round(self.wall_s, 2),
            "verdicts": table,
            "escapes": [r.line() for r in self.escaped()],
        }
