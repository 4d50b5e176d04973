"""Markdown checklist -> Checklist model, with a real CommonMark parser (markdown-it-py).

Task items are list items whose text starts with ``[ ]`` or ``[x]``. Metadata rides in an
HTML comment at the end of the item line (``<!-- id: x; severity: critical -->``) or of a
heading (defaults for everything below it). Everything else is inferred from the headings.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from pytest_release.checklist.model import Checklist, ChecklistItem, Criterion, Phase, Severity

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

ITEM_KEYS = frozenset({"id", "severity", "phase", "category", "criterion"})
HEADING_KEYS = ITEM_KEYS - {"id"}

DEFAULT_PHASES: Mapping[str, Phase] = MappingProxyType(
    {
        "pre-deployment checks": Phase.PREDEPLOY,
        "deployment steps": Phase.DEPLOY,
        "post-deployment checks": Phase.POSTDEPLOY,
        "rollback plan": Phase.ROLLBACK,
    }
)
DEFAULT_CRITERIA: Mapping[str, Criterion] = MappingProxyType(
    {
        "security": Criterion.SECURITY_VULNERABILITY,
        "performance": Criterion.PERFORMANCE_DEGRADED,
        "database": Criterion.DATABASE_INTEGRITY,
        "backup": Criterion.DATABASE_INTEGRITY,
    }
)
# Used only when a top-level heading is not in the phase map: words people use for phases.
_PHASE_WORDS: tuple[tuple[str, Phase], ...] = (
    ("rollback", Phase.ROLLBACK),
    ("roll back", Phase.ROLLBACK),
    ("smoke", Phase.SMOKE),
    ("pre-deploy", Phase.PREDEPLOY),
    ("predeploy", Phase.PREDEPLOY),
    ("before", Phase.PREDEPLOY),
    ("post-deploy", Phase.POSTDEPLOY),
    ("postdeploy", Phase.POSTDEPLOY),
    ("after", Phase.POSTDEPLOY),
    ("deploy", Phase.DEPLOY),
    ("go live", Phase.DEPLOY),
)
_E = TypeVar("_E", Phase, Severity, Criterion)
_TASK = re.compile(r"\[( |x|X)\][ \t]+")
_COMMENT = re.compile(r"<!--(.*?)-->\s*$", re.DOTALL)
_NUMBERING = re.compile(r"^\s*\d+[.)]\s*")
_NON_WORD = re.compile(r"[^a-z0-9]+")


class ChecklistError(ValueError):
    """A checklist that cannot be used, with the place and the fix."""

    def __init__(self, path: str, line: int, problem: str, fix: str) -> None:
        super().__init__(f"{path}:{line}: {problem}\n  fix: {fix}")
        self.path, self.line, self.problem, self.fix = path, line, problem, fix


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """How headings map to phases, categories, severities and rollback criteria."""

    phases: Mapping[str, Phase] = field(default_factory=lambda: dict(DEFAULT_PHASES))
    categories: Mapping[str, str] = field(default_factory=dict)
    severities: Mapping[str, Severity] = field(default_factory=dict)
    criteria: Mapping[str, Criterion] = field(default_factory=lambda: dict(DEFAULT_CRITERIA))
    default_severity: Severity = Severity.MEDIUM


def normalize_heading(text: str) -> str:
    """'2. Maintenance  Mode' -> 'maintenance mode' (for map look-ups)."""
    return " ".join(_NUMBERING.sub("", text).lower().split())


def slug(text: str, sep: str = "-") -> str:
    """'Code Quality' -> 'code-quality'."""
    return _NON_WORD.sub(" ", normalize_heading(text)).strip().replace(" ", sep)


def parse_file(path: Path, options: ParseOptions | None = None) -> Checklist:
    """Parse a checklist file; raise ChecklistError for anything a person must fix."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ChecklistError(
            str(path), 0, f"cannot read the checklist ({exc.strerror or exc})", _PATH_FIX
        ) from exc
    return parse_text(source, str(path), options)


_PATH_FIX = "point --checklist (or [tool.pytest_release] checklist) at a Markdown file"


@functools.cache
def block_parser() -> MarkdownIt:
    """The CommonMark parser for block structure only (headings, lists, tables).

    Inline parsing and block rules a checklist has no use for are off, which halves the parse
    time of a big checklist. Imported on first use: a run whose checklist comes from the
    parse cache never loads markdown-it at all.
    """
    from markdown_it import MarkdownIt

    return (
        MarkdownIt("commonmark")
        .enable("table")
        .disable(["inline", "reference", "blockquote", "hr"])
    )


def digest(source: str) -> str:
    """The fingerprint of checklist text, as the parser saw it."""
    return hashlib.sha256(source.encode("utf-8", errors="surrogatepass")).hexdigest()


@dataclass(slots=True)
class _Heading:
    level: int
    text: str
    line: int
    meta: dict[str, str]


def parse_text(
    source: str, path: str = "<checklist>", options: ParseOptions | None = None
) -> Checklist:
    """Parse checklist Markdown held in memory."""
    opts = options or ParseOptions()
    tokens = block_parser().parse(source)
    title = ""
    stack: list[_Heading] = []
    items: list[ChecklistItem] = []
    seen: dict[str, int] = {}
    roles: list[str] = []
    in_item = 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            inline = tokens[index + 1]
            level = int(token.tag[1:])
            line = _line(token)
            text, meta = _split_meta(inline.content, path, line, HEADING_KEYS)
            if level == 1 and not title and not stack:
                title = text
                continue
            while stack and stack[-1].level >= level:
                stack.pop()
            stack.append(_Heading(level, text, line, meta))
        elif token.type == "list_item_open":
            in_item += 1
        elif token.type == "list_item_close":
            in_item -= 1
        elif token.type == "inline" and in_item and tokens[index - 1].type == "paragraph_open":
            if tokens[index - 2].type != "list_item_open":
                continue  # a second paragraph of an item is not a task
            match = _TASK.match(token.content)
            if match is None:
                continue
            paragraph = tokens[index - 1]
            line = _line(paragraph)
            end = paragraph.map[1] if paragraph.map else 0  # where the filled view's note goes
            item = _make_item(token.content[match.end() :], match, stack, path, (line, end), opts)
            if item.id in seen:
                raise ChecklistError(
                    path,
                    line,
                    f"duplicate item id {item.id!r} (first used on line {seen[item.id]})",
                    "give one of the two items its own '<!-- id: ... -->'",
                )
            seen[item.id] = line
            items.append(item)
        elif token.type == "table_open" and not roles:
            roles = _signoff_roles(tokens, index)
    return Checklist(
        path=path, title=title, items=tuple(items), roles=tuple(roles), digest=digest(source)
    )


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


def _split_meta(
    content: str, path: str, line: int, allowed: frozenset[str]
) -> tuple[str, dict[str, str]]:
    match = _COMMENT.search(content)
    if match is None:
        return content.strip(), {}
    meta: dict[str, str] = {}
    for part in match.group(1).split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value:
            raise ChecklistError(
                path, line, f"metadata {part.strip()!r} is not 'key: value'", _meta_fix(allowed)
            )
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ChecklistError(
                path, line, f"unknown metadata key {key!r}{hint}", _meta_fix(allowed)
            )
        meta[key] = value
    return content[: match.start()].strip(), meta


def _meta_fix(allowed: frozenset[str]) -> str:
    return f"write '<!-- key: value; key: value -->' with keys from: {', '.join(sorted(allowed))}"


def _enum_value(kind: type[_E], value: str, path: str, line: int, key: str) -> _E:
    try:
        return kind(value.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ChecklistError(
            path, line, f"{key} {value!r} is not valid", f"use one of: {allowed}"
        ) from None


def _make_item(
    rest: str,
    task: re.Match[str],
    stack: list[_Heading],
    path: str,
    lines: tuple[int, int],
    opts: ParseOptions,
) -> ChecklistItem:
    line, end_line = lines
    text, meta = _split_meta(rest, path, line, ITEM_KEYS)
    if not text:
        raise ChecklistError(path, line, "task item without text", "write what is to be checked")
    inherited: dict[str, str] = {}
    for heading in stack:
        inherited.update(heading.meta)
    merged = {**inherited, **meta}
    section = " / ".join(h.text for h in stack)
    phase = _phase(merged, stack, opts, path, line)
    sub = stack[-1].text if len(stack) > 1 else (stack[0].text if stack else "general")
    category = (
        merged.get("category") or opts.categories.get(normalize_heading(sub)) or slug(sub, "_")
    )
    if "severity" in merged:
        severity = _enum_value(Severity, merged["severity"], path, line, "severity")
    else:
        severity = _default_severity(section, category, opts)
    if "criterion" in merged:
        criterion = _enum_value(Criterion, merged["criterion"], path, line, "criterion")
    else:
        criterion = opts.criteria.get(category, Criterion.CRITICAL_FUNCTIONALITY)
    item_id = meta.get("id") or _auto_id(stack, text)
    return ChecklistItem(
        id=item_id,
        section=section,
        text=text,
        phase=phase,
        category=category,
        severity=severity,
        criterion=criterion,
        line=line,
        checked=task.group(1) != " ",
        end_line=end_line,
    )


def _phase(
    meta: Mapping[str, str], stack: list[_Heading], opts: ParseOptions, path: str, line: int
) -> Phase:
    if "phase" in meta:
        return _enum_value(Phase, meta["phase"], path, line, "phase")
    if not stack:
        raise ChecklistError(
            path, line, "task item outside any heading has no phase", "add '<!-- phase: ... -->'"
        )
    top = normalize_heading(stack[0].text)
    if top in opts.phases:
        return opts.phases[top]
    for word, phase in _PHASE_WORDS:
        if word in top:
            return phase
    raise ChecklistError(
        path,
        stack[0].line,
        f"heading {stack[0].text!r} does not name a phase",
        f'map it in [tool.pytest_release.phases], e.g. "{top}" = "postdeploy", '
        "or add '<!-- phase: postdeploy -->' to the heading",
    )


def _default_severity(section: str, category: str, opts: ParseOptions) -> Severity:
    for key in (section.lower(), category, normalize_heading(section.rsplit(" / ", 1)[-1])):
        if key in opts.severities:
            return opts.severities[key]
    return opts.default_severity


def _auto_id(stack: list[_Heading], text: str) -> str:
    parts = [slug(h.text) for h in stack] + [slug(text)[:60].rstrip("-")]
    return ".".join(p for p in parts if p)


def _signoff_roles(tokens: list[Token], start: int) -> list[str]:
    """Roles of a sign-off table: a table with a 'Role' and a 'Signature' column."""
    header: list[str] = []
    rows: list[list[str]] = []
    current: list[str] | None = None
    for token in tokens[start + 1 :]:
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            current = []
        elif token.type == "inline" and current is not None:
            current.append(token.content.strip())
        elif token.type == "tr_close" and current is not None:
            if header:
                rows.append(current)
            else:
                header = [cell.lower() for cell in current]
            current = None
    if "role" not in header or "signature" not in header:
        return []
    column = header.index("role")
    return [row[column] for row in rows if len(row) > column and row[column]]
