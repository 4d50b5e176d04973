"""Documentation guides: present, non-trivial, with their sections, links that resolve.

A guide is a Markdown file. It passes when it exists, has at least ``min_words`` words
outside code blocks, carries no placeholder ("TODO", "TBD", "lorem ipsum", ...), has a
heading for every required section (matched case-insensitively as a substring, so
"Backups" satisfies "Backup"), and every local link and ``#anchor`` in it resolves.
The API guide also has to name every route the application publishes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt

from pytest_release.config_table import Table

GUIDES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    # guide -> (default path, default required sections)
    "system": ("docs/system.md", ("Architecture", "Components", "Configuration")),
    "api": ("docs/api.md", ("Authentication", "Errors")),
    "user": ("docs/user-guide.md", ("Getting started", "Troubleshooting")),
    "deployment": ("docs/deployment.md", ("Requirements", "Install", "Configuration", "Rollback")),
    "maintenance": ("docs/maintenance.md", ("Backup", "Monitoring", "Upgrad")),
}
PLACEHOLDERS = re.compile(
    r"\b(TODO|TBD|FIXME|lorem ipsum|coming soon|to be written)\b", re.IGNORECASE
)
_ANCHOR_HTML = re.compile(r"""<a\s+[^>]*(?:id|name)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GuideConfig:
    name: str
    path: Path
    sections: tuple[str, ...]
    min_words: int = 150


@dataclass(frozen=True, slots=True)
class DocsConfig:
    """``[tool.pytest_release.predeploy.docs]``; guides in ``[...docs.<guide>]`` sub-tables."""

    guides: Mapping[str, GuideConfig]
    check_links: bool = True
    openapi_paths: tuple[str, ...] = ("/openapi.json",)
    routes: tuple[str, ...] = ()  # routes the API guide must name, beyond the OpenAPI ones


def docs_config(table: Table) -> DocsConfig:
    min_words = table.integer("min_words", 150, minimum=1)
    guides = {}
    for name, (path, sections) in GUIDES.items():
        sub = table.sub(name)
        guides[name] = GuideConfig(
            name,
            sub.path("path") or table.rootpath / path,
            sub.texts("sections", sections),
            sub.integer("min_words", min_words, minimum=1),
        )
        sub.done()
    return DocsConfig(
        guides=guides,
        check_links=table.flag("check_links", True),
        openapi_paths=table.texts("openapi_paths", ("/openapi.json",)),
        routes=table.texts("routes", ()),
    )


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@dataclass(frozen=True, slots=True)
class ParsedDoc:
    headings: tuple[str, ...]
    anchors: frozenset[str]
    links: tuple[tuple[int, str], ...]  # (line, href)
    prose_words: int
    text: str


def parse_doc(text: str) -> ParsedDoc:
    """Headings, anchors (GitHub slugs, deduplicated like GitHub, plus HTML ids), links."""
    tokens = _markdown().parse(text)
    headings: list[str] = []
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    links: list[tuple[int, str]] = []
    words = 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            title = tokens[index + 1].content
            headings.append(title)
            base = slug(title)
            count = seen.get(base, 0)
            seen[base] = count + 1
            anchors.add(base if count == 0 else f"{base}-{count}")
        if token.type == "inline":
            line = (token.map[0] + 1) if token.map else 0
            for child in token.children or ():
                if child.type == "link_open":
                    links.append((line, str(child.attrs.get("href", ""))))
                elif child.type == "image":
                    links.append((line, str(child.attrs.get("src", ""))))
                elif child.type == "text":
                    words += len(child.content.split())
        if token.type in ("html_block", "html_inline", "inline"):
            anchors.update(_ANCHOR_HTML.findall(token.content))
    return ParsedDoc(tuple(headings), frozenset(anchors), tuple(links), words, text)


@dataclass(frozen=True, slots=True)
class GuideResult:
    name: str
    path: str
    words: int = 0
    headings: tuple[str, ...] = ()
    links_checked: int = 0
    problems: tuple[str, ...] = ()
    routes: Mapping[str, bool] = field(default_factory=dict)

    def evidence(self) -> dict[str, Any]:
        return {
            "guide": self.name,
            "path": self.path,
            "words": self.words,
            "headings": list(self.headings),
            "links_checked": self.links_checked,
            "routes_named": dict(self.routes),
            "problems": list(self.problems),
        }


def _anchors_of(path: Path, cache: dict[Path, frozenset[str]]) -> frozenset[str]:
    if path not in cache:
        try:
            cache[path] = parse_doc(path.read_text(encoding="utf-8")).anchors
        except (OSError, UnicodeDecodeError):
            cache[path] = frozenset()
    return cache[path]


def broken_links(doc: ParsedDoc, path: Path, root: Path) -> tuple[int, list[str]]:
    """(local links checked, problems) for one parsed document at ``path``."""
    problems: list[str] = []
    checked = 0
    cache: dict[Path, frozenset[str]] = {path: doc.anchors}
    for line, href in doc.links:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("//"):
            continue  # external: not ours to judge offline
        checked += 1
        target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
        if parts.path.startswith("/"):
            target = (root / unquote(parts.path).lstrip("/")).resolve()
        if not target.exists():
            problems.append(f"{path.name}:{line}: link {href!r} points to a missing file")
            continue
        markdown = target.suffix.lower() in (".md", ".markdown")
        if not (parts.fragment and markdown):
            continue
        if unquote(parts.fragment).lower() not in {a.lower() for a in _anchors_of(target, cache)}:
            problems.append(
                f"{path.name}:{line}: link {href!r}: no heading or anchor "
                f"#{parts.fragment} in {target.name}"
            )
    return checked, problems


def check_guide(guide: GuideConfig, root: Path, check_links: bool = True) -> GuideResult:
    """Existence, size, placeholders, required sections and links of one guide."""
    shown = (
        str(guide.path.relative_to(root)) if guide.path.is_relative_to(root) else str(guide.path)
    )
    if not guide.path.is_file():
        return GuideResult(
            guide.name,
            shown,
            problems=(f"the {guide.name} guide {shown} does not exist: write it",),
        )
    text = guide.path.read_text(encoding="utf-8", errors="replace")
    doc = parse_doc(text)
    problems: list[str] = []
    if doc.prose_words < guide.min_words:
        problems.append(
            f"{shown} has {doc.prose_words} words of prose, fewer than {guide.min_words}: "
            "a guide that short cannot be complete; write it out"
        )
    for match in list(PLACEHOLDERS.finditer(text))[:3]:
        line = text.count("\n", 0, match.start()) + 1
        problems.append(f"{shown}:{line}: placeholder {match.group(0)!r}: finish that part")
    lowered = [h.lower() for h in doc.headings]
    for section in guide.sections:
        if not any(section.lower() in h for h in lowered):
            problems.append(f"{shown} has no section on {section!r}: add a heading for it")
    checked = 0
    if check_links:
        checked, bad = broken_links(doc, guide.path, root)
        problems.extend(bad)
    return GuideResult(guide.name, shown, doc.prose_words, doc.headings, checked, tuple(problems))


def route_pattern(route: str) -> re.Pattern[str]:
    """A route template as a pattern: ``/runs/{id}`` also matches ``/runs/<id>``, ``/runs/:id``."""
    parts = re.split(r"(\{[^}]+\}|<[^>]+>|:\w+)", route)
    body = "".join(
        r"(?:\{[^}]+\}|<[^>]+>|:\w+)" if i % 2 else re.escape(p) for i, p in enumerate(parts)
    )
    return re.compile(rf"(?<![\w/.-]){body}(?![\w/-]|\.\w)")


def routes_named(text: str, routes: Iterable[str]) -> dict[str, bool]:
    """Which routes the text names (as a whole path, not as a prefix of a longer one)."""
    return {route: bool(route_pattern(route).search(text)) for route in routes}


def openapi_routes(document: Any) -> list[str]:
    """The paths of an OpenAPI document (empty when it is not one)."""
    if isinstance(document, Mapping) and isinstance(document.get("paths"), Mapping):
        return [str(p) for p in document["paths"]]
    return []


def check_api_guide(
    guide: GuideConfig, root: Path, routes: Sequence[str], check_links: bool = True
) -> GuideResult:
    """The guide checks plus: every published route is named in it."""
    result = check_guide(guide, root, check_links)
    if not guide.path.is_file():
        return result
    named = routes_named(
        guide.path.read_text(encoding="utf-8", errors="replace"), dict.fromkeys(routes)
    )
    missing = [r for r, ok in named.items() if not ok]
    problems = list(result.problems)
    if missing:
        problems.append(
            f"{result.path} does not document {len(missing)} published route(s): "
            f"{', '.join(missing)}; describe each (method, request, answer)"
        )
    return GuideResult(
        result.name,
        result.path,
        result.words,
        result.headings,
        result.links_checked,
        tuple(problems),
        named,
    )
