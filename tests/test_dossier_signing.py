"""keygen, sign and verify on a dossier made from a real run; tampering is caught and named."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.dossier_runs import cli, load, run_phases, write_checks


@pytest.fixture
def signed_setup(project: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """A GO dossier of one postdeploy run, and keys/ with keys for two roles."""
    write_checks(project)
    runs = run_phases(project, "3.0", ["postdeploy"])
    code, _, err = cli(capsys, "dossier", *runs, "--require-phases", "postdeploy")
    assert code == 0, err
    keys = project.path / "keys"
    for stem, name, role in (("qa", "Alex", "QA Lead"), ("pm", "Sam", "Project Manager")):
        code, _, err = cli(capsys, "keygen", "-o", keys / stem, "--name", name, "--role", role)
        assert code == 0, err
    return project.path / "reports" / "dossier.json", keys


def sign(capsys: pytest.CaptureFixture[str], dossier: Path, *args: str | Path) -> tuple[int, str]:
    code, out, err = cli(capsys, "sign", dossier, *args)
    return code, out + err


def sign_both(capsys: pytest.CaptureFixture[str], dossier: Path, keys: Path) -> None:
    for role, name, key in (("QA Lead", "Alex", "qa"), ("Project Manager", "Sam", "pm")):
        code, text = sign(
            capsys,
            dossier,
            "--role",
            role,
            "--name",
            name,
            "--key",
            keys / f"{key}.key",
            "--trust",
            keys,
        )
        assert code == 0, text


def verify(capsys: pytest.CaptureFixture[str], dossier: Path, keys: Path) -> tuple[int, str]:
    code, out, err = cli(capsys, "verify", dossier, "--trust", keys)
    return code, out + err


def test_sign_then_verify(
    signed_setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    dossier, keys = signed_setup
    assert stat.S_IMODE((keys / "qa.key").stat().st_mode) == 0o600
    sign_both(capsys, dossier, keys)
    code, text = verify(capsys, dossier, keys)
    assert code == 0, text
    assert "ok       QA Lead: Alex" in text
    assert "ok       Project Manager: Sam" in text
    assert "pending: DevOps Engineer, Deployment Lead" in text
    assert text.rstrip().endswith("verified")
    code, text = cli(capsys, "verify", dossier, "--trust", keys, "--require", "all")[::2]
    assert code == 1 and "MISSING  DevOps Engineer: no verified signature" in text
    # Signing again for the same role with the same key replaces the signature.
    sign_both(capsys, dossier, keys)
    assert [s["role"] for s in load(dossier)["signatures"]] == ["QA Lead", "Project Manager"]
    html = dossier.with_suffix(".html").read_text(encoding="utf-8")
    assert '<tr data-role="QA Lead" data-status="verified">' in html
    assert '<tr data-role="Security Officer" data-status="pending">' in html


def test_one_changed_byte_fails_naming_each_role(
    signed_setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    dossier, keys = signed_setup
    sign_both(capsys, dossier, keys)
    original = dossier.read_bytes()
    dossier.write_bytes(original.replace(b"Home page loads", b"Home page loadz", 1))
    code, text = verify(capsys, dossier, keys)
    assert code == 1
    assert "INTEGRITY: content changed after the dossier was generated" in text
    assert "INVALID  QA Lead (Alex): the dossier changed after this signature was made" in text
    assert "INVALID  Project Manager (Sam): the dossier changed after" in text
    assert text.rstrip().endswith("NOT verified")
    # A byte outside the content (layout only) is caught too.
    dossier.write_bytes(original.replace(b'\n "kind"', b'\n  "kind"', 1))
    code, text = verify(capsys, dossier, keys)
    assert code == 1
    assert "INVALID  QA Lead (Alex): the file was edited after signing" in text


def test_signatures_swapped_between_roles_fail(
    signed_setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    dossier, keys = signed_setup
    sign_both(capsys, dossier, keys)
    data = load(dossier)
    qa, pm = data["signatures"]
    qa["signature"], pm["signature"] = pm["signature"], qa["signature"]
    dossier.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    code, text = verify(capsys, dossier, keys)
    assert code == 1
    assert (
        "INVALID  QA Lead (Alex): the signature was made for the Project Manager (Sam) entry, "
        "not this one (signatures swapped between roles)"
    ) in text
    assert "INVALID  Project Manager (Sam): the signature was made for the QA Lead (Alex)" in text


def test_unknown_or_wrong_role_key_fails(
    signed_setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    dossier, keys = signed_setup
    code, _, err = cli(capsys, "keygen", "-o", dossier.parent / "mallory", "--name", "Mallory")
    assert code == 0, err
    code, text = sign(
        capsys,
        dossier,
        "--role",
        "Security Officer",
        "--name",
        "Mallory",
        "--key",
        dossier.parent / "mallory.key",
    )
    assert code == 0, text
    assert "not among the trusted keys" in text  # sign warns at once
    # Alex's key is trusted for QA Lead only.
    code, text = sign(
        capsys, dossier, "--role", "DevOps Engineer", "--name", "Alex", "--key", keys / "qa.key"
    )
    assert code == 0, text
    code, text = verify(capsys, dossier, keys)
    assert code == 1
    assert "INVALID  Security Officer (Mallory): signed with an unknown key" in text
    assert "may sign for QA Lead only, not DevOps Engineer" in text
    html = dossier.with_suffix(".html").read_text(encoding="utf-8")
    assert '<tr data-role="Security Officer" data-status="invalid">' in html
    code, text = sign(capsys, dossier, "--role", "QA lead", "--name", "A", "--key", keys / "qa.key")
    assert code == 2 and "did you mean 'QA Lead'?" in text


def test_signing_a_non_go_release_needs_accept_risk(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    write_checks(project)
    runs = run_phases(project, "4.0", ["postdeploy"])  # smoke and predeploy missing
    code, _, err = cli(capsys, "dossier", *runs)
    assert code == 0, err
    dossier = project.path / "reports" / "dossier.json"
    assert load(dossier)["verdict"] == "INCONCLUSIVE"
    cli(capsys, "keygen", "-o", "keys/qa", "--name", "Alex")
    code, text = sign(
        capsys, dossier, "--role", "QA Lead", "--name", "Alex", "--key", "keys/qa.key"
    )
    assert code == 2
    assert "the release verdict is INCONCLUSIVE: signing it needs --accept-risk" in text
    assert load(dossier)["signatures"] == []
    reason = "smoke covered by the manual run at 22:40; predeploy signed off on paper"
    code, text = sign(
        capsys,
        dossier,
        "--role",
        "QA Lead",
        "--name",
        "Alex",
        "--key",
        "keys/qa.key",
        "--accept-risk",
        reason,
        "--trust",
        "keys",
    )
    assert code == 0, text
    code, text = verify(capsys, dossier, Path("keys"))
    assert code == 0, text
    assert "QA Lead: Alex" in text and f"(accepted risk: {reason})" in text
    html = dossier.with_suffix(".html").read_text(encoding="utf-8")
    assert f"Accepted risk: {reason}" in html
    # Dropping the accepted risk from the entry breaks its signature.
    data = load(dossier)
    data["signatures"][0]["accept_risk"] = None
    dossier.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    code, text = verify(capsys, dossier, Path("keys"))
    assert code == 1 and "INVALID  QA Lead (Alex): the signature does not match this entry" in text
