"""The checklist Markdown written back filled: the diffable view of a run (pure).

Every task box is set from the item's status (``[x]`` for pass, attested and not applicable,
``[ ]`` otherwise) and a one-line annotation is added as a nested list item under the item.
All other bytes of the source stay as they were, so a PR diff shows exactly the results.
The annotation never touches the item's own line beyond the box, so the filled file still
parses to the same items and ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pytest_release.checklist.model import Status
from pytest_release.checklist.parse import block_parser, digest
from pytest_release.status import ItemResult

CHECKED = frozenset({Status.PASS, Status.MANUAL, Status.NA})
WORDS = {
    Status.PASS: "pass",
    Status.FAIL: "FAIL",
    Status.WARN: "warn",
    Status.SKIP: "skip",
    Status.NA: "n/a",
    Status.MANUAL: "attested",
    Status.WAIVED: "waived",
    Status.UNCOVERED: "UNCOVERED",
}
REASON_LIMIT = 200
_BOX = re.compile(r"^([ \t>]*(?:[-*+]|\d{1,9}[.)])[ \t]+)\[([ xX])\]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class _Place:
    line: int  # 0-based index of the item's first line
    end: int  # 0-based index after the item's paragraph


def is_checked(status: Status) -> bool:
    """Whether the filled checklist ticks an item with this status."""
    return status in CHECKED


def annotation(result: ItemResult, redact: Callable[[str], str] = str) -> str:
    """'FAIL · 1 test · home page answered 500' (Markdown-safe, one line)."""
    parts = [f"**{WORDS[result.status]}**"]
    count = len(result.tests)
    if count or not result.note:
        parts.append(f"{count} test{'s' if count != 1 else ''}" if count else "no test run")
    if result.note:
        reason = _SPACE.sub(" ", redact(result.note)).strip()
        if len(reason) > REASON_LIMIT:
            reason = reason[: REASON_LIMIT - 1].rstrip() + "…"
        parts.append(reason.replace("<", "&lt;").replace(">", "&gt;"))
    return " · ".join(parts)


def fill(
    source: str,
    results: Iterable[ItemResult],
    redact: Callable[[str], str] = str,
    footer: Sequence[str] = (),
    parsed_digest: str = "",
) -> str:
    """The source with every item's box set and its annotation added; ``footer`` lines appended.

    ``parsed_digest`` is the digest of the text the items were parsed from: when the source is
    that text, the items' own line numbers place the notes; otherwise it is parsed again.
    """
    lines = source.splitlines(keepends=True)
    results = list(results)
    places = _known_places(results) if parsed_digest == _digest_as_parsed(source) else None
    if places is None:
        places = _places(source)
    inserts: dict[int, list[str]] = {}
    for result in results:
        place = places.get(result.item.line)
        if place is None or place.line >= len(lines):
            continue
        line = lines[place.line]
        match = _BOX.match(line)
        if match is None:
            continue  # the file changed since it was parsed: leave the line alone
        box = "x" if is_checked(result.status) else " "
        lines[place.line] = f"{line[: match.end(1)]}[{box}]{line[match.end() :]}"
        indent = re.sub(r"[^\s>]", " ", match.group(1))
        eol = _eol(line)
        inserts.setdefault(place.end, []).append(f"{indent}- {annotation(result, redact)}{eol}")
    out: list[str] = []
    for index, line in enumerate(lines):
        out.extend(inserts.get(index, ()))
        out.append(line)
    out.extend(inserts.get(len(lines), ()))
    if footer:
        eol = _eol(lines[0]) if lines else "\n"
        if out and not out[-1].endswith(("\n", "\r")):
            out[-1] += eol
        out.append(eol)
        out.extend(f"{text}{eol}" for text in footer)
    return "".join(out)


def _digest_as_parsed(source: str) -> str:
    """The digest of the source as the parser read it (parse_file reads universal newlines)."""
    return digest(source.replace("\r\n", "\n").replace("\r", "\n"))


def _known_places(results: Sequence[ItemResult]) -> dict[int, _Place] | None:
    """Places from the items' recorded lines; None when an item does not know its end."""
    places: dict[int, _Place] = {}
    for result in results:
        item = result.item
        if item.end_line <= 0:
            return None
        places[item.line] = _Place(item.line - 1, item.end_line)
    return places


def _places(source: str) -> dict[int, _Place]:
    """Item line number (1-based, as the parser reports it) -> where its paragraph lies."""
    places: dict[int, _Place] = {}
    tokens = block_parser().parse(source)
    for index, token in enumerate(tokens):
        if (
            token.type == "paragraph_open"
            and token.map
            and index > 0
            and tokens[index - 1].type == "list_item_open"
        ):
            places[token.map[0] + 1] = _Place(token.map[0], token.map[1])
    return places


def _eol(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith("\r"):
        return "\r"
    return "\n"


def outline(title: str, results: Iterable[ItemResult], redact: Callable[[str], str] = str) -> str:
    """A filled checklist built from the model alone, for checklists that have no source file."""
    out = [f"# {title or 'Checklist'}\n"]
    current: list[str] = []
    for result in results:
        parts = result.item.section.split(" / ") if result.item.section else []
        depth = 0
        while depth < min(len(parts), len(current)) and parts[depth] == current[depth]:
            depth += 1
        for level in range(depth, len(parts)):
            out.append(f"\n{'#' * min(level + 2, 6)} {parts[level]}\n\n")
        current = parts
        box = "x" if is_checked(result.status) else " "
        out.append(f"- [{box}] {result.item.text} <!-- id: {result.item.id} -->\n")
        out.append(f"  - {annotation(result, redact)}\n")
    return "".join(out)
