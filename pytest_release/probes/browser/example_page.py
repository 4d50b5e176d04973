"""One interactive example on a live page, seen through Playwright.

Scripts run through ``page.evaluate`` (the DevTools protocol), which a strict CSP without
'unsafe-eval' allows; Playwright's ``wait_for_function`` would need eval, so waiting is a
short Python poll that keeps Playwright's event loop turning.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_release.contract import SiteContract
from pytest_release.probes.browser.log import BrowserLog
from pytest_release.probes.findings import Findings, FindingStatus

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

T = TypeVar("T")
POLL_MS = 50
# After the page has loaded, this long without network activity and still no editor
# means the editor is not coming (e.g. Monaco failed to load): stop waiting early.
SETTLED_S = 1.0

_ROOT = (
    "const root = Array.from(document.querySelectorAll(a.example))"
    ".find((r) => r.getAttribute(a.idAttr) === a.id) || null;"
)
_EDITOR = (
    "const editors = (window.monaco && window.monaco.editor && window.monaco.editor.getEditors)"
    " ? window.monaco.editor.getEditors() : [];"
    "const ed = root ? (editors.find((e) => root.contains(e.getContainerDomNode())) || null)"
    " : null;"
)


def script(body: str) -> str:
    """A page function taking the example's address ``a`` with ``root`` and ``ed`` in scope."""
    return "(a) => {" + _ROOT + _EDITOR + body + "}"


_STATE = script(
    """
    if (!root) { return {present: false}; }
    const box = root.querySelector(a.editor);
    const out = root.querySelector(a.output);
    const status = root.querySelector(a.status);
    const errorIn = (el) => !!el && (el.classList.contains(a.errorClass)
        || !!el.querySelector('.' + CSS.escape(a.errorClass)));
    const tokens = new Set();
    if (box) {
        box.querySelectorAll('.view-lines [class*="mtk"]').forEach((el) => {
            el.classList.forEach((c) => { if (/^mtk\\d+$/.test(c)) { tokens.add(c); } });
        });
    }
    return {
        present: true,
        hasEditorBox: !!box,
        mounted: !!ed,
        value: ed ? ed.getValue() : null,
        language: ed && ed.getModel() ? ed.getModel().getLanguageId() : null,
        original: box ? box.getAttribute(a.codeAttr) : null,
        declaredLanguage: box ? box.getAttribute(a.languageAttr) : null,
        expectedOutput: box ? box.getAttribute(a.expectedAttr) : null,
        tokenClasses: tokens.size,
        status: status ? status.textContent.trim() : null,
        output: out ? out.textContent : null,
        outputIsError: errorIn(out),
        fullscreen: root.classList.contains(a.fullscreenClass),
    };
    """
)
_MOUNTED = script("return !!ed;")
_WATCH_STATUS = script(
    """
    window.__releaseStatus = window.__releaseStatus || {};
    const seen = window.__releaseStatus[a.id] = [];
    const status = root && root.querySelector(a.status);
    if (!status) { return false; }
    new MutationObserver(() => { seen.push(status.textContent.trim()); })
        .observe(status, {childList: true, characterData: true, subtree: true});
    return true;
    """
)


class ExamplePage:
    """A page and one example on it, with the contract's selectors."""

    def __init__(
        self, page: Page, contract: SiteContract, example_id: str, log: BrowserLog
    ) -> None:
        self.page = page
        self.contract = contract
        self.example_id = example_id
        self.log = log
        s = contract.selectors
        self.address: dict[str, str] = {
            "example": s.example,
            "idAttr": s.example_id_attribute,
            "id": example_id,
            "editor": s.editor,
            "output": s.output,
            "status": s.status,
            "errorClass": s.output_error_class,
            "codeAttr": s.code_attribute,
            "languageAttr": s.language_attribute,
            "expectedAttr": s.expected_output_attribute,
            "fullscreenClass": s.fullscreen_class,
        }

    # -- reading ------------------------------------------------------------------------
    def run(self, body: str, **extra: Any) -> Any:
        """Evaluate ``script(body)`` with the example's address plus ``extra`` as ``a``."""
        return self.page.evaluate(script(body), {**self.address, **extra})

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate(_STATE, self.address)
        return result

    def mounted(self) -> bool:
        """Whether a Monaco editor is mounted in the example (a cheap poll)."""
        return bool(self.page.evaluate(_MOUNTED, self.address))

    def root(self) -> Locator:
        s = self.contract.selectors
        quoted = self.example_id.replace("\\", "\\\\").replace('"', '\\"')
        return self.page.locator(f'{s.example}[{s.example_id_attribute}="{quoted}"]')

    def button(self, action: str) -> Locator:
        return self.root().locator(self.contract.button(action))

    def storage(self, key: str) -> str | None:
        value: str | None = self.page.evaluate("(k) => window.localStorage.getItem(k)", key)
        return value

    def storage_key(self) -> str:
        return self.contract.pages.storage_prefix + self.example_id

    # -- waiting ------------------------------------------------------------------------
    def poll(self, probe: Callable[[], T], ok: Callable[[T], bool], timeout_s: float) -> T:
        """Call ``probe`` until ``ok`` says yes or time runs out; return the last value."""
        deadline = time.monotonic() + timeout_s
        value = probe()
        while not ok(value) and time.monotonic() < deadline:
            self.page.wait_for_timeout(POLL_MS)
            value = probe()
        return value

    def open(self, url: str) -> int | None:
        """Navigate and return the HTTP status of the document (None without a response)."""
        response = self.page.goto(url, wait_until="load")
        return response.status if response is not None else None

    def reload(self) -> int | None:
        response = self.page.reload(wait_until="load")
        return response.status if response is not None else None

    def wait_for_editor(self, timeout_s: float) -> bool:
        """Wait until Monaco is mounted in this example; False once it clearly is not coming."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.mounted():
                return True
            if time.monotonic() >= deadline:
                return False
            if self.log.idle_for() >= SETTLED_S and self._loaded():
                return self.mounted()
            self.page.wait_for_timeout(POLL_MS)

    def wait_settled(self, timeout_s: float) -> None:
        """Wait until the page loaded and the network has been quiet for a moment."""
        self.poll(
            lambda: self._loaded() and self.log.idle_for() >= SETTLED_S / 2,
            bool,
            timeout_s,
        )

    def _loaded(self) -> bool:
        return bool(self.page.evaluate("() => document.readyState === 'complete'"))

    # -- acting -------------------------------------------------------------------------
    def watch_status(self) -> bool:
        """Start recording every text the status element shows (read with ``statuses()``)."""
        return bool(self.page.evaluate(_WATCH_STATUS, self.address))

    def statuses(self) -> list[str]:
        seen: list[str] = self.page.evaluate(
            "(id) => (window.__releaseStatus && window.__releaseStatus[id]) || []",
            self.example_id,
        )
        return seen

    def set_code(self, code: str) -> bool:
        """Replace the editor's text through Monaco's API (False when no editor is mounted)."""
        return bool(
            self.run("if (!ed) { return false; } ed.setValue(a.code); return true;", code=code)
        )

    def focus_end(self) -> bool:
        """Focus the editor with the cursor at the very end of the text."""
        return bool(
            self.run(
                """
                if (!ed) { return false; }
                const model = ed.getModel();
                const line = model.getLineCount();
                ed.setPosition({lineNumber: line, column: model.getLineMaxColumn(line)});
                ed.focus();
                return ed.hasTextFocus();
                """
            )
        )

    def screenshot_if_failed(self, found: Findings) -> bytes | None:
        """The example's screenshot when a check found a problem (the fixtures add the page)."""
        return (
            self.screenshot()
            if any(f.status is FindingStatus.PROBLEM for f in found.items)
            else None
        )

    def screenshot(self) -> bytes | None:
        """A PNG of the example (None when it is not on the page)."""
        root = self.root()
        if root.count() == 0:
            return None
        try:
            return root.first.screenshot(timeout=5000, animations="disabled")
        except Exception:  # detached or zero-size element: the page screenshot still exists
            return None
