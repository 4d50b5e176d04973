"""The inputs of a scan in one shape: case-insensitive headers and the parsed HTML body."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

HeadersInput = Mapping[str, str] | Sequence[tuple[str, str]] | Iterable[tuple[str, str]]


class Headers:
    """Response headers as (name, value) pairs; names compare case-insensitively.

    Repeated headers stay separate (Set-Cookie needs that). `combined` joins them
    with ", " the way an HTTP client (and so the Observatory) sees a repeated header.
    """

    __slots__ = ("_by_name",)

    def __init__(self, headers: HeadersInput) -> None:
        pairs: Iterable[tuple[str, str]]
        # httpx.Headers and similar multi-dicts list repeated headers one by one.
        multi_items = getattr(headers, "multi_items", None)
        if callable(multi_items):
            pairs = multi_items()
        elif isinstance(headers, Mapping):
            pairs = headers.items()
        else:
            pairs = headers
        by_name: dict[str, list[str]] = {}
        for name, value in pairs:
            by_name.setdefault(str(name).strip().lower(), []).append(str(value))
        self._by_name = by_name

    def values(self, name: str) -> list[str]:
        """Every value of the header, in order (empty when absent)."""
        return self._by_name.get(name.lower(), [])

    def combined(self, name: str) -> str | None:
        """The header's values joined with ", ", or None when absent."""
        values = self._by_name.get(name.lower())
        return ", ".join(values) if values else None

    def first(self, name: str) -> str | None:
        """The first value of the header (for single-valued headers such as Content-Type)."""
        values = self._by_name.get(name.lower())
        return values[0] if values else None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_name


def mime_type(headers: Headers) -> str:
    """The media type of Content-Type, lower case, without parameters ("" when absent)."""
    value = headers.first("content-type") or ""
    return value.split(";", 1)[0].strip().lower()


@dataclass(frozen=True, slots=True)
class ScriptTag:
    """A <script> element: its src and integrity attributes as written."""

    src: str
    integrity: str


@dataclass(frozen=True, slots=True)
class Document:
    """What the grader reads from an HTML body."""

    meta_csp: tuple[str, ...]
    # Only the last <meta name="referrer"> counts, as in the Observatory.
    meta_referrer: tuple[str, ...]
    scripts: tuple[ScriptTag, ...]
    script_count: int
    parse_error: str | None = None


EMPTY_DOCUMENT = Document(meta_csp=(), meta_referrer=(), scripts=(), script_count=0)


class _Collector(HTMLParser):
    """Streams the body once, keeping only <meta> policies and <script> sources."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta_csp: list[str] = []
        self.meta_referrer: list[str] = []
        self.scripts: list[ScriptTag] = []
        self.script_count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self._meta(dict(attrs))
        elif tag == "script":
            self.script_count += 1
            attributes = dict(attrs)
            src = attributes.get("src") or ""
            if src:
                self.scripts.append(ScriptTag(src=src, integrity=attributes.get("integrity") or ""))

    def _meta(self, attributes: dict[str, str | None]) -> None:
        content = attributes.get("content")
        if "http-equiv" in attributes and "content" in attributes:
            equiv = (attributes["http-equiv"] or "").strip().lower()
            if equiv == "content-security-policy":
                self.meta_csp.append(content or "")
        elif (
            attributes.get("name") or ""
        ).strip().lower() == "referrer" and "content" in attributes:
            # Not http-equiv, but the Observatory reads it as a Referrer-Policy header.
            self.meta_referrer[:] = [content or ""]

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        # Browsers treat `<![...]>` outside SVG/MathML as a bogus comment ending at the
        # first ">"; the stdlib parser would raise on anything but a CDATA section.
        end = self.rawdata.find(">", i + 3)
        return -1 if end < 0 else end + 1


def parse_document(html: str | None) -> Document:
    """Parse an HTML body for meta-tag policies and script elements; never raises."""
    if not html:
        return EMPTY_DOCUMENT
    collector = _Collector()
    error: str | None = None
    try:
        collector.feed(html)
        collector.close()
    except Exception as exc:  # the stdlib parser asserts on some malformed markup
        error = f"{type(exc).__name__}: {exc}"
    return Document(
        meta_csp=tuple(collector.meta_csp),
        meta_referrer=tuple(collector.meta_referrer),
        scripts=tuple(collector.scripts),
        script_count=collector.script_count,
        parse_error=error,
    )
