"""Find the interactive examples on the configured pages, from plain HTML (no browser).

Used at collection time to parametrize the browser checks per example, so the parser is
the standard library's and the selector language is deliberately small: a compound of
``tag``, ``.class`` and ``[attribute]`` / ``[attribute=value]`` parts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

_PART = re.compile(
    r"""(?P<tag>^[a-zA-Z][\w-]*)|\.(?P<cls>[\w-]+)|"""
    r"""\[(?P<attr>[\w-]+)(?:=(?P<q>["']?)(?P<value>[^"'\]]*)(?P=q))?\]"""
)


class SelectorTooComplex(ValueError):
    """A selector the collection-time parser cannot evaluate."""


@dataclass(frozen=True, slots=True)
class SimpleSelector:
    """``tag.class[attr=value]``: every part must match one element."""

    tag: str | None
    classes: frozenset[str]
    attributes: tuple[tuple[str, str | None], ...]

    def matches(self, tag: str, attrs: dict[str, str | None]) -> bool:
        if self.tag is not None and tag != self.tag:
            return False
        if not self.classes <= set((attrs.get("class") or "").split()):
            return False
        return all(
            name in attrs and (value is None or attrs[name] == value)
            for name, value in self.attributes
        )


def parse_selector(selector: str) -> SimpleSelector:
    """Parse a compound selector; raise SelectorTooComplex for anything else."""
    text = selector.strip()
    position = 0
    tag: str | None = None
    classes: set[str] = set()
    attributes: list[tuple[str, str | None]] = []
    while position < len(text):
        match = _PART.match(text, position)
        if match is None or match.end() == position:
            raise SelectorTooComplex(
                f"selector {selector!r} is too complex to find examples in raw HTML: use a "
                "compound of tag, .class and [attribute] parts, e.g. '.interactive-code-example'"
            )
        if match["tag"]:
            tag = match["tag"].lower()
        elif match["cls"]:
            classes.add(match["cls"])
        else:
            attributes.append((match["attr"], match["value"]))
        position = match.end()
    if not text:
        raise SelectorTooComplex("an empty selector cannot find examples")
    return SimpleSelector(tag, frozenset(classes), tuple(attributes))


@dataclass(frozen=True, slots=True)
class DiscoveredExample:
    """One example as the raw HTML describes it."""

    page: str
    id: str
    language: str | None = None
    code: str | None = None
    expected_output: str | None = None


@dataclass(frozen=True, slots=True)
class ExampleMarkup:
    """Selectors and attribute names the parser needs (a subset of the site contract)."""

    example: str = ".interactive-code-example"
    id_attribute: str = "data-example-id"
    editor: str = ".monaco-editor"
    code_attribute: str = "data-code"
    language_attribute: str = "data-language"
    expected_output_attribute: str = "data-expected-output"


class _ExampleParser(HTMLParser):
    def __init__(self, page: str, markup: ExampleMarkup) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.markup = markup
        self.example = parse_selector(markup.example)
        self.editor = parse_selector(markup.editor)
        self.found: list[DiscoveredExample] = []
        self.missing_id = 0
        self._current: DiscoveredExample | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.example.matches(tag, values):
            self._flush()
            example_id = (values.get(self.markup.id_attribute) or "").strip()
            if not example_id:
                self.missing_id += 1
                return
            self._current = DiscoveredExample(self.page, example_id)
        elif self._current is not None and self.editor.matches(tag, values):
            m = self.markup
            self._current = DiscoveredExample(
                self.page,
                self._current.id,
                language=values.get(m.language_attribute),
                code=values.get(m.code_attribute),
                expected_output=values.get(m.expected_output_attribute),
            )
            self._flush()

    def _flush(self) -> None:
        if self._current is not None:
            self.found.append(self._current)
            self._current = None

    def close(self) -> None:
        super().close()
        self._flush()


def parse_examples(
    html: str, page: str, markup: ExampleMarkup = ExampleMarkup()
) -> tuple[tuple[DiscoveredExample, ...], int]:
    """The examples in one page's HTML, and how many example containers had no id."""
    parser = _ExampleParser(page, markup)
    parser.feed(html)
    parser.close()
    return tuple(parser.found), parser.missing_id


@dataclass(frozen=True, slots=True)
class Discovery:
    """What the pages hold: the examples, and what went wrong page by page."""

    examples: tuple[DiscoveredExample, ...]
    problems: tuple[str, ...] = ()


def discover_examples(
    client: httpx.Client, pages: Sequence[str], markup: ExampleMarkup = ExampleMarkup()
) -> Discovery:
    """GET every page and collect its examples; problems are sentences, never exceptions.

    Raises only httpx.HTTPError (the target stopped answering), which the caller turns
    into an INCONCLUSIVE result.
    """
    examples: list[DiscoveredExample] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for page in pages:
        response = client.get(page, follow_redirects=True)
        if response.status_code != 200:
            problems.append(
                f"page {page} answered HTTP {response.status_code} instead of 200, so its "
                "examples could not be listed"
            )
            continue
        found, missing_id = parse_examples(response.text, page, markup)
        if missing_id:
            problems.append(
                f"page {page} has {missing_id} example container(s) ({markup.example}) without "
                f"a {markup.id_attribute} attribute: give every example a stable id"
            )
        if not found and not missing_id:
            problems.append(
                f"page {page} has no interactive examples ({markup.example}); check that the "
                "page renders them or fix [tool.pytest_release.pages] paths"
            )
        for example in found:
            if example.id in seen:
                problems.append(
                    f"example id {example.id!r} appears on {seen[example.id]} and {page}: "
                    "example ids must be unique, or saved edits overwrite each other"
                )
                continue
            seen[example.id] = page
            examples.append(example)
    return Discovery(tuple(examples), tuple(problems))
