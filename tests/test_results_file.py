"""results.json is a public interface: it validates against the shipped schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from pytest_release.results import load_schema
from tests.conftest import SEED_CHECKLIST, results

SEED_TESTS = """
import pytest

@pytest.mark.checklist("post.security.headers")
def test_headers(evidence):
    evidence.attach("response-headers", {"content-type": "text/html", "set-cookie": "sid=s3cr3t"})
    evidence.attach("note", "fetched https://x.test/?token=abc123 ok", "text")

@pytest.mark.checklist("post.functionality.code-execution")
def test_run(): assert False, "run API answered 500"
"""


def test_seed_run_validates_and_lists_all_82_items(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", checklist=SEED_CHECKLIST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_seed=SEED_TESTS)
    result = pytester.runpytest("--checklist", "checklist.md", "-m", "postdeploy")
    assert result.ret == 1
    data = results(pytester)
    jsonschema.validate(data, load_schema())
    assert len(data["checklist"]) == 82
    assert sum(data["counts"].values()) == 82
    assert data["verdict"] == "ROLLBACK"
    ids = [r["rule"] for r in data["verdict_reasons"]]
    assert ids[0] == "critical-functionality-broken"
    assert "uncovered-critical-items" in ids
    headers = next(i for i in data["checklist"] if i["id"] == "post.security.headers")
    assert headers["text"] == "Security headers are present"
    assert headers["section"] == "Post-Deployment Checks / Security"
    assert headers["evidence"] == [
        "evidence/test_seed.py_test_headers/response-headers.json",
        "evidence/test_seed.py_test_headers/note.txt",
    ]


def test_secrets_never_reach_the_report_dir(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", checklist=SEED_CHECKLIST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_seed=SEED_TESTS)
    pytester.runpytest("--checklist", "checklist.md", "-m", "postdeploy")
    written = [p for p in (pytester.path / "reports").rglob("*") if p.is_file()]
    assert len(written) >= 4
    for path in written:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "s3cr3t" not in text, path
        assert "abc123" not in text, path


def test_schema_rejects_a_wrong_verdict() -> None:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    bad = {"schema": 1, "verdict": "MAYBE"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_results_json_is_plain_utf8_json(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", checklist="## Post-Deployment Checks\n- [ ] Prüfung läuft\n")
    pytester.makepyfile(test_a="def test_a(): pass")
    pytester.runpytest("--checklist", "checklist.md")
    raw = (pytester.path / "reports" / "results.json").read_text(encoding="utf-8")
    assert json.loads(raw)["checklist"][0]["text"] == "Prüfung läuft"
