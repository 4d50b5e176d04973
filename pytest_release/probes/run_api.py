"""HTTP checks of the code-execution API and the operations endpoints (no browser).

Each function takes an ``httpx.Client`` on the target and returns a ``CheckResult`` whose
findings say what a client saw and what to fix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_release.probes.findings import CheckResult, Findings

if TYPE_CHECKING:
    import httpx

_SERVER_TRACE = (
    re.compile(r"Traceback \(most recent call last\)[\s\S]*File \"/"),
    re.compile(r"(site|dist)-packages[/\\]"),
    re.compile(r"\b(starlette|uvicorn|fastapi|django|flask|werkzeug|gunicorn|laravel)[/\\]"),
    re.compile(r"#\d+ /(var|srv|home|opt|app|usr)/"),
    re.compile(r"\bat [\w$.<>]+ \((/|node:)"),
    re.compile(r"\.java:\d+\)"),
)


def server_trace(text: str) -> str | None:
    """The first line that looks like a server-side stack trace, or None."""
    for pattern in _SERVER_TRACE:
        match = pattern.search(text)
        if match is not None:
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.end())
            return text[start : end if end != -1 else len(text)].strip()[:160]
    return None


def normalize_output(text: str) -> str:
    """Output as a person compares it: no trailing blanks, no leading/trailing empty lines."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().splitlines())


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None


def _snippet(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")


def check_run(
    client: httpx.Client,
    run_path: str,
    *,
    subject: str,
    code: str,
    language: str,
    expected_output: str | None,
    timeout_s: float,
) -> CheckResult:
    """POST code to the run API: 200 JSON per contract, no error, the expected output."""
    import httpx

    found = Findings()
    check = "Code execution API answers per contract"
    try:
        response = client.post(
            run_path, json={"code": code, "language": language}, timeout=timeout_s
        )
    except httpx.HTTPError as exc:
        found.problem("answer", f"POST {run_path} got no answer within {timeout_s:.0f} s: {exc}")
        return found.result(check, subject)
    if response.status_code == 429:
        found.skip(
            "answer",
            f"POST {run_path} was rate limited (429, Retry-After "
            f"{response.headers.get('retry-after', '?')}); run again after the limit resets",
        )
        return found.result(check, subject)
    data = _json(response)
    if not found.check(
        response.status_code == 200 and isinstance(data, dict),
        "status and JSON",
        f"POST {run_path} answered HTTP {response.status_code} "
        f"({'JSON' if data is not None else 'not JSON'}): {_snippet(response.text)}",
    ):
        return found.result(check, subject)
    assert isinstance(data, dict)
    shapes = {
        "output": isinstance(data.get("output"), str),
        "error": data.get("error") is None or isinstance(data.get("error"), str),
        "exit_code": isinstance(data.get("exit_code"), int),
        "duration_ms": isinstance(data.get("duration_ms"), int | float),
    }
    wrong = [name for name, ok in shapes.items() if not ok]
    found.check(
        not wrong,
        "fields",
        f"the answer lacks or mistypes {', '.join(wrong)} (contract: output str, error str|null, "
        f"exit_code int, duration_ms number): {_snippet(response.text)}",
    )
    found.check(
        not data.get("error"),
        "no error",
        f"the example's own code failed on the server: {_snippet(str(data.get('error')))}",
    )
    output = str(data.get("output") or "")
    if expected_output is not None:
        found.check(
            normalize_output(output) == normalize_output(expected_output),
            "expected output",
            f"printed {_snippet(output)} but the example expects {_snippet(expected_output)}",
        )
    else:
        found.check(bool(output.strip()), "output", "the example printed nothing")
    return found.result(check, subject)


@dataclass(frozen=True, slots=True)
class BadRequest:
    """One malformed request and what it is."""

    name: str
    content: bytes
    content_type: str = "application/json"


def malformed_requests(max_body_bytes: int) -> tuple[BadRequest, ...]:
    """The contract's malformed requests: not JSON, missing code, unknown language, ..."""
    oversized = json.dumps({"code": "#" * (max_body_bytes + 1), "language": "python"})
    return (
        BadRequest("not JSON", b"this is not json {"),
        BadRequest("a JSON array instead of an object", b'["print(1)"]'),
        BadRequest("missing 'code'", b'{"language": "python"}'),
        BadRequest("'code' is not a string", b'{"code": 12345, "language": "python"}'),
        BadRequest("unknown language", b'{"code": "print(1)", "language": "no-such-language-xyz"}'),
        BadRequest(f"a body over {max_body_bytes} bytes", oversized.encode()),
    )


def check_malformed(
    client: httpx.Client, run_path: str, max_body_bytes: int, timeout_s: float
) -> CheckResult:
    """Every malformed request gets a 4xx JSON error: never a 5xx, never a stack trace."""
    import httpx

    found = Findings()
    for bad in malformed_requests(max_body_bytes):
        what = f"POST {run_path} with {bad.name}"
        try:
            response = client.post(
                run_path,
                content=bad.content,
                headers={"Content-Type": bad.content_type},
                timeout=timeout_s,
            )
        except httpx.HTTPError as exc:
            found.problem(what, f"no answer: {type(exc).__name__}: {exc}")
            continue
        status = response.status_code
        if status == 429:
            found.skip(what, "rate limited (429); run again after the limit resets")
            continue
        trace = server_trace(response.text)
        data = _json(response)
        if 400 <= status < 500 and trace is None and isinstance(data, dict):
            if isinstance(data.get("error"), str) and data["error"]:
                found.ok(what, f"{status} {_snippet(data['error'], 60)}")
            else:
                found.problem(what, f"{status} but the JSON has no 'error' message")
            continue
        problems = []
        if status >= 500:
            problems.append(f"answered HTTP {status} (a server error; it must be a 4xx)")
        elif not 400 <= status < 500:
            problems.append(f"answered HTTP {status} instead of a 4xx")
        if trace is not None:
            problems.append(f"and shows a server stack trace ({_snippet(trace, 80)})")
        if not isinstance(data, dict):
            problems.append("with a body that is not a JSON object")
        found.problem(what, " ".join(problems) + "; validate the request and answer 4xx JSON")
    return found.result("The run API rejects malformed requests", run_path)


def check_health(client: httpx.Client, path: str) -> CheckResult:
    """GET the health endpoint: 200 JSON with status ok, and every component check ok."""
    found = Findings()
    response = client.get(path)
    data = _json(response)
    if not found.check(
        response.status_code == 200 and isinstance(data, dict),
        "answers",
        f"GET {path} answered HTTP {response.status_code}: {_snippet(response.text)}",
    ):
        return found.result("Health endpoint", path)
    assert isinstance(data, dict)
    found.check(
        str(data.get("status", "")).lower() in {"ok", "pass", "healthy", "up"},
        "status ok",
        f"GET {path} reports status {data.get('status')!r}",
    )
    checks = data.get("checks")
    if isinstance(checks, dict):
        failing = [
            name for name, c in checks.items() if isinstance(c, dict) and c.get("ok") is False
        ]
        found.check(
            not failing,
            "components",
            f"component check(s) failing: {', '.join(failing)} (see the evidence for details)",
        )
    return found.result("Health endpoint", path)


def check_version(client: httpx.Client, path: str, expected: str | None) -> CheckResult:
    """GET /version: JSON with a version (the expected one, when a release was named)."""
    found = Findings()
    response = client.get(path)
    data = _json(response)
    if not found.check(
        response.status_code == 200 and isinstance(data, dict) and bool(data.get("version")),
        "answers",
        f"GET {path} answered HTTP {response.status_code} without a version: "
        f"{_snippet(response.text)}",
    ):
        return found.result("Version endpoint", path)
    assert isinstance(data, dict)
    if expected is not None:
        found.check(
            str(data["version"]) == expected,
            "expected release",
            f"the target runs {data['version']!r}, not the release {expected!r} being deployed",
        )
    return found.result("Version endpoint", path)


def check_page_accessible(client: httpx.Client, path: str) -> CheckResult:
    """GET a page as a visitor would: 200 HTML, not a maintenance page."""
    found = Findings()
    response = client.get(path, follow_redirects=True)
    status = response.status_code
    if status == 503:
        found.problem(
            "not in maintenance",
            f"{path} answers 503 (Retry-After {response.headers.get('retry-after', '?')}): "
            "maintenance mode is still on; switch it off to go live",
        )
    else:
        found.check(status == 200, "answers 200", f"{path} answered HTTP {status}")
    content_type = response.headers.get("content-type", "")
    found.check(
        "html" in content_type,
        "serves HTML",
        f"{path} answered with Content-Type {content_type!r}, not a web page",
    )
    return found.result("Page is accessible", path)


SMOKE_HEADERS = (
    ("content-security-policy", "add a Content-Security-Policy header"),
    ("x-content-type-options", "add X-Content-Type-Options: nosniff"),
    ("referrer-policy", "add a Referrer-Policy header"),
)


def check_headers_present(client: httpx.Client, path: str) -> CheckResult:
    """The fast smoke subset of the security headers: present at all (graded elsewhere)."""
    found = Findings()
    response = client.get(path)
    for name, fix in SMOKE_HEADERS:
        found.check(name in response.headers, name, f"{path} has no {name} header: {fix}")
    framing = "x-frame-options" in response.headers or "frame-ancestors" in response.headers.get(
        "content-security-policy", ""
    )
    found.check(
        framing,
        "frame protection",
        f"{path} has neither X-Frame-Options nor CSP frame-ancestors: add one against clickjacking",
    )
    return found.result("Security headers are present", path)
