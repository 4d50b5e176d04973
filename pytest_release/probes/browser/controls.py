"""Check: all buttons and controls function (copy, format, fullscreen, clear, theme, Tab)."""

from __future__ import annotations

import re
from typing import Any

from pytest_release.probes.browser.example_page import ExamplePage
from pytest_release.probes.browser.run import click_run
from pytest_release.probes.findings import CheckResult, Findings

CHECK = "All buttons and controls function"
ACTIONS = ("run", "reset", "copy", "format", "fullscreen", "clear-output")
ERROR_STATUS = re.compile(r"(?i)error|fail|could not|cannot|unable")
STEP_WAIT_S = 2.0

_THEME_STATE = """() => [document.documentElement.className, document.documentElement.dataset.theme,
    document.body.className, document.body.dataset.theme].join('|')"""
_ACTIVE_ACTION = """(a) => {
    const el = document.activeElement;
    const root = Array.from(document.querySelectorAll(a.example))
        .find((r) => r.getAttribute(a.idAttr) === a.id);
    if (!el || !root || !root.contains(el)) { return null; }
    return el.getAttribute('data-action') || el.tagName.toLowerCase();
}"""


def check_controls(view: ExamplePage, page_url: str) -> CheckResult:
    """Every control does what its label says, and the keyboard reaches all of them."""
    found = Findings()
    subject = f"example '{view.example_id}'"
    if view.open(page_url) != 200 or not view.state().get("present"):
        found.skip("page", "the page or the example is missing (see 'examples load correctly')")
        return found.result(CHECK, subject, view.screenshot_if_failed(found))
    editor = view.wait_for_editor(view.contract.pages.ready_timeout_s)
    missing = [a for a in ACTIONS if view.button(a).count() == 0]
    found.check(
        not missing,
        "buttons present",
        f"the example has no {', '.join(missing)} button(s) ({view.contract.button('<action>')})",
    )
    _copy(view, found, editor)
    _format(view, found, editor)
    _fullscreen(view, found)
    _clear_output(view, found)
    _theme(view, found)
    _keyboard(view, found)
    return found.result(CHECK, subject, view.screenshot_if_failed(found))


def _copy(view: ExamplePage, found: Findings, editor: bool) -> None:
    if view.button("copy").count() == 0:
        return
    origin = view.page.evaluate("() => location.origin")
    view.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    view.page.evaluate("() => navigator.clipboard.writeText('')")
    state = view.state()
    expected = state.get("value") if editor else state.get("original")
    view.button("copy").first.click()
    copied = view.poll(_clipboard(view), lambda v: v == expected, STEP_WAIT_S)
    found.check(
        copied == expected,
        "copy",
        f"Copy put {_short(copied)} on the clipboard instead of the example's code "
        f"({_short(expected)})",
    )


def _clipboard(view: ExamplePage) -> Any:
    def read() -> str | None:
        text: str | None = view.page.evaluate(
            "() => navigator.clipboard.readText().catch(() => null)"
        )
        return text

    return read


def _format(view: ExamplePage, found: Findings, editor: bool) -> None:
    if view.button("format").count() == 0:
        return
    if not editor:
        found.skip("format", "formatting works on the editor, which did not load")
        return
    mark = view.log.mark()
    previous = view.state()
    before = previous.get("value") or ""
    view.button("format").first.click()
    # A formatter runs asynchronously; most sites report it on the status line.
    state = view.poll(view.state, lambda s: s.get("status") != previous.get("status"), 0.5)
    errors = view.log.errors_since(mark)
    status = state.get("status") or ""
    found.check(
        not errors and not ERROR_STATUS.search(status) and bool((state.get("value") or "").strip()),
        "format",
        f"Format failed: errors {errors or 'none'}, status line {status!r}, "
        f"text {'emptied' if not (state.get('value') or '').strip() else 'kept'}",
        "no-op" if state.get("value") == before else "re-indented",
    )


def _fullscreen(view: ExamplePage, found: Findings) -> None:
    if view.button("fullscreen").count() == 0:
        return
    view.button("fullscreen").first.click()
    on = view.poll(lambda: bool(view.state().get("fullscreen")), bool, STEP_WAIT_S)
    view.button("fullscreen").first.click()
    off = view.poll(lambda: not view.state().get("fullscreen"), bool, STEP_WAIT_S)
    cls = view.contract.selectors.fullscreen_class
    found.check(
        on and off,
        "fullscreen",
        f"Fullscreen did not toggle the class '{cls}' on the example "
        f"(on: {'yes' if on else 'no'}, off again: {'yes' if off else 'no'})",
    )


def _clear_output(view: ExamplePage, found: Findings) -> None:
    if view.button("clear-output").count() == 0:
        return
    shown = click_run(view, view.contract.api.run_timeout_s).get("output") or ""
    if not shown.strip():
        found.skip("clear output", "Run produced no output to clear (see 'Code execution works')")
        return
    view.button("clear-output").first.click()
    left = view.poll(lambda: view.state().get("output") or "", lambda v: not v.strip(), 2.0)
    found.check(
        not left.strip(),
        "clear output",
        f"Clear output left {_short(left)} in the output panel",
    )


def _theme(view: ExamplePage, found: Findings) -> None:
    toggle = view.page.locator(view.contract.selectors.theme_toggle)
    if toggle.count() == 0:
        return  # the theme toggle is optional ("where present")
    before = view.page.evaluate(_THEME_STATE)
    toggle.first.click()
    changed = view.poll(lambda: view.page.evaluate(_THEME_STATE), lambda v: v != before, 2.0)
    toggle.first.click()
    back = view.poll(lambda: view.page.evaluate(_THEME_STATE), lambda v: v == before, 2.0)
    found.check(
        changed != before and back == before,
        "theme toggle",
        "the theme toggle did not change the page's theme (class/data-theme on <html>/<body>) "
        "and back",
    )


def _keyboard(view: ExamplePage, found: Findings) -> None:
    present = [a for a in ACTIONS if view.button(a).count()]
    if not present:
        return
    view.button(present[0]).first.focus()
    reached = {view.page.evaluate(_ACTIVE_ACTION, view.address)}
    for _ in range(len(present) + 4):
        view.page.keyboard.press("Tab")
        reached.add(view.page.evaluate(_ACTIVE_ACTION, view.address))
    view.page.keyboard.press("Escape")
    unreachable = [a for a in present if a not in reached]
    found.check(
        not unreachable,
        "keyboard",
        f"Tab from the {present[0]} button never reaches {', '.join(unreachable)}: keyboard "
        "users cannot use them (remove tabindex=-1 or use real <button> elements)",
    )


def _short(text: str | None, limit: int = 60) -> str:
    if text is None:
        return "nothing"
    flat = text.replace("\n", "⏎")
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")
