"""Checks: the Monaco editor functions properly; local storage persistence works."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_release.probes.browser.example_page import ExamplePage
from pytest_release.probes.findings import CheckResult, Findings

if TYPE_CHECKING:
    from playwright.sync_api import Dialog

MONACO = "Monaco editor functions properly"
STORAGE = "Local storage persistence works"
# A comment in Python, PHP, shell, Ruby, Perl...; what matters is that it is typed for real.
MARKER = "# release-check edit"
TOKENS_WAIT_S = 3.0
SAVE_WAIT_S = 2.0
DIALOG_WAIT_S = 2.0


def _normalize(text: str | None) -> str | None:
    return None if text is None else text.replace("\r\n", "\n")


def _quote(text: str | None, limit: int = 60) -> str:
    if text is None:
        return "nothing"
    flat = text.replace("\n", "⏎")
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Why a check could not start: the page, the example, or the editor itself."""

    reason: str
    editor_missing: bool = False


def open_with_editor(view: ExamplePage, page_url: str) -> Unavailable | None:
    """Open the page and wait for this example's editor; None when it is there, else why not."""
    status = view.open(page_url)
    if status != 200:
        return Unavailable(
            f"the page answered HTTP {status} (see 'Interactive examples load correctly')"
        )
    if not view.state().get("present"):
        return Unavailable(
            "the example is not on the page (see 'Interactive examples load correctly')"
        )
    if not view.wait_for_editor(view.contract.pages.ready_timeout_s):
        shown = view.state().get("status") or "nothing"
        failed = ", ".join(f.describe() for f in view.log.failed[:3]) or "none"
        return Unavailable(
            f"no Monaco editor was mounted in the example (its status line says '{shown}'; "
            f"failed requests: {failed})",
            editor_missing=True,
        )
    return None


def type_at_end(view: ExamplePage, text: str) -> bool:
    """Type ``text`` with the keyboard at the end of the editor's text."""
    if not view.focus_end():
        return False
    view.page.keyboard.press("Enter")
    view.page.keyboard.type(text)
    return True


def check_monaco(view: ExamplePage, page_url: str) -> CheckResult:
    """Mounted, shows data-code, highlights the language, typing edits, undo restores."""
    found = Findings()
    subject = f"example '{view.example_id}'"
    missing = open_with_editor(view, page_url)
    if missing is not None:
        if missing.editor_missing:
            found.problem(
                "editor mounted", missing.reason + "; check that the Monaco files are deployed"
            )
        else:
            found.skip("editor", missing.reason)
        return found.result(MONACO, subject, view.screenshot_if_failed(found))
    found.ok("editor mounted")
    state = view.state()
    original = _normalize(state.get("original"))
    value = _normalize(state.get("value"))
    found.check(
        value == original,
        "shows the example's code",
        f"the editor shows {_quote(value)} but the example's code is {_quote(original)}",
    )
    declared = state.get("declaredLanguage")
    found.check(
        not declared or state.get("language") == declared,
        "language",
        f"the editor uses language '{state.get('language')}' but the example declares "
        f"'{declared}': syntax highlighting and formatting will be wrong",
    )
    tokens = view.poll(
        lambda: int(view.state().get("tokenClasses") or 0), lambda n: n >= 2, TOKENS_WAIT_S
    )
    found.check(
        tokens >= 2,
        "syntax highlighting",
        f"the code is drawn in {tokens} token colour(s): no syntax highlighting for "
        f"'{declared}'; check that Monaco's language files load",
    )
    if not type_at_end(view, MARKER):
        found.problem("typing", "the editor could not take keyboard focus")
        return found.result(MONACO, subject, view.screenshot_if_failed(found))
    typed = _normalize(view.poll(lambda: view.state().get("value"), _has_marker, 2.0))
    found.check(
        _has_marker(typed),
        "typing changes the text",
        f"typed {MARKER!r} but the editor's text did not change (it is {_quote(typed)})",
    )
    for _ in range(len(MARKER) + 2):
        view.page.keyboard.press("Control+z")
        if _normalize(view.state().get("value")) == original:
            break
    undone = _normalize(view.state().get("value"))
    found.check(
        undone == original,
        "undo",
        f"Ctrl+Z did not bring back the original code (the editor shows {_quote(undone)})",
    )
    return found.result(MONACO, subject, view.screenshot_if_failed(found))


def _has_marker(value: Any) -> bool:
    return isinstance(value, str) and MARKER in value


class _DialogAnswer:
    """Answers confirm() dialogs the way the current step wants, and counts them."""

    def __init__(self) -> None:
        self.accept = False
        self.seen: list[str] = []

    def __call__(self, dialog: Dialog) -> None:
        self.seen.append(f"{dialog.type}: {dialog.message}")
        if self.accept:
            dialog.accept()
        else:
            dialog.dismiss()


def check_local_storage(view: ExamplePage, page_url: str) -> CheckResult:
    """An edit is saved and restored on reload; reset asks, and only 'OK' resets."""
    found = Findings()
    subject = f"example '{view.example_id}'"
    missing = open_with_editor(view, page_url)
    if missing is not None:
        found.skip("editor", f"{missing.reason}, so persistence could not be checked")
        return found.result(STORAGE, subject, view.screenshot_if_failed(found))
    key = view.storage_key()
    original = _normalize(view.state().get("original"))
    if not type_at_end(view, MARKER):
        found.skip("edit", "the editor could not take keyboard focus")
        return found.result(STORAGE, subject, view.screenshot_if_failed(found))
    edited = _normalize(view.poll(lambda: view.state().get("value"), _has_marker, 2.0))
    stored = _normalize(view.poll(lambda: view.storage(key), lambda v: v == edited, SAVE_WAIT_S))
    found.check(
        stored == edited,
        "edit saved",
        f"after typing, localStorage['{key}'] holds {_quote(stored)} instead of the edited "
        "code: edits are not saved, so a reload loses them; save on every editor change",
    )
    view.reload()
    if not view.wait_for_editor(view.contract.pages.ready_timeout_s):
        found.problem("restored after reload", "after a reload the editor did not come back")
        return found.result(STORAGE, subject, view.screenshot_if_failed(found))
    restored = _normalize(view.state().get("value"))
    found.check(
        restored == edited,
        "restored after reload",
        f"after a reload the editor shows {_quote(restored)}, not the edit "
        f"{_quote(edited)}: restore the text from localStorage['{key}'] on load",
    )
    answer = _DialogAnswer()
    view.page.on("dialog", answer)
    try:
        view.button("reset").first.click()
        view.poll(lambda: len(answer.seen), bool, DIALOG_WAIT_S)
        if not answer.seen:
            found.problem(
                "reset asks first",
                "Reset did not ask for confirmation: one click throws edits away",
            )
        after_dismiss = _normalize(view.state().get("value"))
        found.check(
            after_dismiss == restored and view.storage(key) == stored,
            "cancelling reset changes nothing",
            f"after cancelling the reset dialog the editor shows {_quote(after_dismiss)} and "
            f"localStorage holds {_quote(view.storage(key))}: 'Cancel' must keep the edit",
        )
        answer.accept = True
        view.button("reset").first.click()
        reset_value = _normalize(
            view.poll(lambda: view.state().get("value"), lambda v: _normalize(v) == original, 2.0)
        )
        found.check(
            reset_value == original,
            "reset restores the original",
            f"after accepting the reset the editor shows {_quote(reset_value)} instead of the "
            "example's original code",
        )
        left = view.poll(lambda: view.storage(key), lambda v: v is None, 1.0)
        found.check(
            left is None,
            "reset removes the saved edit",
            f"after the reset localStorage['{key}'] still holds {_quote(left)}: the old edit "
            "comes back on the next visit; remove the key on reset",
        )
    finally:
        view.page.remove_listener("dialog", answer)
    return found.result(STORAGE, subject, view.screenshot_if_failed(found))
