"""The checklist engine: Markdown -> items, metadata, errors a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_release.checklist.model import Criterion, Phase, Severity
from pytest_release.checklist.parse import (
    ChecklistError,
    ParseOptions,
    parse_file,
    parse_text,
)
from tests.conftest import SEED_CHECKLIST

SEED_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "deployment-checklist.md"


def test_seed_checklist_has_all_82_items_with_exact_texts() -> None:
    checklist = parse_file(SEED_CHECKLIST)
    assert len(checklist) == 82
    assert len(set(checklist.ids)) == 82
    assert checklist.title == "Deployment Checklist for Interactive Examples"
    assert checklist.roles == (
        "Project Manager",
        "Lead Developer",
        "QA Lead",
        "DevOps Engineer",
        "Security Officer",
    )
    headers = checklist.get("post.security.headers")
    assert headers is not None
    assert headers.text == "Security headers are present"
    assert headers.section == "Post-Deployment Checks / Security"
    assert headers.phase is Phase.POSTDEPLOY
    assert headers.category == "security"
    assert headers.severity is Severity.CRITICAL
    assert headers.criterion is Criterion.SECURITY_VULNERABILITY


@pytest.mark.skipif(not SEED_SOURCE.is_file(), reason="../shared/seeds is not beside the repo")
def test_seed_texts_match_the_original_seed() -> None:
    original = parse_file(SEED_SOURCE)
    ours = parse_file(SEED_CHECKLIST)
    assert [(i.section, i.text) for i in original] == [(i.section, i.text) for i in ours]


def test_phases_categories_and_severity_defaults_of_the_seed() -> None:
    checklist = parse_file(SEED_CHECKLIST)
    phases = {item.phase for item in checklist}
    assert phases == {Phase.PREDEPLOY, Phase.DEPLOY, Phase.POSTDEPLOY, Phase.ROLLBACK}
    by_phase = {p: sum(i.phase is p for i in checklist) for p in phases}
    assert by_phase == {
        Phase.PREDEPLOY: 26,
        Phase.DEPLOY: 24,
        Phase.POSTDEPLOY: 21,
        Phase.ROLLBACK: 11,
    }
    functionality = [i for i in checklist if i.category == "functionality"]
    assert len(functionality) == 6
    assert all(i.severity is Severity.CRITICAL for i in functionality)
    assert checklist.get("deploy.deployment.migrations") is not None
    migrations = checklist.get("deploy.deployment.migrations")
    assert migrations is not None and migrations.criterion is Criterion.DATABASE_INTEGRITY


def test_auto_ids_are_stable_and_derived_from_section_and_text() -> None:
    text = "# T\n## Post-Deployment Checks\n### Performance\n- [ ] Pages load fast\n- [x] API ok\n"
    first = parse_text(text)
    second = parse_text(text)
    assert (
        first.ids
        == second.ids
        == (
            "post-deployment-checks.performance.pages-load-fast",
            "post-deployment-checks.performance.api-ok",
        )
    )
    assert first.items[1].checked is True
    assert first.items[0].severity is Severity.MEDIUM
    assert first.items[0].criterion is Criterion.PERFORMANCE_DEGRADED


def test_heading_metadata_sets_defaults_and_items_override_them() -> None:
    text = (
        "## Deployment Steps\n### Database <!-- severity: critical; criterion: "
        "database-integrity-compromised -->\n- [ ] Migrate\n- [ ] Vacuum <!-- severity: low -->\n"
    )
    items = parse_text(text).items
    assert [i.severity for i in items] == [Severity.CRITICAL, Severity.LOW]
    assert all(i.criterion is Criterion.DATABASE_INTEGRITY for i in items)
    assert items[0].phase is Phase.DEPLOY
    assert items[0].section == "Deployment Steps / Database"


def test_configured_phase_map_and_severity_defaults() -> None:
    text = "## Nach dem Rollout\n### Sicherheit\n- [ ] TLS ok\n"
    options = ParseOptions(
        phases={"nach dem rollout": Phase.POSTDEPLOY},
        categories={"sicherheit": "security"},
        severities={"security": Severity.CRITICAL},
    )
    item = parse_text(text, options=options).items[0]
    assert (item.phase, item.category, item.severity) == (
        Phase.POSTDEPLOY,
        "security",
        Severity.CRITICAL,
    )
    assert item.criterion is Criterion.SECURITY_VULNERABILITY


def test_non_task_list_items_and_prose_are_ignored() -> None:
    text = "## Post-Deployment Checks\n### Notes\n- a plain bullet\n\nText [ ] here\n- [ ] Real\n"
    assert [i.text for i in parse_text(text)] == ["Real"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "## Post-Deployment Checks\n- [ ] A <!-- id: x -->\n- [ ] B <!-- id: x -->\n",
            ["f.md:3", "duplicate item id 'x'", "line 2", "fix:"],
        ),
        (
            "## Post-Deployment Checks\n- [ ] A <!-- id: x; severty: high -->\n",
            ["f.md:2", "unknown metadata key 'severty'", "did you mean 'severity'", "fix:"],
        ),
        (
            "## Post-Deployment Checks\n- [ ] A <!-- severity: urgent -->\n",
            ["f.md:2", "severity 'urgent' is not valid", "critical, high, medium, low"],
        ),
        (
            "## Whatever Heading\n- [ ] A\n",
            ["f.md:1", "does not name a phase", "[tool.pytest_release.phases]"],
        ),
        ("## Post-Deployment Checks\n- [ ] A <!-- id -->\n", ["not 'key: value'"]),
    ],
)
def test_errors_name_file_line_and_fix(text: str, words: list[str]) -> None:
    with pytest.raises(ChecklistError) as info:
        parse_text(text, "f.md")
    for word in words:
        assert word in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match="cannot read the checklist"):
        parse_file(tmp_path / "nope.md")


def test_a_1000_item_checklist_parses_completely() -> None:
    """The < 50 ms target is measured by benchmarks/parse_speed.py, not here (noisy machine)."""
    text = big_checklist(1000)
    checklist = parse_text(text)
    assert len(checklist) == 1000
    assert checklist.items[-1].section == "Post-Deployment Checks / Area 19"


def big_checklist(count: int) -> str:
    lines = ["# Big", "## Post-Deployment Checks"]
    per_section = count // 20
    for section in range(20):
        lines.append(f"### Area {section}")
        lines += [f"- [ ] Check number {section}-{n} works" for n in range(per_section)]
    return "\n".join(lines) + "\n"


def test_cli_lists_the_checklist_and_reports_errors(tmp_path: Path) -> None:
    from pytest_release.cli import main

    assert main(["checklist", str(SEED_CHECKLIST), "--json"]) == 0
    bad = tmp_path / "bad.md"
    bad.write_text("## Post-Deployment Checks\n- [ ] a <!-- sev: x -->\n")
    assert main(["checklist", str(bad)]) == 2


def test_cli_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_release.cli import main

    main(["checklist", str(SEED_CHECKLIST)])
    out = capsys.readouterr().out
    assert "82 items; phases: predeploy 26, deploy 24, postdeploy 21, rollback 11" in out
    assert "post.security.headers" in out
