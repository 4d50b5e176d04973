"""`make demo`: the rehearsal on a fresh reference, one record of all 82 checklist items.

Run with ``--quick`` (about a minute: no staging, no pre-deployment phase); the
pre-deployment phase on the rehearsal's inputs is tests/test_rehearsal_inputs.py's, and the
full demo is `make demo` (about 4-5 minutes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema

from pytest_release.checklist.parse import parse_file
from pytest_release.results import load_schema

ROOT = Path(__file__).resolve().parents[1]
OPS = ("deploy.", "post.monitoring.", "rollback.")


def test_demo_rehearses_the_schedule_and_records_every_item(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    (reports / "evidence").mkdir(parents=True)  # what an earlier plain pytest run left there
    (reports / "evidence" / "old.txt").write_text("from another run\n")
    (reports / "junit.xml").write_text("<testsuites/>\n")
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_RELEASE_", "PYTEST_XDIST"))
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest_release.demo", "--quick", f"--reports={reports}"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    record = json.loads((reports / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(record, load_schema())
    checklist = parse_file(ROOT / "suites" / "checklist.md")
    assert len(checklist) == 82
    assert [(i["id"], i["text"]) for i in record["checklist"]] == [
        (i.id, i.text) for i in checklist
    ]
    assert record["verdict"] == "GO", output[-4000:]
    items = {i["id"]: i for i in record["checklist"]}
    for item_id, item in items.items():
        if item_id.startswith(OPS):
            assert item["status"] in ("pass", "manual", "na"), (item_id, item)
        if item["status"] == "na":
            assert item_id.startswith("rollback."), (item_id, item)
            assert item["note"] == "no rollback was needed in this rehearsal"
        if item_id.startswith("pre."):  # --quick runs no pre-deployment phase, and says so
            assert (item["status"], item["note"]) == ("skip", "no run of this rehearsal judged it")
        if "run" in item:
            assert (reports / item["report"]).is_file(), item
            assert all((reports / e).is_file() for e in item["evidence"]), item
    runs = [r["title"] for r in record["rehearsal"]["runs"]]
    assert runs == [
        "deploy: backup and notice",
        "deploy: in the window",
        "smoke",
        "deploy: go live",
        "postdeploy",
    ]
    page = (reports / "report.html").read_text(encoding="utf-8")
    assert "rehearsal/summary.html" in page and "rehearsal/05-postdeploy/report.html" in page
    assert f"Report:  {reports / 'report.html'}" in done.stdout
    assert "Verdict: GO" in done.stdout and "82 checklist items" in done.stdout
    assert not list((reports / "rehearsal" / "redis").glob("*.rdb"))
    assert not (reports / "junit.xml").exists() and not (reports / "evidence").exists()
