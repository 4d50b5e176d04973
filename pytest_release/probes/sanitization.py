"""Output sanitization: program output full of HTML/JS payloads must stay text.

In the API answer the payloads come back as data (a JSON string, JSON content type). On the
page, in real Chromium, the output panel must show them as text: no element parsed out of
them, no script run (the payloads call a function the probe exposes, and any dialog is
recorded), template expressions not evaluated. The same program also fails with a payload
in its error message, so the error path is covered too.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from pytest_release.probes.sandbox.snippets import Snippets

if TYPE_CHECKING:
    from pytest_release.probes.browser.example_page import ExamplePage

JSON = "application/json"
CALLBACK = "__prxSanitization"


@dataclass(frozen=True, slots=True)
class Payload:
    name: str
    text: str


def payloads(token: str) -> tuple[Payload, ...]:
    """The payloads, each marked with ``token`` so nothing else on the page is confused."""
    call = f"window.{CALLBACK} && {CALLBACK}"
    return (
        Payload("script", f"<script>{call}('script-{token}')</script>"),
        Payload("img-onerror", f'<img src="x-{token}" onerror="{call}(\'img-{token}\')">'),
        Payload(
            "javascript-link",
            f'<a id="prx-link-{token}" href="javascript:{call}(\'link-{token}\')">link</a>',
        ),
        Payload("svg-onload", f'<svg class="prx-{token}" onload="{call}(\'svg-{token}\')"></svg>'),
        Payload(
            "iframe-srcdoc",
            f'<iframe class="prx-{token}" srcdoc="<script>parent.{call}(\'iframe-{token}\')'
            '</script>"></iframe>',
        ),
        Payload("markup", f'<b class="prx-{token}">bold</b><style>body{{display:none}}</style>'),
        Payload("mustache", "{{7*7}}"),
        Payload("dollar-brace", "${7*7}"),
        Payload("erb", "<%= 7*7 %>"),
        Payload("angular-constructor", f"{{{{constructor.constructor('{call}(1)')()}}}}"),
    )


def output_text(token: str) -> str:
    lines = [f"prx-start-{token}", *(p.text for p in payloads(token)), f"prx-end-{token}"]
    return "\n".join(lines) + "\n"


def error_text(token: str) -> str:
    call = f"window.{CALLBACK} && {CALLBACK}"
    return (
        f'prx-error-{token} <img src="y-{token}" onerror="{call}(\'error-{token}\')"> {{{{7*7}}}}'
    )


@dataclass(frozen=True, slots=True)
class SanitizationResult:
    """Findings of one check (API or page): problems fail it, unchecked make it inconclusive."""

    where: str
    problems: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)

    def evidence(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "problems": list(self.problems),
            "unchecked": list(self.unchecked),
            "notes": list(self.notes),
            **self.facts,
        }


def _evaluated(shown: str, token: str) -> list[str]:
    """Template payloads that no longer appear literally (they were evaluated)."""
    return [p.name for p in payloads(token) if p.name in _TEMPLATES and p.text not in shown]


_TEMPLATES = frozenset({"mustache", "dollar-brace", "erb", "angular-constructor"})


def check_output_api(
    client: httpx.Client, run_path: str, snippets: Snippets, token: str
) -> SanitizationResult:
    """The payloads come back as data in a JSON answer."""
    code = snippets.render_echo(output_text(token), error_text(token))
    facts: dict[str, Any] = {"language": snippets.language, "code": code}
    try:
        response = client.post(run_path, json={"code": code, "language": snippets.language})
    except httpx.HTTPError as exc:
        return SanitizationResult("api", unchecked=(f"no answer: {exc}",), facts=facts)
    media = response.headers.get("content-type", "")
    facts.update({"status": response.status_code, "content_type": media})
    if response.status_code != 200:
        reason = f"the run API answered {response.status_code}: {response.text[:200]!r}"
        return SanitizationResult("api", unchecked=(reason,), facts=facts)
    problems: list[str] = []
    notes: list[str] = []
    kind = media.split(";")[0].strip().lower()
    if kind != JSON and not kind.endswith("+json"):
        problems.append(
            f"the run API answers program output as {kind or 'no content type'}, not JSON: "
            "a browser may render it as HTML; answer application/json"
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        problems.append("the answer is not a JSON object with an 'output' string")
        return SanitizationResult("api", tuple(problems), facts=facts)
    output = body["output"]
    facts["answer"] = body
    expected = output_text(token)
    if output != expected:
        if html.unescape(output) == expected:
            notes.append("the API HTML-escapes output: safe, but escaping belongs in the page")
        else:
            evaluated = _evaluated(output, token)
            if evaluated:
                problems.append(f"template payloads were evaluated: {', '.join(evaluated)}")
            else:
                notes.append("the output came back changed (not byte for byte what was printed)")
    if "nosniff" not in response.headers.get("x-content-type-options", "").lower():
        notes.append("no X-Content-Type-Options: nosniff on the JSON answer")
    return SanitizationResult("api", tuple(problems), notes=tuple(notes), facts=facts)


_INSPECT = """
    const out = root ? root.querySelector(a.output) : null;
    const marked = document.querySelectorAll(
        '[class*="prx-' + a.token + '"], [id="prx-link-' + a.token + '"], ' +
        'img[src*="' + a.token + '"]').length;
    return {
        found: !!out,
        elements: out ? Array.from(out.querySelectorAll('*')).map((e) => e.tagName.toLowerCase())
                      : [],
        marked: marked,
        text: out ? out.textContent : null,
        html: out ? out.innerHTML.slice(0, 4000) : null,
    };
"""


def check_output_page(
    view: ExamplePage,
    page_url: str,
    snippets: Snippets,
    token: str,
    *,
    timeout_s: float,
    fired: Callable[[], list[str]],
) -> SanitizationResult:
    """Run the payload program through the page's run button; it must all stay text.

    ``fired`` returns what the exposed callback and dialogs recorded (the caller installs
    them before the page loads, see ``install_tripwires``).
    """
    code = snippets.render_echo(output_text(token), error_text(token))
    facts: dict[str, Any] = {"page": page_url, "example": view.example_id, "code": code}
    if not view.wait_for_editor(timeout_s):
        return SanitizationResult(
            "page", unchecked=("the example's editor did not load",), facts=facts
        )
    if not view.set_code(code):
        return SanitizationResult(
            "page", unchecked=("could not put the program into the editor",), facts=facts
        )
    view.button("run").click()
    end = f"prx-end-{token}"
    error_marker = f"prx-error-{token}"

    def shown() -> str:
        state = view.state()
        return str(state.get("output") or "")

    # The injected markup changes the text, so wait for the error marker, then a moment more.
    text = view.poll(shown, lambda t: error_marker in t or "answered" in t, timeout_s)
    view.page.wait_for_timeout(300)  # let any injected handler fire
    seen: dict[str, Any] = view.run(_INSPECT, token=token)
    facts.update({"output_html": seen.get("html"), "output_text": seen.get("text")})
    calls = fired()
    facts["fired"] = calls
    if error_marker not in text and end not in text:
        detail = text[:200] or "nothing"
        return SanitizationResult(
            "page",
            unchecked=(f"the output never showed the program's text (saw {detail!r})",),
            facts=facts,
        )
    problems: list[str] = []
    elements = [str(e) for e in seen.get("elements") or []]
    if elements:
        kinds = ", ".join(sorted(set(elements)))
        problems.append(
            f"the output panel rendered program output as HTML: {len(elements)} element(s) "
            f"injected ({kinds}); show output with textContent, never innerHTML"
        )
    elif int(seen.get("marked") or 0):
        problems.append("elements from program output appeared elsewhere on the page")
    if calls:
        problems.append(f"script from program output ran: {', '.join(calls[:4])}")
    shown_text = str(seen.get("text") or "")
    missing = [p.name for p in payloads(token) if p.text not in shown_text]
    if missing and not elements:
        evaluated = _evaluated(shown_text, token)
        if evaluated:
            problems.append(f"template payloads were evaluated on the page: {', '.join(evaluated)}")
    facts["missing_as_text"] = missing
    return SanitizationResult("page", tuple(problems), facts=facts)


def install_tripwires(page: Any) -> Callable[[], list[str]]:
    """Expose the payloads' callback and record dialogs; returns what fired so far."""
    fired: list[str] = []
    page.expose_function(CALLBACK, lambda value=None: fired.append(f"callback {value}"))

    def on_dialog(dialog: Any) -> None:
        fired.append(f"{dialog.type} dialog: {dialog.message[:60]}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return lambda: list(fired)
