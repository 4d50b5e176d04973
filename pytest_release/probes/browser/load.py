"""Check: the interactive examples load correctly."""

from __future__ import annotations

from urllib.parse import urlsplit

from pytest_release.probes.browser.example_page import ExamplePage
from pytest_release.probes.findings import CheckResult, Findings

CHECK = "Interactive examples load correctly"


def _short(items: list[str], limit: int = 5) -> str:
    shown = "; ".join(items[:limit])
    return shown + (f" (and {len(items) - limit} more)" if len(items) > limit else "")


def check_example_loads(view: ExamplePage, page_url: str) -> CheckResult:
    """Page 200, the example and its editor present, no JS error, no failed request."""
    found = Findings()
    path = urlsplit(page_url).path or "/"
    subject = f"example '{view.example_id}' on {path}"
    status = view.open(page_url)
    found.check(
        status == 200,
        "page status",
        f"{path} answered HTTP {status} instead of 200",
        f"{path} answered 200",
    )
    state = view.state()
    selector = view.contract.selectors.example
    if not found.check(
        bool(state.get("present")),
        "example on the page",
        f"there is no {selector} with id '{view.example_id}' on {path}: the page no longer "
        "renders this example",
    ):
        return found.result(CHECK, subject)
    found.check(
        bool(state.get("hasEditorBox")),
        "editor container",
        f"the example has no editor container ({view.contract.selectors.editor})",
    )
    timeout = view.contract.pages.ready_timeout_s
    mounted = view.wait_for_editor(timeout)
    if not mounted:
        shown = view.state().get("status") or "nothing"
        found.problem(
            "editor loaded",
            f"no code editor appeared in the example (its status line says '{shown}'); "
            "check that the editor's scripts are deployed and load without errors",
        )
    else:
        found.ok("editor loaded", "Monaco is mounted")
    view.wait_settled(3.0)  # errors from late scripts and workers count too
    log = view.log
    found.check(
        not log.page_errors,
        "no uncaught JavaScript errors",
        f"the page threw {len(log.page_errors)} uncaught error(s): {_short(log.page_errors)}; "
        "fix the script named in the console log (evidence)",
    )
    failed = [f.describe() for f in log.failed_same_origin(page_url)]
    found.check(
        not failed,
        "no failed requests",
        f"{len(failed)} request(s) to the site failed: {_short(failed)}; deploy the missing "
        "files or remove the references to them",
    )
    console = [c.text for c in log.console_errors()]
    found.check(
        not console,
        "no console errors",
        f"the browser console shows {len(console)} error(s): {_short(console)}",
    )
    return found.result(CHECK, subject, view.screenshot())
