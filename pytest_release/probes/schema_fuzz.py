"""Schemathesis against the target's own OpenAPI document, bounded in examples and time.

Only the operations the document describes are called, each with at most ``max_examples``
generated requests (valid and invalid), and each answer is judged like the hand-written
validation cases: never a 5xx, never a stack trace.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True, slots=True)
class SchemaCall:
    operation: str
    request: dict[str, Any]
    status: int | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class SchemaReport:
    """What schemathesis found (``document`` is None when the target publishes none)."""

    document: str | None
    calls: tuple[SchemaCall, ...] = ()
    unchecked: tuple[str, ...] = ()
    looked_at: tuple[str, ...] = field(default_factory=tuple)

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(f"{c.operation}: {c.problem}" for c in self.calls if c.problem)

    def evidence(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "looked_at": list(self.looked_at),
            "calls": [
                {
                    "operation": c.operation,
                    "request": c.request,
                    "status": c.status,
                    "problem": c.problem,
                }
                for c in self.calls
            ],
            "problems": list(self.problems),
            "unchecked": list(self.unchecked),
        }


def find_openapi(client: httpx.Client, paths: Sequence[str]) -> tuple[str, dict[str, Any]] | None:
    """The first path that answers an OpenAPI (or Swagger) JSON document."""
    for path in paths:
        try:
            response = client.get(path, headers={"accept": "application/json"})
            document = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            continue
        if isinstance(document, dict) and ("openapi" in document or "swagger" in document):
            return path, document
    return None


def _fuzz(
    operation: Any,
    client: httpx.Client,
    max_examples: int,
    judge: Callable[[int | None, str], str | None],
    deadline: float,
) -> list[SchemaCall]:
    """Up to ``max_examples`` generated requests for one operation, judged."""
    from hypothesis import HealthCheck, Phase, given, settings

    label = f"{operation.method.upper()} {operation.path}"
    calls: list[SchemaCall] = []
    base = str(client.base_url).rstrip("/")

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy())
    def call(case: Any) -> None:
        if time.monotonic() > deadline:
            return
        kwargs = case.as_transport_kwargs(base_url=base)
        request = {k: kwargs.get(k) for k in ("method", "url", "params", "json")}
        wanted = ("content-type", "accept")
        headers = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() in wanted}
        try:
            response = client.request(
                kwargs["method"],
                kwargs["url"],
                params=kwargs.get("params") or None,
                json=kwargs.get("json"),
                headers={
                    k: v for k, v in headers.items() if k.lower() in ("content-type", "accept")
                },
            )
        except httpx.HTTPError as exc:
            calls.append(SchemaCall(label, request, None, f"no answer: {exc}"))
            return
        problem = judge(response.status_code, response.text)
        calls.append(SchemaCall(label, request, response.status_code, problem))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hypothesis' own advice is not the target's fault
        call()
    return calls


def run_schemathesis(
    client: httpx.Client,
    paths: Sequence[str],
    *,
    max_examples: int,
    judge: Callable[[int | None, str], str | None],
    time_budget_s: float = 20.0,
) -> SchemaReport:
    """Fetch the document and send each operation's generated requests through ``client``."""
    found = find_openapi(client, paths)
    if found is None:
        return SchemaReport(None, looked_at=tuple(paths))
    path, document = found
    # Imported here: schemathesis (and hypothesis) are heavy and only needed with a document.
    import schemathesis

    calls: list[SchemaCall] = []
    unchecked: list[str] = []
    deadline = time.monotonic() + time_budget_s
    try:
        schema = schemathesis.openapi.from_dict(document)
    except Exception as exc:  # an unusable document is worth a line, not a crash
        return SchemaReport(path, unchecked=(f"{path} is not usable: {exc}",), looked_at=(path,))
    for result in schema.get_all_operations():
        try:
            operation = result.ok()  # type: ignore[union-attr]
        except Exception as exc:
            unchecked.append(f"an operation in {path} could not be loaded: {exc}")
            continue
        calls += _fuzz(operation, client, max_examples, judge, deadline)
    if time.monotonic() > deadline:
        unchecked.append(f"stopped after {time_budget_s:g} s with {len(calls)} calls made")
    return SchemaReport(path, tuple(calls), tuple(unchecked), (path,))
