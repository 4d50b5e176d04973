"""Documentation guide checks on written fixtures, and on this repository's own docs/."""

from __future__ import annotations

from pathlib import Path

from pytest_release.probes.docs import (
    GUIDES,
    GuideConfig,
    check_api_guide,
    check_guide,
    routes_named,
)

ROOT = Path(__file__).resolve().parents[1]
PROSE = " ".join(["The service keeps examples running and explains how."] * 30)


def _guide(tmp_path: Path, text: str, sections: tuple[str, ...] = ("Backup",)) -> GuideConfig:
    path = tmp_path / "docs" / "guide.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return GuideConfig("maintenance", path, sections, 100)


def test_empty_guide_fails_with_what_to_write(tmp_path: Path) -> None:
    result = check_guide(_guide(tmp_path, "# Maintenance\n\nTODO\n"), tmp_path)
    text = "\n".join(result.problems)
    assert "words of prose, fewer than 100" in text
    assert "placeholder 'TODO'" in text
    assert "no section on 'Backup'" in text


def test_broken_links_and_anchors_are_named(tmp_path: Path) -> None:
    (tmp_path / "docs" / "other.md").parent.mkdir(parents=True)
    (tmp_path / "docs" / "other.md").write_text("# Other\n\n## Real part\n", encoding="utf-8")
    text = (
        f"# Guide\n\n## Backups\n\n{PROSE}\n\nSee [other](other.md#real-part), [gone](missing.md), "
        "[bad](other.md#nope), [here](#backups), [web](https://example.org/x).\n"
    )
    result = check_guide(_guide(tmp_path, text), tmp_path)
    assert result.links_checked == 4
    assert len(result.problems) == 2
    assert "link 'missing.md' points to a missing file" in result.problems[0]
    assert "no heading or anchor #nope in other.md" in result.problems[1]


def test_api_guide_must_name_every_route(tmp_path: Path) -> None:
    guide = _guide(
        tmp_path,
        f"# API\n\n## Errors\n\n{PROSE}\n\n`POST /api/run`, `GET /runs/<id>`\n",
        ("Errors",),
    )
    result = check_api_guide(guide, tmp_path, ["/api/run", "/runs/{run_id}", "/status"])
    assert result.routes == {"/api/run": True, "/runs/{run_id}": True, "/status": False}
    assert "does not document 1 published route(s): /status" in result.problems[-1]
    assert routes_named("see /status.html", ["/status"]) == {"/status": False}


def test_this_repository_documents_itself() -> None:
    for name, (path, sections) in GUIDES.items():
        result = check_guide(GuideConfig(name, ROOT / path, sections), ROOT)
        assert result.problems == (), result.problems
