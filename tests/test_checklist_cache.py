"""The parse cache: a hit is the same checklist, any change is a miss, a broken cache is ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_release.checklist.cache import CACHE_ENV, cache_dir, load_checklist
from pytest_release.checklist.model import Severity
from pytest_release.checklist.parse import ChecklistError, ParseOptions, parse_file
from tests.conftest import SEED_CHECKLIST, SMALL_CHECKLIST


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_hit_is_the_same_checklist_as_a_fresh_parse(tmp_path: Path) -> None:
    source = _write(tmp_path / "checklist.md", SEED_CHECKLIST.read_text(encoding="utf-8"))
    cache = tmp_path / "cache"
    first = load_checklist(source, ParseOptions(), cache)
    assert len(list(cache.glob("*.json"))) == 1
    second = load_checklist(source, ParseOptions(), cache)
    assert second == first == parse_file(source, ParseOptions())
    assert [i.end_line for i in second] == [i.end_line for i in first]
    assert second.digest == first.digest and second.roles == first.roles


def test_changed_text_or_options_are_parsed_again(tmp_path: Path) -> None:
    source = _write(tmp_path / "checklist.md", SMALL_CHECKLIST)
    cache = tmp_path / "cache"
    load_checklist(source, ParseOptions(), cache)
    _write(source, SMALL_CHECKLIST.replace("Home page loads", "Home page renders"))
    assert load_checklist(source, ParseOptions(), cache).get("post.home").text == (  # type: ignore[union-attr]
        "Home page renders"
    )
    lenient = ParseOptions(default_severity=Severity.LOW)
    _write(source, SMALL_CHECKLIST.replace(" severity: low", ""))
    assert load_checklist(source, lenient, cache).get("pre.lint").severity is Severity.LOW  # type: ignore[union-attr]
    assert load_checklist(source, ParseOptions(), cache).get("pre.lint").severity is (  # type: ignore[union-attr]
        Severity.MEDIUM
    )
    assert len(list(cache.glob("*.json"))) == 4


def test_a_corrupt_or_unwritable_cache_only_costs_a_parse(tmp_path: Path) -> None:
    source = _write(tmp_path / "checklist.md", SMALL_CHECKLIST)
    cache = tmp_path / "cache"
    expected = load_checklist(source, ParseOptions(), cache)
    for entry in cache.glob("*.json"):
        entry.write_text('{"format": 1, "items": [["half"', encoding="utf-8")
    assert load_checklist(source, ParseOptions(), cache) == expected
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x", encoding="utf-8")
    assert load_checklist(source, ParseOptions(), blocked / "cache") == expected


def test_errors_are_never_cached(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "checklist.md", SMALL_CHECKLIST.replace("id: pre.lint", "id: pre.unit")
    )
    cache = tmp_path / "cache"
    for _ in range(2):
        with pytest.raises(ChecklistError, match=r"duplicate item id 'pre\.unit'"):
            load_checklist(source, ParseOptions(), cache)
    assert not list(cache.glob("*.json"))
    with pytest.raises(ChecklistError, match="cannot read the checklist"):
        load_checklist(tmp_path / "missing.md", ParseOptions(), cache)


def test_cache_location_follows_the_environment(tmp_path: Path) -> None:
    assert cache_dir({CACHE_ENV: "off"}) is None
    assert cache_dir({CACHE_ENV: str(tmp_path)}) == tmp_path / "checklists"
    assert cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == (
        tmp_path / "pytest-release" / "checklists"
    )


def test_a_cached_run_does_not_load_the_markdown_parser(tmp_path: Path) -> None:
    source = _write(tmp_path / "checklist.md", SMALL_CHECKLIST)
    probe = (
        "import sys; from pathlib import Path\n"
        "from pytest_release.checklist.cache import load_checklist\n"
        "from pytest_release.checklist.parse import ParseOptions\n"
        f"c = load_checklist(Path({str(source)!r}), ParseOptions())\n"
        "print(len(c), 'markdown_it' in sys.modules)\n"
    )
    env = {**os.environ, CACHE_ENV: str(tmp_path / "cache")}
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs == [["6", "True"], ["6", "False"]]
