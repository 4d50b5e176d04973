"""`make demo`: the full rehearsal on a fresh reference, one record of all 82 checklist items.

The one full-rehearsal test of the suite (minutes): the issue's acceptance - the rehearsal
ends GO with every Deployment Steps, Monitoring and Rollback item passed, attested or not
needed, and every pre-deployment item either passed or explicitly waived by the rehearsal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema

from pytest_release.checklist.parse import parse_file
from pytest_release.rehearsal.predeploy_inputs import BY
from pytest_release.results import load_schema

ROOT = Path(__file__).resolve().parents[1]
OPS = ("deploy.", "post.monitoring.", "rollback.")


def test_demo_rehearses_the_schedule_and_records_every_item(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_RELEASE_", "PYTEST_XDIST"))
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest_release.demo", f"--reports={reports}"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=1500,
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
        if item["status"] == "na" and item_id.startswith("rollback."):
            assert item["note"] == "no rollback was needed in this rehearsal"
        if item_id.startswith("pre.") and item["status"] != "pass":
            # Never a silent pass: what the rehearsal could not check says so, and by whom.
            assert item["status"] in ("waived", "na"), (item_id, item)
            assert BY in str(item["note"]) or item["status"] == "na", (item_id, item)
    for item_id in (
        "pre.code-quality.e2e-tests",
        "pre.code-quality.performance-benchmarks",
        "pre.environment.database",
        "pre.environment.backup-system",
        "pre.environment.firewall",
    ):
        assert items[item_id]["status"] == "pass", (item_id, items[item_id])
        assert all((reports / e).is_file() for e in items[item_id]["evidence"]), item_id
    redis = items["pre.environment.redis"]
    assert redis["status"] == "pass" or "redis-server is not installed" in str(redis["note"])
    runs = [r["title"] for r in record["rehearsal"]["runs"]]
    assert runs[:2] == ["staging: e2e", "predeploy"] and runs[-1] == "postdeploy"
    page = (reports / "report.html").read_text(encoding="utf-8")
    assert "rehearsal/summary.html" in page and "rehearsal/02-predeploy/report.html" in page
    assert f"Report:  {reports / 'report.html'}" in done.stdout
    assert "Verdict: GO" in done.stdout and "82 checklist items" in done.stdout
    assert not list((reports / "rehearsal" / "redis").glob("*.rdb"))
