"""`pytest-release rehearse`: the schedule's timeline, the outcome, a rehearsed rollback."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema

from pytest_release.checklist.parse import parse_file
from pytest_release.rehearsal.combined import choose
from pytest_release.rehearsal.run import PhaseRun
from pytest_release.rehearsal.summary import item_table, outcome
from pytest_release.rehearsal.timeline import LEAD, moment, write_schedule
from pytest_release.results import load_schema

ROOT = Path(__file__).resolve().parents[1]


def test_the_rehearsed_window_lies_ahead(tmp_path: Path) -> None:
    now = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
    steps, window = write_schedule(tmp_path / "schedule.md", now)
    assert len(steps) == 16
    assert window.start == datetime(2026, 3, 1, 14, 0, tzinfo=UTC) == (now + LEAD).replace(second=0)
    assert window.end - window.start == timedelta(hours=3, minutes=30)
    smoke = moment(steps, "smoke testing")
    assert window.contains(smoke)
    assert moment(steps, "post-deployment verification") >= window.end


def run(title: str, verdict: str, statuses: dict[str, str]) -> PhaseRun:
    checklist = [
        {"id": i, "text": i, "status": s, "tests": ["t"], "note": None} for i, s in statuses.items()
    ]
    results = {"verdict": verdict, "checklist": checklist}
    return PhaseRun(title, "step", "deploy", Path(title), verdict, 0, results)


def test_outcome_and_items() -> None:
    good = [run("a", "GO", {"deploy.backup.database": "pass"}), run("b", "GO", {})]
    assert outcome(good, rolled_back=False).verdict == "GO"
    table = item_table(good, rolled_back=False)
    assert table["deploy.backup.database"]["status"] == "pass"
    bad = [run("smoke", "NO-GO", {"deploy.verification.running": "fail"})]
    assert outcome(bad, rolled_back=False).verdict == "NO-GO"
    rolled = [*bad, run("rollback", "GO", {"rollback.initiate.verify": "pass"})]
    result = outcome(rolled, rolled_back=True)
    assert (result.verdict, result.ok) == ("ROLLBACK", True)
    assert "verified" in result.detail
    assert outcome(good, rolled_back=False, aborted="server died").verdict == "INCONCLUSIVE"


def test_a_rollback_recheck_does_not_replace_what_the_failed_release_showed() -> None:
    def phase_run(title: str, phase: str, statuses: dict[str, str]) -> PhaseRun:
        items = [{"id": i, "status": s, "tests": ["t"]} for i, s in statuses.items()]
        return PhaseRun(title, "step", phase, Path(title), "GO", 0, {"checklist": items})

    deploy = phase_run("deploy", "deploy", {"post.x": "pass", "rollback.y": "skip"})
    smoke = phase_run("smoke", "smoke", {"post.x": "fail", "rollback.y": "skip"})
    rollback = phase_run("rollback", "rollback", {"post.x": "pass", "rollback.y": "pass"})
    runs = [deploy, smoke, rollback]
    assert choose("post.x", runs)[0] is smoke  # the latest judgement before the rollback
    assert choose("rollback.y", runs)[0] is rollback
    assert choose("post.x", [rollback])[0] is rollback  # nothing earlier judged it


def test_a_broken_release_is_rolled_back_and_verified(tmp_path: Path) -> None:
    work = tmp_path / "rehearsal"
    command = [sys.executable, "-m", "pytest_release.cli", "rehearse", "--quick"]
    done = subprocess.run(
        [*command, "--fault", "run-500", f"--work-dir={work}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads((work / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict"] == "ROLLBACK" and summary["rolled_back"], done.stdout
    assert [r["title"] for r in summary["runs"]] == [
        "deploy: backup and notice",
        "deploy: in the window",
        "smoke",
        "rollback",
    ]
    assert [r["verdict"] for r in summary["runs"]] == ["GO", "GO", "NO-GO", "GO"]
    items = summary["items"]
    for item_id, entry in items.items():
        if item_id.startswith(("deploy.backup", "deploy.maintenance", "deploy.deployment")):
            assert entry["status"] in ("pass", "skip"), (item_id, entry)
        if item_id.startswith("rollback."):
            assert entry["status"] in ("pass", "manual"), (item_id, entry)
    assert items["deploy.verification.smoke-tests"]["status"] == "fail"
    incident = (work / "04-rollback" / "incident.md").read_text(encoding="utf-8")
    assert "/api/run answered" in incident
    assert "Rehearsal: ROLLBACK - verified" in done.stdout
    record = json.loads((work / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(record, load_schema())
    assert record["verdict"] == "ROLLBACK" and record["phase"] == "rehearsal"
    checklist = parse_file(ROOT / "suites" / "checklist.md")
    assert [(i["id"], i["text"]) for i in record["checklist"]] == [
        (i.id, i.text) for i in checklist
    ]
    combined = {i["id"]: i for i in record["checklist"]}
    smoke_tests = combined["deploy.verification.smoke-tests"]
    assert (smoke_tests["status"], smoke_tests["run"]) == ("fail", "smoke")
    assert (
        combined["rollback.initiate.verify"]["status"],
        combined["rollback.initiate.verify"]["run"],
    ) == ("pass", "rollback")
    assert combined["rollback.post.root-cause"]["status"] == "manual"
    go_live = combined["deploy.go-live.monitor"]
    assert (go_live["status"], go_live["note"]) == (
        "skip",
        "not reached: the release was rolled back first",
    )
    assert (work / smoke_tests["report"]).is_file()
