"""checklist.md filled from a run: boxes and annotations only, every other byte as written."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest

from pytest_release.checklist.fill import annotation, fill, is_checked, outline
from pytest_release.checklist.model import Checklist, Status
from pytest_release.checklist.parse import parse_text
from pytest_release.report.redaction import ReportRedactor
from pytest_release.status import ItemResult
from tests.conftest import SEED_CHECKLIST, SMALL_CHECKLIST

STATUSES = {
    "pre.unit": (Status.PASS, ("t.py::test_unit", "t.py::test_unit2"), None),
    "pre.lint": (Status.WARN, ("t.py::test_lint",), "E501 line too long"),
    "post.home": (Status.FAIL, ("t.py::test_home",), "AssertionError: home page answered 500"),
    "post.search": (Status.MANUAL, (), "attested by Alex (QA Lead) at 2025-07-25"),
    "post.checkout": (Status.NA, (), "not applicable: no checkout in this release"),
    "post.headers": (Status.UNCOVERED, (), None),
}
_ANNOTATION = re.compile(r"^[ \t>]*- \*\*.*$")


def results_for(
    checklist: Checklist, table: Mapping[str, tuple[Status, tuple[str, ...], str | None]]
) -> list[ItemResult]:
    return [
        ItemResult(item, table[item.id][0], True, table[item.id][1], (), table[item.id][2])
        for item in checklist
        if item.id in table
    ]


def unfill(text: str) -> str:
    """Undo what fill() does to lines: drop annotations, clear boxes, drop the footer."""
    body = text.split("\n---\n")[0] if "\n---\n\nFilled" in text else text
    lines = [line for line in body.splitlines(keepends=True) if not _ANNOTATION.match(line)]
    return "".join(re.sub(r"^(\s*- )\[[ x]\]", r"\1[ ]", line) for line in lines)


def test_boxes_follow_the_status() -> None:
    checklist = parse_text(SMALL_CHECKLIST)
    filled = fill(SMALL_CHECKLIST, results_for(checklist, STATUSES))
    assert "- [x] Unit tests pass <!-- id: pre.unit; severity: high -->\n" in filled
    assert "- [ ] Lint is clean <!-- id: pre.lint; severity: low -->\n" in filled
    assert "- [ ] Home page loads <!-- id: post.home; severity: critical -->\n" in filled
    assert "- [x] Search works <!-- id: post.search; severity: high -->\n" in filled
    assert "- [x] Checkout works <!-- id: post.checkout; severity: high -->\n" in filled
    assert (
        "- [ ] Security headers are present <!-- id: post.headers; severity: critical -->\n"
        in filled
    )
    assert [s for s in Status if is_checked(s)] == [Status.PASS, Status.NA, Status.MANUAL]


def test_each_item_gets_one_annotation_under_it() -> None:
    checklist = parse_text(SMALL_CHECKLIST)
    lines = fill(SMALL_CHECKLIST, results_for(checklist, STATUSES)).splitlines()
    home = lines.index("- [ ] Home page loads <!-- id: post.home; severity: critical -->")
    assert lines[home + 1] == "  - **FAIL** · 1 test · AssertionError: home page answered 500"
    unit = lines.index("- [x] Unit tests pass <!-- id: pre.unit; severity: high -->")
    assert lines[unit + 1] == "  - **pass** · 2 tests"
    headers = lines.index(
        "- [ ] Security headers are present <!-- id: post.headers; severity: critical -->"
    )
    assert lines[headers + 1] == "  - **UNCOVERED** · no test run"
    assert sum(bool(_ANNOTATION.match(line)) for line in lines) == len(STATUSES)


def test_every_other_byte_is_unchanged_and_the_result_still_parses() -> None:
    checklist = parse_text(SMALL_CHECKLIST)
    filled = fill(SMALL_CHECKLIST, results_for(checklist, STATUSES))
    assert unfill(filled) == SMALL_CHECKLIST
    again = parse_text(filled)
    assert [(i.id, i.text, i.section) for i in again] == [
        (i.id, i.text, i.section) for i in checklist
    ]
    assert again.roles == checklist.roles


def test_the_seed_checklist_round_trips() -> None:
    source = SEED_CHECKLIST.read_text(encoding="utf-8")
    checklist = parse_text(source)
    table = {item.id: (Status.SKIP, (), "not in the selected phase") for item in checklist}
    filled = fill(source, results_for(checklist, table), footer=["---", "", "Filled by x"])
    assert unfill(filled) == source
    assert filled.count("  - **skip** · not in the selected phase\n") == 82
    assert filled.endswith("\n---\n\nFilled by x\n")
    assert parse_text(filled).ids == checklist.ids


def test_crlf_and_a_missing_final_newline_are_kept() -> None:
    source = SMALL_CHECKLIST.replace("\n", "\r\n").rstrip("\r\n")
    checklist = parse_text(source)
    filled = fill(source, results_for(checklist, STATUSES), footer=["done"])
    assert "\r\n  - **FAIL** · 1 test · AssertionError: home page answered 500\r\n" in filled
    assert "\n" not in filled.replace("\r\n", "")
    assert filled.endswith("| DevOps Engineer | | | |\r\n\r\ndone\r\n")


def test_a_checked_item_that_fails_is_unchecked() -> None:
    source = "## Post-Deployment Checks\n- [x] Home page loads <!-- id: post.home -->\n"
    checklist = parse_text(source)
    [item] = checklist.items
    filled = fill(source, [ItemResult(item, Status.FAIL, True, ("t::a",), (), "500")])
    assert filled == (
        "## Post-Deployment Checks\n- [ ] Home page loads <!-- id: post.home -->\n"
        "  - **FAIL** · 1 test · 500\n"
    )


def test_continuation_lines_nested_and_ordered_items() -> None:
    source = (
        "## Post-Deployment Checks\n\n"
        "1. [ ] Home page\n   loads fast <!-- id: a -->\n"
        "2. [ ] Search <!-- id: b -->\n"
        "   - [ ] Filters <!-- id: c -->\n"
    )
    checklist = parse_text(source)
    table = {
        "a": (Status.PASS, ("t::a",), None),
        "b": (Status.FAIL, ("t::b",), "boom"),
        "c": (Status.NA, (), "none"),
    }
    filled = fill(source, results_for(checklist, table))
    assert filled == (
        "## Post-Deployment Checks\n\n"
        "1. [x] Home page\n   loads fast <!-- id: a -->\n   - **pass** · 1 test\n"
        "2. [ ] Search <!-- id: b -->\n   - **FAIL** · 1 test · boom\n"
        "   - [x] Filters <!-- id: c -->\n     - **n/a** · none\n"
    )
    assert parse_text(filled).ids == ("a", "b", "c")


def test_annotation_is_one_redacted_markdown_safe_line() -> None:
    checklist = parse_text(SMALL_CHECKLIST)
    item = checklist.items[0]
    note = "GET https://x.test/?token=abc123 answered\n<b>500</b> with\nCookie: sid=s3cr3t"
    text = annotation(
        ItemResult(item, Status.FAIL, True, ("t::a",), (), note), ReportRedactor().text
    )
    assert "\n" not in text
    assert "abc123" not in text
    assert "s3cr3t" not in text
    assert "&lt;b&gt;500&lt;/b&gt;" in text
    long = annotation(ItemResult(item, Status.FAIL, True, (), (), "x" * 1000))
    assert len(long) < 260
    assert long.endswith("…")


@pytest.mark.parametrize("status", list(Status))
def test_outline_without_a_source_parses_to_the_same_ids(status: Status) -> None:
    checklist = parse_text(SMALL_CHECKLIST)
    table = {item.id: (status, (), "why") for item in checklist}
    text = outline("Shop", results_for(checklist, table))
    parsed = parse_text(text)
    assert parsed.ids == checklist.ids
    assert [i.section for i in parsed] == [i.section for i in checklist]
    assert text.count("[x]") == (len(checklist) if is_checked(status) else 0)


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_parsed_positions_place_notes_exactly_where_a_reparse_would(eol: str) -> None:
    from pytest_release.checklist.fill import _known_places, _places

    for text in (SEED_CHECKLIST.read_text(encoding="utf-8"), SMALL_CHECKLIST):
        source = text.replace("\n", eol)
        checklist = parse_text(text)
        results = [ItemResult(i, Status.PASS, True, (), (), None) for i in checklist]
        assert _known_places(results) == _places(source)
        assert fill(source, results, parsed_digest=checklist.digest) == fill(source, results)


def test_only_the_text_the_items_came_from_may_use_their_recorded_lines() -> None:
    from pytest_release.checklist.fill import _digest_as_parsed

    checklist = parse_text(SMALL_CHECKLIST)
    assert _digest_as_parsed(SMALL_CHECKLIST) == checklist.digest
    assert _digest_as_parsed(SMALL_CHECKLIST.replace("\n", "\r\n")) == checklist.digest
    edited = SMALL_CHECKLIST.replace("### Security\n", "### Security\n\nNew text.\n\n")
    assert _digest_as_parsed(edited) != checklist.digest
