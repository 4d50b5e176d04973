"""Checks: code execution works (the Run button); error handling works as expected."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_release.probes.browser.editor import open_with_editor
from pytest_release.probes.browser.example_page import ExamplePage
from pytest_release.probes.findings import CheckResult, Findings
from pytest_release.probes.run_api import normalize_output, server_trace

if TYPE_CHECKING:
    from playwright.sync_api import Route

EXECUTION = "Code execution works"
ERRORS = "Error handling works as expected"
ERROR_TEXT = "release-check: deliberate error"
# Code that raises, per language; other languages are reported as not checked.
RAISING_CODE = {
    "python": f'raise ValueError("{ERROR_TEXT}")\n',
    "php": f'<?php\nthrow new Exception("{ERROR_TEXT}");\n',
}
SIMULATED_FAILURE = "<html><body><h1>502 Bad Gateway</h1></body></html>"


def _quote(text: str | None, limit: int = 100) -> str:
    if not text:
        return "nothing"
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")


def _finished(running: re.Pattern[str]) -> Any:
    def done(state: dict[str, Any]) -> bool:
        output = (state.get("output") or "").strip()
        return bool(output) and not running.search(state.get("status") or "")

    return done


def click_run(view: ExamplePage, timeout_s: float) -> dict[str, Any]:
    """Click Run and wait until the output panel shows something and the status left running."""
    running = re.compile(view.contract.selectors.running_status)
    view.watch_status()
    view.button("run").first.click()
    return view.poll(view.state, _finished(running), timeout_s)


def _api_summary(view: ExamplePage, api_path: str) -> tuple[str, int | None]:
    calls = [c for c in view.log.api_calls if urlsplit(c.url).path == api_path]
    if not calls:
        return f"the page sent no request to {api_path}", None
    last = calls[-1]
    return f"API {api_path} answered {last.status}", last.status


def check_execution(view: ExamplePage, page_url: str) -> CheckResult:
    """Run shows the expected output, and the status moves through running to done."""
    found = Findings()
    subject = f"example '{view.example_id}'"
    contract = view.contract
    if view.open(page_url) != 200 or not view.state().get("present"):
        found.skip("page", "the page or the example is missing (see 'examples load correctly')")
        return found.result(EXECUTION, subject, view.screenshot_if_failed(found))
    # Run works without the editor on some sites (a read-only fallback): do not require it.
    view.wait_for_editor(contract.pages.ready_timeout_s)
    timeout = contract.api.run_timeout_s
    final = click_run(view, timeout)
    api, status = _api_summary(view, contract.api.run_path)
    output = final.get("output") or ""
    if status == 429:
        found.skip("run", f"{api} (rate limited); run again after the limit resets")
        return found.result(EXECUTION, subject, view.screenshot_if_failed(found))
    if not output.strip():
        found.problem("output", f"Run showed nothing after {timeout:.0f} s; {api}")
        return found.result(EXECUTION, subject, view.screenshot_if_failed(found))
    found.check(
        status is None or status < 400,
        "run API",
        f"{api}; the example shows {_quote(output)}",
        api,
    )
    found.check(
        not final.get("outputIsError"),
        "no error shown",
        f"Run showed an error instead of the program's output: {_quote(output)} ({api})",
    )
    expected = final.get("expectedOutput")
    if expected is not None:
        found.check(
            normalize_output(output) == normalize_output(expected),
            "expected output",
            f"Run showed {_quote(output)} but the example expects {_quote(expected)}",
        )
    statuses = view.statuses()
    running = re.compile(contract.selectors.running_status)
    done = re.compile(contract.selectors.done_status)
    found.check(
        any(running.search(s) for s in statuses),
        "status shows running",
        f"the status line never said it was running (it showed {statuses or 'no change'}); "
        "tell the user a run is in progress",
    )
    last = final.get("status") or ""
    found.check(
        bool(done.search(last)),
        "status shows done",
        f"after the run the status line says {last!r}, not that it finished",
    )
    return found.result(EXECUTION, subject, view.screenshot())


def check_error_display(view: ExamplePage, page_url: str) -> CheckResult:
    """Raising code shows an error styled as one; a failing API shows a message, not a blank."""
    found = Findings()
    subject = f"example '{view.example_id}'"
    contract = view.contract
    timeout = contract.api.run_timeout_s
    missing = open_with_editor(view, page_url)
    language = str(view.state().get("declaredLanguage") or "")
    if missing is not None:
        found.skip(
            "error from the code", f"{missing.reason}, so raising code could not be typed in"
        )
    elif language not in RAISING_CODE:
        found.skip(
            "error from the code",
            f"no raising snippet is known for language {language!r} "
            f"(known: {', '.join(RAISING_CODE)})",
        )
    else:
        view.set_code(RAISING_CODE[language])
        _check_code_error(view, found, timeout)
    _check_api_failure(view, found, timeout)
    return found.result(ERRORS, subject, view.screenshot_if_failed(found))


def _check_code_error(view: ExamplePage, found: Findings, timeout: float) -> None:
    final = click_run(view, timeout)
    api, status = _api_summary(view, view.contract.api.run_path)
    output = final.get("output") or ""
    trace = server_trace(output)
    found.check(
        trace is None,
        "no server stack trace",
        f"the output shows a server stack trace ({_quote(trace)}): show a message, log the trace",
    )
    if status is not None and (status >= 500 or status == 429):
        found.skip(
            "error from the code",
            f"{api}, so the code's own error could not be shown (see 'Code execution works')",
        )
        return
    if not found.check(
        bool(output.strip()),
        "error shown",
        f"code that raises showed a blank output panel after {timeout:.0f} s ({api})",
    ):
        return
    found.check(
        bool(final.get("outputIsError")),
        "styled as an error",
        f"the error {_quote(output)} looks like normal output: mark it with the class "
        f"'{view.contract.selectors.output_error_class}'",
    )
    found.check(
        ERROR_TEXT in output,
        "the code's message",
        f"code raising {ERROR_TEXT!r} showed {_quote(output)}: the user cannot see what failed",
    )


def _check_api_failure(view: ExamplePage, found: Findings, timeout: float) -> None:
    """Make the run API fail (a proxy's 502 page) and look at what the user is shown."""
    state = view.state()
    if not state.get("present"):
        found.skip("failing API", "the example is not on the page")
        return
    pattern = f"**{view.contract.api.run_path}"

    def fail(route: Route) -> None:
        route.fulfill(status=502, content_type="text/html", body=SIMULATED_FAILURE)

    view.page.route(pattern, fail)
    try:
        final = click_run(view, min(timeout, 5.0))
    finally:
        view.page.unroute(pattern, fail)
    output = final.get("output") or ""
    if not found.check(
        bool(output.strip()),
        "failing API shows a message",
        "when the run API fails (simulated 502), the output panel stays blank: tell the user "
        "the run failed",
    ):
        return
    found.check(
        "<html" not in output.lower(),
        "failing API message is readable",
        f"when the run API fails the user sees raw HTML: {_quote(output)}",
    )
    found.check(
        bool(final.get("outputIsError")),
        "failing API styled as an error",
        f"the failure message {_quote(output)} looks like normal output",
    )


def check_load_and_run(view: ExamplePage, page_url: str) -> CheckResult:
    """The smoke path: the page loads with its editor and without errors, and Run works."""
    executed = check_execution(view, page_url)
    found = Findings()
    state = view.state()
    found.check(
        bool(state.get("mounted")),
        "editor loaded",
        f"no code editor in example '{view.example_id}' (status line: "
        f"'{state.get('status') or 'nothing'}')",
    )
    found.check(
        not view.log.page_errors,
        "no uncaught JavaScript errors",
        f"the page threw: {'; '.join(view.log.page_errors[:3])}",
    )
    return CheckResult(
        "An example loads and runs",
        executed.subject,
        (*found.items, *executed.findings),
        executed.screenshot,
    )
