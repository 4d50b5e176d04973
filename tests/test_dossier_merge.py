"""pytest-release dossier: the phase runs of one release merged, refused when mixed, compared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_release.dossier import history
from pytest_release.dossier.merge import merge
from pytest_release.dossier.runs import load_run
from pytest_release.dossier.schedule import DEFAULT_SCHEDULE, parse_timeline
from tests.dossier_runs import (
    FIGURES_CONFTEST,
    cli,
    items,
    load,
    run_phases,
    write_checks,
)


def test_three_phase_runs_make_one_go_dossier(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    write_checks(project)
    runs = run_phases(project, "2025.07.25")
    code, out, err = cli(
        capsys, "dossier", *runs, runs[0], "-o", "out/dossier.html", "--history", "h", "--archive"
    )
    assert code == 0, err
    assert "Release 2025.07.25: GO" in out
    assert [len(r.files) for r in history.releases(project.path / "h")] == [3]
    data = load(project.path / "out" / "dossier.json")
    assert data["verdict"] == "GO"
    assert data["verdict_reasons"] == []
    assert list(data["phases"]) == ["predeploy", "smoke", "postdeploy"]
    assert [r["phase"] for r in data["runs"]] == ["predeploy", "smoke", "postdeploy"]
    by_id = items(data)
    # Latest judgement wins: the smoke run judged post.home first, postdeploy again later.
    assert by_id["post.home"]["by_phase"] == {"smoke": "pass", "postdeploy": "pass"}
    assert by_id["post.home"]["judged"]["phase"] == "postdeploy"
    assert by_id["pre.unit"]["judged"]["phase"] == "predeploy"
    assert by_id["pre.unit"]["status"] == "pass"
    timeline = {row["activity"]: row for row in data["timeline"]}
    assert timeline["Pre-deployment testing"]["runs"] == [0]
    assert timeline["Smoke testing"]["runs"] == [1]
    assert timeline["Post-deployment verification"]["runs"] == [2]
    assert timeline["Backup production environment"]["runs"] == []
    assert data["roles"][:2] == [
        "QA Lead",
        "DevOps Engineer",
    ]  # the checklist's, then the schedule's
    assert "Security Officer" in data["roles"]
    assert data["signatures"] == []
    html = (project.path / "out" / "dossier.html").read_text(encoding="utf-8")
    assert 'data-verdict="GO"' in html
    assert "Nothing to compare: no earlier release in the history directory" in html
    assert "<script" not in html and "http://" not in html.split("</style>")[0]


def test_release_verdict_rules(project: pytest.Pytester) -> None:
    write_checks(project, home_ok=False)
    pre, post = run_phases(project, "1.0", ["predeploy", "postdeploy"])
    failing = [pre, post.rename(post.with_name("postdeploy-failing.json"))]
    release = merge([load_run(p) for p in failing])
    assert release.verdict == "ROLLBACK"
    assert [r.rule for r in release.reasons] == ["critical-functionality-broken"]
    assert release.reasons[0].phase == "postdeploy"
    # Fixed and re-run: the latest postdeploy run counts, the failing one is superseded.
    write_checks(project)
    (refixed,) = run_phases(project, "1.0", ["postdeploy"])
    release = merge([load_run(p) for p in [*failing, refixed]])
    assert release.verdict == "INCONCLUSIVE"  # ... but no smoke run yet
    assert [(r.rule, r.phase) for r in release.reasons] == [("phase-not-run", "smoke")]
    assert "superseded-run" in {w.rule for w in release.warnings}
    release = merge([load_run(p) for p in [*failing, refixed]], ("predeploy", "postdeploy"))
    assert release.verdict == "GO"


def test_runs_of_different_releases_or_targets_are_refused(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    write_checks(project)
    (old,) = run_phases(project, "1.0", ["predeploy"])
    (new,) = run_phases(project, "1.1", ["postdeploy"])
    code, _, err = cli(capsys, "dossier", old, new)
    assert code == 2
    assert "refusing to merge runs of different releases" in err
    assert f"{old}: release 1.0" in err and f"{new}: release 1.1" in err
    assert not (project.path / "reports" / "dossier.html").exists()

    (staging,) = run_phases(project, "2.0", ["smoke"], ["--target-url", "https://staging.example"])
    (prod,) = run_phases(project, "2.0", ["postdeploy"], ["--target-url", "https://prod.example"])
    code, _, err = cli(capsys, "dossier", staging, prod)
    assert code == 2
    assert "refusing to merge runs against different targets" in err
    assert "https://staging.example" in err and "https://prod.example" in err


def test_history_comparison_with_the_previous_release(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    write_checks(project)
    project.makeconftest(FIGURES_CONFTEST.format(p95=100.0, rps=50.0))
    run_phases(project, "1.0", extra=["--history", "hist"])
    # The next release: search broke, the run API is 1.8x slower, throughput about the same.
    write_checks(project, search_ok=False)
    project.makeconftest(FIGURES_CONFTEST.format(p95=180.0, rps=45.0))
    current = run_phases(project, "1.1", extra=["--history", "hist"])
    archived = history.releases(project.path / "hist")
    assert [(r.version, len(r.files)) for r in archived] == [("1.0", 3), ("1.1", 3)]

    code, out, err = cli(capsys, "dossier", *current, "--history", "hist")
    assert code == 0, err
    assert "Compared with 1.0: 1 regressed, 1 new failures" in out
    comparison = load(project.path / "reports" / "dossier.json")["history"]["comparison"]
    assert comparison["previous_version"] == "1.0"
    assert comparison["previous_verdict"] == "GO"
    assert [(c["id"], c["before"], c["now"]) for c in comparison["regressed"]] == [
        ("post.search", "pass", "fail")
    ]
    assert [f["nodeid"] for f in comparison["new_failures"]] == ["test_checks.py::test_search"]
    assert "search returned nothing" in comparison["new_failures"][0]["message"]
    figures = {f["name"]: f for f in comparison["performance"]}
    assert figures["api.run.p95"]["ratio"] == pytest.approx(1.8)
    assert figures["api.run.p95"]["assessment"] == "significantly worse"
    assert figures["load.throughput"]["assessment"] == "unchanged"  # 0.9x, higher is better
    html = (project.path / "reports" / "dossier.html").read_text(encoding="utf-8")
    assert "1.80×" in html and 'data-status="significantly worse"' in html


def test_history_keeps_the_last_n_releases(project: pytest.Pytester, tmp_path: Path) -> None:
    write_checks(project)
    result = project.runpytest("-m", "predeploy", "--history", "hist", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["history: not archived: the run has no --release-version*"])
    (run,) = run_phases(project, "0.9", ["predeploy"])
    data = load(run)
    target = tmp_path / "hist"
    for n in range(1, 5):
        entry = {**data, "release": {"version": f"1.{n}", "commit": None}}
        entry["started"] = f"2025-07-2{n}T10:00:00Z"
        path = history.archive(entry, target, keep=2)
        assert history.archive(entry, target, keep=2) == path  # idempotent
    assert [r.version for r in history.releases(target)] == ["1.3", "1.4"]
    assert sorted(p.name for p in target.iterdir()) == ["1.3", "1.4"]
    assert history.baseline_for(target, "predeploy", "1.4") == target / "1.3" / (
        "20250723T100000Z-predeploy.json"
    )


def test_secrets_stay_redacted_in_the_dossier(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "Bearer s3cr3t-t0ken-value-123"
    # A hook that writes after the plugin's own redaction: the dossier must redact again.
    project.makeconftest(
        f"""
def pytest_release_results(record, data):
    for item in data["checklist"]:
        if item["id"] == "post.search":
            item["note"] = "Authorization: {secret}"
    for reason in data["verdict_reasons"]:
        reason["detail"] += ' password="{secret[7:]}"'
"""
    )
    write_checks(project, home_ok=False, search_ok=False)
    project.makefile(
        ".toml",
        attestations="""
[[waiver]]
item = "post.search"
reason = "search index rebuilds overnight"
by = "Sam (Project Manager)"
expires = 2099-01-01

[[waiver]]
item = "post.checkout"
reason = "old waiver"
by = "Sam (Project Manager)"
expires = 2020-01-01

[[attestation]]
item = "pre.lint"
by = "Dana (Lead Developer)"
at = 2025-07-24T10:00:00Z
note = "lint run in CI"
""",
    )
    runs = run_phases(project, "1.0", ["postdeploy"], ["--attestations", "attestations.toml"])
    assert secret in runs[0].read_text(encoding="utf-8")
    code, _, err = cli(capsys, "dossier", *runs, "--require-phases", "postdeploy")
    assert code == 0, err
    for name in ("dossier.json", "dossier.html"):
        text = (project.path / "reports" / name).read_text(encoding="utf-8")
        assert "s3cr3t" not in text, name
        assert "[REDACTED]" in text, name
    data = json.loads((project.path / "reports" / "dossier.json").read_text(encoding="utf-8"))
    assert data["verdict"] == "ROLLBACK"
    assert data["verdict_reasons"][0]["detail"].endswith('password="[REDACTED]"')
    # Waivers (open and expired) and attestations travel into the dossier.
    assert [(w["checklist"], w["expired"]) for w in data["waivers"]] == [
        ("post.search", False),
        ("post.checkout", True),
    ]
    assert [a["by"] for a in data["attestations"]] == ["Dana (Lead Developer)"]
    assert "waiver-expired" in {w["rule"] for w in data["warnings"]}
    assert items(data)["post.search"]["status"] == "waived"


def test_the_bundled_timeline_is_the_seed_schedule() -> None:
    seed = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "deployment-schedule.md"
    if not seed.is_file():
        pytest.skip(f"the seed schedule is not at {seed}")
    assert parse_timeline(seed.read_text(encoding="utf-8")) == DEFAULT_SCHEDULE
    phases = {a.activity: a.phase for a in DEFAULT_SCHEDULE if a.phase}
    assert phases == {
        "Pre-deployment testing": "predeploy",
        "Deploy code to production": "deploy",
        "Smoke testing": "smoke",
        "Post-deployment verification": "postdeploy",
        "Deployment sign-off": "signoff",
    }


def test_history_from_config_and_bad_config(project: pytest.Pytester) -> None:
    write_checks(project)
    project.makepyprojecttoml(
        '[tool.pytest_release]\nchecklist = "checklist.md"\n'
        '[tool.pytest_release.history]\ndir = "archive"\nkeep = 3\n'
    )
    result = project.runpytest("-m", "predeploy", "--release-version", "5.0")
    result.stdout.fnmatch_lines(["history: archived to *archive*5.0*-predeploy.json"])
    assert [r.version for r in history.releases(project.path / "archive")] == ["5.0"]
    project.makepyprojecttoml(
        '[tool.pytest_release]\nchecklist = "checklist.md"\n'
        "[tool.pytest_release.history]\nkeep = 0\n"
    )
    result = project.runpytest("-m", "predeploy")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*[[]tool.pytest_release.history[]] keep = 0 is not allowed*"])
