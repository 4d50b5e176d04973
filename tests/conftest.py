"""Shared helpers for the plugin's own tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED_CHECKLIST = ROOT / "suites" / "checklist.md"

SMALL_CHECKLIST = """\
# Shop deployment checklist

## Pre-Deployment Checks

### Code Quality
- [ ] Unit tests pass <!-- id: pre.unit; severity: high -->
- [ ] Lint is clean <!-- id: pre.lint; severity: low -->

## Post-Deployment Checks

### Functionality
- [ ] Home page loads <!-- id: post.home; severity: critical -->
- [ ] Search works <!-- id: post.search; severity: high -->
- [ ] Checkout works <!-- id: post.checkout; severity: high -->

### Security
- [ ] Security headers are present <!-- id: post.headers; severity: critical -->

## Sign-Off

| Role | Name | Signature | Date |
|------|------|-----------|------|
| QA Lead | | | |
| DevOps Engineer | | | |
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A temp project with its own checklist.md, configured through pyproject.toml."""
    pytester.makefile(".md", checklist=SMALL_CHECKLIST)
    pytester.makepyprojecttoml('[tool.pytest_release]\nchecklist = "checklist.md"\n')
    return pytester


def results(pytester: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (pytester.path / "reports" / "results.json").read_text(encoding="utf-8")
    )
    return data


def statuses(data: dict[str, Any]) -> dict[str, str]:
    return {item["id"]: item["status"] for item in data["checklist"]}
