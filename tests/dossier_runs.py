"""Real phase runs of a small project (pytester) for the dossier tests."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Imported before any pytester run: pytester drops modules first imported during a run, and
# cryptography's compiled core cannot be imported twice (its classes would no longer match).
import cryptography.exceptions
import cryptography.hazmat.primitives.asymmetric.ed25519
import cryptography.hazmat.primitives.serialization  # noqa: F401
import pytest

from pytest_release.cli import main

PHASES = ("predeploy", "smoke", "postdeploy")

CHECKS = """
import pytest

@pytest.mark.checklist("pre.unit", "pre.lint")
def test_unit():
    assert {pre_ok}, "unit tests failed: 3 of 120"

@pytest.mark.smoke
@pytest.mark.checklist("post.home")
def test_home():
    assert {home_ok}, "home page answered 500"

@pytest.mark.checklist("post.search")
def test_search():
    assert {search_ok}, "search returned nothing for 'loops'"

@pytest.mark.checklist("post.checkout")
def test_checkout():
    pass

@pytest.mark.checklist("post.headers")
def test_headers():
    pass
"""

# Adds performance figures to results.json through the plugin's own extension point.
FIGURES_CONFTEST = """
def pytest_release_results(record, data):
    if data["phase"] == "postdeploy":
        data["performance"] = [
            {{"name": "api.run.p95", "value": {p95}, "unit": "ms"}},
            {{"name": "load.throughput", "value": {rps}, "unit": "req/s", "better": "higher"}},
        ]
"""


def write_checks(
    pytester: pytest.Pytester, *, pre_ok: bool = True, home_ok: bool = True, search_ok: bool = True
) -> None:
    pytester.makepyfile(
        test_checks=CHECKS.format(pre_ok=pre_ok, home_ok=home_ok, search_ok=search_ok)
    )


def run_phases(
    pytester: pytest.Pytester,
    version: str,
    phases: Sequence[str] = PHASES,
    extra: Sequence[str] = (),
) -> list[Path]:
    """Run each phase of one release; keep a copy of each results.json under runs/<version>/."""
    copies: list[Path] = []
    for phase in phases:
        pytester.runpytest(
            "-m", phase, "--release-version", version, "-p", "no:cacheprovider", *extra
        )
        copy = pytester.path / "runs" / version / f"{phase}.json"
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pytester.path / "reports" / "results.json", copy)
        copies.append(copy)
    return copies


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """Run `pytest-release ...` in this process; (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def items(dossier: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in dossier["checklist"]}
