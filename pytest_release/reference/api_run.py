"""``POST /api/run``: validate, rate-limit, run in the sandbox, record, answer per contract.

Every refusal is a 4xx JSON ``{"error": ...}`` that says what to send instead; code that
raises is a 200 with ``error`` set. Nothing here lets a server-side stack trace reach
the client (unless the stack-trace fault switch asks for exactly that).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pytest_release.reference.context import AppContext, RunOutcome
from pytest_release.reference.db import client_hash
from pytest_release.reference.logging_json import get_logger, log_event

SLOW_API_DELAY_S = 1.5
MAX_EXAMPLE_ID = 100
logger = get_logger("api")


class BadRequest(Exception):
    """A request the API refuses; carries the status and the message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The contract's error shape."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) as soon as it is larger than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise BadRequest(413, f"request body is larger than the {limit} byte limit")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BadRequest(413, f"request body is larger than the {limit} byte limit")
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise BadRequest(400, "the client closed the connection before sending the body") from exc
    return b"".join(chunks)


def parse_request(
    raw: bytes,
    content_type: str,
    languages: tuple[str, ...],
    *,
    trust_types: bool,
    check_json: bool = True,
) -> tuple[str, str, str | None]:
    """``(code, language, example_id)`` from the body, or BadRequest saying what is wrong.

    ``trust_types`` is the stack-trace fault's latent bug: the type of ``code`` is not
    checked, so a number makes ``len()`` blow up later. ``check_json=False`` is the
    malformed-json-500 fault's: the JSON error is not caught, so the server answers 500.
    """
    media = content_type.split(";")[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        raise BadRequest(415, f"send JSON (Content-Type: application/json), not {media!r}")
    usage = 'send a JSON object like {"code": "print(1)", "language": "python"}'
    try:
        payload: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        if not check_json:
            raise  # the malformed-json-500 fault: the error escapes, the server answers 500
        raise BadRequest(400, f"request body is not valid JSON; {usage}") from exc
    if not isinstance(payload, dict):
        raise BadRequest(400, f"request body must be a JSON object; {usage}")
    code = payload.get("code")
    language = payload.get("language")
    example_id = payload.get("example_id")
    if code is None:
        raise BadRequest(400, f'"code" is missing; {usage}')
    if not isinstance(code, str) and not trust_types:
        raise BadRequest(400, '"code" must be a string')
    if language is None:
        raise BadRequest(400, f'"language" is missing; one of: {", ".join(languages)}')
    if not isinstance(language, str) or language not in languages:
        raise BadRequest(
            400, f"unknown language {language!r}; this server runs: {', '.join(languages)}"
        )
    if example_id is not None and (
        not isinstance(example_id, str) or len(example_id) > MAX_EXAMPLE_ID
    ):
        raise BadRequest(400, f'"example_id" must be a string of at most {MAX_EXAMPLE_ID} chars')
    return code, language, example_id


def outcome_of(result: RunOutcome) -> str:
    """ok | error | timeout, for statistics and metrics."""
    if result.timed_out:
        return "timeout"
    return "error" if result.error or result.exit_code != 0 else "ok"


def run_route(ctx: AppContext) -> Route:
    """The execution endpoint at the configured path."""

    async def run(request: Request) -> Response:
        client = request.client.host if request.client else "unknown"
        if ctx.limiter is None:
            return await answer(request, client)
        decision = ctx.limiter.check(client)
        if decision.allowed:
            # Published on every answer so a client (and the hardening suite) can see the
            # limit and pace itself instead of finding it by running into it.
            response = await answer(request, client)
            response.headers["X-RateLimit-Limit"] = str(decision.limit)
            response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
            return response
        ctx.metrics.rate_limited.inc()
        return error_response(
            429,
            f"rate limit exceeded: at most {decision.limit} runs per minute; "
            f"retry in {decision.retry_after_s} s",
            headers={
                "Retry-After": str(decision.retry_after_s),
                "X-RateLimit-Limit": str(decision.limit),
                "X-RateLimit-Remaining": "0",
            },
        )

    async def answer(request: Request, client: str) -> Response:
        try:
            raw = await read_body(request, ctx.settings.max_body_bytes)
            code, language, example_id = parse_request(
                raw,
                request.headers.get("content-type", ""),
                ctx.runner.languages,
                trust_types=ctx.settings.has("stack-trace"),
                check_json=not ctx.settings.has("malformed-json-500"),
            )
        except BadRequest as refused:
            return error_response(refused.status, refused.message)
        code_chars = len(code)  # with the stack-trace fault, a non-string code raises here

        if ctx.settings.has("slow-api"):
            await asyncio.sleep(SLOW_API_DELAY_S)
        if ctx.settings.has("run-500"):
            ctx.metrics.errors.labels(kind="run_api").inc()
            if not ctx.settings.has("no-error-log"):
                log_event(logger, "run-failed", level=logging.ERROR, reason="run-500 fault")
            return JSONResponse({"error": "internal server error"}, status_code=500)

        try:
            result = await ctx.runner.run(code, language)
        except ValueError as exc:
            return error_response(400, str(exc) or f"unknown language {language!r}")
        outcome = outcome_of(result)
        ctx.metrics.executions.labels(language=language, outcome=outcome).inc()
        ctx.metrics.execution_seconds.labels(language=language).observe(result.duration_ms / 1000)
        if not ctx.settings.has("no-tracking"):
            await _record(ctx, example_id, language, outcome, result, code_chars, client)
        return JSONResponse(
            {
                "output": result.output,
                "error": result.error,
                "exit_code": result.exit_code,
                "duration_ms": round(result.duration_ms, 2),
                "timed_out": result.timed_out,
                "truncated": result.truncated,
            }
        )

    return Route(ctx.settings.api_path, run, methods=["POST"])


async def _record(
    ctx: AppContext,
    example_id: str | None,
    language: str,
    outcome: str,
    result: RunOutcome,
    code_chars: int,
    client: str,
) -> None:
    """Store the run's metadata; a database hiccup must not fail the user's run."""
    try:
        await asyncio.to_thread(
            ctx.database.record_run,
            example_id=example_id,
            language=language,
            outcome=outcome,
            exit_code=result.exit_code,
            duration_ms=result.duration_ms,
            code_chars=code_chars,
            client=client_hash(client),
        )
    except Exception:  # logged and counted; the run itself succeeded
        ctx.metrics.errors.labels(kind="database").inc()
        if not ctx.settings.has("no-error-log"):
            log_event(logger, "record-run-failed", level=logging.ERROR, exc_info=True)
