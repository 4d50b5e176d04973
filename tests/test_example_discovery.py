"""Collection-time discovery of interactive examples from raw HTML (no browser)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest

from pytest_release.probes.discovery import (
    DiscoveredExample,
    ExampleMarkup,
    SelectorTooComplex,
    discover_examples,
    parse_examples,
    parse_selector,
)

PAGE = """<!doctype html><html><body>
<section class="interactive-code-example wide" data-example-id="hello">
  <h2>Hello</h2>
  <div class="monaco-editor" data-language="python" data-code="print(&quot;hi&quot;)
print(1 &lt; 2)" data-expected-output="hi
True"></div>
</section>
<section class="interactive-code-example" data-example-id="bye">
  <div class="monaco-editor" data-language="php" data-code="&lt;?php echo 1;"></div>
</section>
<section class="interactive-code-example"><p>no id</p></section>
<div class="other" data-example-id="not-an-example"></div>
</body></html>"""


def test_parse_examples_reads_ids_code_language_expected_output() -> None:
    examples, missing = parse_examples(PAGE, "/")
    assert examples == (
        DiscoveredExample("/", "hello", "python", 'print("hi")\nprint(1 < 2)', "hi\nTrue"),
        DiscoveredExample("/", "bye", "php", "<?php echo 1;", None),
    )
    assert missing == 1


def test_custom_markup() -> None:
    html = '<li class="ex" data-slug="a"><textarea data-src="x=1" data-lang="py"></textarea></li>'
    markup = ExampleMarkup(
        example="li.ex",
        id_attribute="data-slug",
        editor="textarea[data-src]",
        code_attribute="data-src",
        language_attribute="data-lang",
    )
    examples, _ = parse_examples(html, "/docs", markup)
    assert examples == (DiscoveredExample("/docs", "a", "py", "x=1"),)


@pytest.mark.parametrize(
    ("selector", "tag", "classes", "attributes"),
    [
        (".interactive-code-example", None, {"interactive-code-example"}, ()),
        ("section.a.b", "section", {"a", "b"}, ()),
        ("[data-x]", None, set(), (("data-x", None),)),
        ('div[data-x="1"][data-y=2]', "div", set(), (("data-x", "1"), ("data-y", "2"))),
    ],
)
def test_parse_selector(
    selector: str, tag: str | None, classes: set[str], attributes: tuple[tuple[str, str], ...]
) -> None:
    parsed = parse_selector(selector)
    assert (parsed.tag, set(parsed.classes), parsed.attributes) == (tag, classes, attributes)


@pytest.mark.parametrize("selector", ["main .example", "div > p", ".a:hover", ""])
def test_complex_selectors_are_refused_with_a_hint(selector: str) -> None:
    with pytest.raises(SelectorTooComplex):
        parse_selector(selector)


class _Site(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, str]] = {
        "/": PAGE,
        "/empty": "<html><body><p>nothing here</p></body></html>",
        "/dup": '<div class="interactive-code-example" data-example-id="hello"></div>',
    }

    def do_GET(self) -> None:
        body = self.pages.get(self.path)
        self.send_response(200 if body is not None else 404)
        data = (body or "not found").encode()
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_discover_over_http_reports_problems_as_sentences(site: str) -> None:
    with httpx.Client(base_url=site) as client:
        discovery = discover_examples(client, ["/", "/missing", "/empty", "/dup"])
    assert [e.id for e in discovery.examples] == ["hello", "bye"]
    problems = "\n".join(discovery.problems)
    assert "1 example container(s)" in problems and "without a data-example-id" in problems
    assert "/missing answered HTTP 404" in problems
    assert "/empty has no interactive examples" in problems
    assert "'hello' appears on / and /dup" in problems
