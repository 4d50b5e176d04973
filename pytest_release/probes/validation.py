"""Input validation of the run API: every bad request gets a 4xx JSON error, never a 5xx.

Cases by probe name: malformed JSON, wrong types, missing fields, unknown language,
content type, oversized body and code, naughty strings (the BLNS list, sent as data inside
programs that only count them, and as field values), header injection. Each answer is
judged the same way: no 5xx, no stack trace, and for a request that must be refused a 4xx
with a JSON ``{"error": ...}``. The OpenAPI document, when the target publishes one, is
fuzzed by schemathesis with the same judge (``schema_fuzz``).
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from pytest_release.probes.naughty_strings import naughty_strings
from pytest_release.probes.run_api import server_trace
from pytest_release.probes.sandbox.client import MAX_RETRY_AFTER_S, retry_after_seconds
from pytest_release.probes.schema_fuzz import SchemaReport

JSON = "application/json"
EXCERPT = 300
INJECTED = "x-prx-injected"


@dataclass(frozen=True, slots=True)
class Case:
    """One request and what it must get."""

    probe: str
    name: str
    body: bytes = b""
    content_type: str | None = JSON
    headers: tuple[tuple[str, str], ...] = ()
    refuse: bool = True  # must be a 4xx; otherwise a 2xx is fine too
    expect_output: str | None = None  # when served: the program's output must be this
    raw_header: bytes | None = None  # sent over a raw socket with this header line


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    status: int | None
    content_type: str | None
    excerpt: str
    elapsed_s: float
    attempts: int = 1
    problem: str | None = None
    unchecked: str | None = None

    def evidence(self) -> dict[str, Any]:
        body = self.case.body
        sent = body.decode("utf-8", "replace")
        return {
            "probe": self.case.probe,
            "case": self.case.name,
            "sent": sent if len(sent) <= EXCERPT else f"{sent[:EXCERPT]}… ({len(body)} bytes)",
            "content_type_sent": self.case.content_type,
            "status": self.status,
            "content_type": self.content_type,
            "answer": self.excerpt,
            "elapsed_s": round(self.elapsed_s, 3),
            "attempts": self.attempts,
            "problem": self.problem,
            "unchecked": self.unchecked,
        }


@dataclass(frozen=True, slots=True)
class ValidationReport:
    results: tuple[CaseResult, ...]
    schema: SchemaReport | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def problems(self) -> tuple[str, ...]:
        found = [f"{r.case.name}: {r.problem}" for r in self.results if r.problem]
        if self.schema is not None:
            found += [f"schemathesis {p}" for p in self.schema.problems]
        return tuple(found)

    @property
    def unchecked(self) -> tuple[str, ...]:
        found = [f"{r.case.name}: {r.unchecked}" for r in self.results if r.unchecked]
        if self.schema is not None:
            found += list(self.schema.unchecked)
        return tuple(found)

    def evidence(self) -> dict[str, Any]:
        return {
            "cases": [r.evidence() for r in self.results],
            "schemathesis": None if self.schema is None else self.schema.evidence(),
            "problems": list(self.problems),
            "unchecked": list(self.unchecked),
            "notes": list(self.notes),
        }


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _count_program(language: str, strings: Sequence[str]) -> str:
    """A program that holds ``strings`` as data (never executes them) and prints how many."""
    encoded = json.dumps(list(strings), ensure_ascii=True)
    if language == "php":
        quoted = "'" + encoded.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return f"<?php echo count(json_decode({quoted}, true));"
    return f"import json\nprint(len(json.loads({encoded!r})))"


def build_cases(language: str, max_body_bytes: int, batches: int = 3) -> list[Case]:
    """Every hand-written case (naughty strings in ``batches`` programs)."""
    ok = {"code": "print(1)" if language == "python" else "<?php echo 1;", "language": language}
    big = max_body_bytes + 1024
    cases = [
        Case("malformed-json", "truncated JSON", b'{"code": "print(1)", "language": '),
        Case("malformed-json", "not JSON at all", b"code=print(1); language=python"),
        Case("malformed-json", "invalid UTF-8", b'{"code": "\xff\xfe", "language": "python"}'),
        Case("malformed-json", "empty body", b""),
        Case("wrong-types", "code is a number", _json({**ok, "code": 123})),
        Case("wrong-types", "code is a list", _json({**ok, "code": ["print(1)"]})),
        Case("wrong-types", "language is a number", _json({**ok, "language": 7})),
        Case("wrong-types", "example_id is an object", _json({**ok, "example_id": {"a": 1}})),
        Case("wrong-types", "body is a list", _json([ok])),
        Case("missing-fields", "empty object", b"{}"),
        Case("missing-fields", "no language", _json({"code": ok["code"]})),
        Case("missing-fields", "no code", _json({"language": language})),
        Case("unknown-language", "unknown language", _json({**ok, "language": "cobol-85"})),
        Case("unknown-language", "path as language", _json({**ok, "language": "../../bin/sh"})),
        Case("content-type", "text/plain body", _json(ok), content_type="text/plain"),
        Case(
            "content-type",
            "form-encoded body",
            b"code=print(1)&language=python",
            content_type="application/x-www-form-urlencoded",
        ),
        Case("oversized", "body over the limit", _json({**ok, "padding": "x" * big})),
        Case("oversized", "code over the limit", _json({**ok, "code": "#" * big})),
        Case(
            "header-injection",
            "CRLF in a field",
            _json({**ok, "example_id": f"prx\r\n{INJECTED}: 1\r\nSet-Cookie: prx=1"}),
            refuse=False,
        ),
        Case(
            "header-injection",
            "encoded CRLF in X-Request-ID",
            _json(ok),
            headers=(("X-Request-ID", f"prx-request%0d%0a{INJECTED}:%201"),),
            refuse=False,
        ),
        Case(
            "header-injection",
            "bare CR in a header",
            _json(ok),
            raw_header=f"X-Request-ID: prx\r{INJECTED}: 1".encode(),
            refuse=False,
        ),
        Case(
            "naughty-strings",
            "lone surrogate in code",
            b'{"code": "print(\'\\ud800\')", "language": "' + language.encode() + b'"}',
            refuse=False,
        ),
        Case(
            "naughty-strings",
            "NUL in code",
            _json({**ok, "code": "print(1)\x00print(2)"}),
            refuse=False,
        ),
    ]
    every = [s for strings in naughty_strings().values() for s in strings]
    size = -(-len(every) // batches)
    for number, start in enumerate(range(0, len(every), size), 1):
        chunk = every[start : start + size]
        cases.append(
            Case(
                "naughty-strings",
                f"naughty strings as data, batch {number} ({len(chunk)} strings)",
                _json({**ok, "code": _count_program(language, chunk), "example_id": chunk[0][:90]}),
                refuse=False,
                expect_output=str(len(chunk)),
            )
        )
    return cases


def judge_answer(status: int | None, text: str) -> str | None:
    """The rule every answer meets: no 5xx, no stack trace (None when it does)."""
    trace = server_trace(text)
    if trace:
        return f"the answer carries a server stack trace: {trace!r}"
    if status is not None and status >= 500:
        return f"answered {status} (a server error) instead of a 4xx: {text[:120]!r}"
    return None


def _judge(case: Case, response: httpx.Response) -> str | None:
    problem = judge_answer(response.status_code, response.text)
    if problem:
        return problem
    injected = [
        f"{k}: {v}"
        for k, v in response.headers.multi_items()
        if k.lower() == INJECTED or (k.lower() == "set-cookie" and "prx=" in v)
    ]
    if injected:
        return f"the answer carries an injected header: {injected[0]!r}"
    status = response.status_code
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if case.refuse and not 400 <= status < 500:
        return f"answered {status} instead of refusing it with a 4xx"
    if 400 <= status < 500:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not (media == JSON or media.endswith("+json")) or not isinstance(body, dict):
            return f"the {status} is not JSON ({media or 'no content type'})"
        if not isinstance(body.get("error"), str) or not body["error"]:
            return f'the {status} has no "error" message'
    if case.expect_output is not None and status == 200:
        try:
            output = str(response.json().get("output", "")).strip()
        except (ValueError, AttributeError):
            output = ""
        if output != case.expect_output:
            return f"the strings came back changed: expected {case.expect_output}, got {output!r}"
    return None


def _raw(url: str, path: str, case: Case, timeout: float) -> tuple[int | None, str]:
    """Send the case with its raw header line; (status or None if the server hung up, text)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {JSON}\r\n"
        f"Content-Length: {len(case.body)}\r\nConnection: close\r\n"
    ).encode()
    request = head + (case.raw_header or b"") + b"\r\n\r\n" + case.body
    with socket.create_connection((parts.hostname or "localhost", port), timeout=timeout) as sock:
        stream: socket.socket = sock
        if parts.scheme == "https":
            stream = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        stream.sendall(request)
        chunks: list[bytes] = []
        try:
            while len(b"".join(chunks)) < 65536:
                data = stream.recv(4096)
                if not data:
                    break
                chunks.append(data)
        except OSError:
            pass
    text = b"".join(chunks).decode("utf-8", "replace")
    first = text.split("\r\n", 1)[0].split()
    status = int(first[1]) if len(first) > 1 and first[1].isdigit() else None
    return status, text


def run_case(client: httpx.Client, path: str, case: Case, deadline: float) -> CaseResult:
    """Send one case (waiting out 429s while the deadline allows) and judge the answer."""
    started = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        if case.raw_header is not None:
            try:
                status, text = _raw(str(client.base_url), path, case, 10.0)
            except OSError as exc:
                return CaseResult(
                    case,
                    None,
                    None,
                    "",
                    time.monotonic() - started,
                    attempts,
                    unchecked=f"no answer: {exc}",
                )
            # A server that closes the connection on a malformed header has refused it.
            problem = judge_answer(status, text) if status is not None else None
            return CaseResult(
                case,
                status,
                None,
                text[:EXCERPT],
                time.monotonic() - started,
                attempts,
                problem=problem,
            )
        headers = dict(case.headers)
        if case.content_type:
            headers["Content-Type"] = case.content_type
        try:
            response = client.post(path, content=case.body, headers=headers)
        except httpx.HTTPError as exc:
            return CaseResult(
                case,
                None,
                None,
                "",
                time.monotonic() - started,
                attempts,
                unchecked=f"no answer: {type(exc).__name__}: {exc}",
            )
        if response.status_code == 429:
            wait = min(
                retry_after_seconds(response.headers.get("retry-after")) + 0.1, MAX_RETRY_AFTER_S
            )
            if time.monotonic() + wait < deadline:
                time.sleep(wait)
                continue
            return CaseResult(
                case,
                429,
                response.headers.get("content-type"),
                response.text[:EXCERPT],
                time.monotonic() - started,
                attempts,
                unchecked="rate-limited (429) until the time ran out",
            )
        return CaseResult(
            case,
            response.status_code,
            response.headers.get("content-type"),
            response.text[:EXCERPT],
            time.monotonic() - started,
            attempts,
            problem=_judge(case, response),
        )


def probe_validation(
    client: httpx.Client,
    path: str,
    cases: Iterable[Case],
    *,
    enabled: Callable[[str], bool] = lambda probe: True,
    max_wall_s: float = 60.0,
    schema: Callable[[], SchemaReport] | None = None,
) -> ValidationReport:
    """Send every enabled case, then (if given) run the schema fuzzer."""
    deadline = time.monotonic() + max_wall_s
    chosen = [c for c in cases if enabled(c.probe)]
    results = tuple(run_case(client, path, case, deadline) for case in chosen)
    return ValidationReport(results, schema() if schema is not None else None)
