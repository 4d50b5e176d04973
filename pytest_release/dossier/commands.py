"""The console commands ``dossier``, ``keygen``, ``sign`` and ``verify`` (wired in cli.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_release.dossier import document, history, keyfiles, signing
from pytest_release.dossier.compare import compare
from pytest_release.dossier.merge import DEFAULT_REQUIRED_PHASES, check_one_release, merge
from pytest_release.dossier.render import render
from pytest_release.dossier.runs import PHASE_ORDER, DossierError, load_run, resolve_inputs
from pytest_release.dossier.schedule import DEFAULT_SCHEDULE, read_schedule


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """What the commands read from ``[tool.pytest_release]`` of the current directory."""

    secret_patterns: tuple[str, ...]
    history: history.HistorySettings
    trusted_keys: tuple[Path, ...]


def project_config(root: Path) -> ProjectConfig:
    from pytest_release.settings import ConfigError, build_settings, read_pyproject

    try:
        settings = build_settings(root, read_pyproject(root), lambda _: None, lambda _: None)
    except ConfigError as exc:
        raise DossierError(str(exc)) from None
    signing_table = settings.section("signing")
    unknown = sorted(set(signing_table) - {"trusted_keys"})
    if unknown:
        raise DossierError(
            f"[tool.pytest_release.signing] has unknown key(s) {', '.join(unknown)}; "
            "allowed: trusted_keys (a directory of .pub files, or a list of them)"
        )
    raw = signing_table.get("trusted_keys", [])
    entries = [raw] if isinstance(raw, str) else raw
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise DossierError(
            f"[tool.pytest_release.signing] trusted_keys = {raw!r}: give a path or a list of paths"
        )
    return ProjectConfig(
        secret_patterns=settings.secret_patterns,
        history=history.history_settings(settings.section("history"), root),
        trusted_keys=tuple(_under(root, e) for e in entries),
    )


def _under(root: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def _fail(command: str, exc: Exception, code: int = 2) -> int:
    print(f"pytest-release {command}: {exc}", file=sys.stderr)
    return code


def _phases(value: str) -> tuple[str, ...]:
    phases = tuple(p.strip() for p in value.split(",") if p.strip())
    bad = [p for p in phases if p not in PHASE_ORDER]
    if bad:
        raise argparse.ArgumentTypeError(
            f"unknown phase(s) {', '.join(bad)}; "
            f"use a comma-separated list of {', '.join(PHASE_ORDER)}"
        )
    return phases


# --- dossier ---------------------------------------------------------------------------


def setup_dossier(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results",
        nargs="+",
        type=Path,
        metavar="RESULTS",
        help="results.json of each phase run (or report directories holding one)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("reports/dossier.html"),
        help="the HTML to write; dossier.json goes next to it (default reports/dossier.html)",
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=None,
        metavar="DIR",
        help="history directory to compare with the previous release "
        "(default: [tool.pytest_release.history] dir)",
    )
    parser.add_argument(
        "--archive", action="store_true", help="also archive the given runs into the history"
    )
    parser.add_argument(
        "--schedule",
        type=Path,
        default=None,
        metavar="PATH",
        help="the deployment schedule Markdown (default: the bundled seed schedule's timeline)",
    )
    parser.add_argument(
        "--require-phases",
        type=_phases,
        default=DEFAULT_REQUIRED_PHASES,
        metavar="P,P",
        help="phases without which the release is INCONCLUSIVE "
        "(default predeploy,smoke,postdeploy)",
    )


def run_dossier(args: argparse.Namespace) -> int:
    from pytest_release.report.redaction import ReportRedactor

    try:
        config = project_config(Path.cwd())
        runs = list({r.sha256: r for r in map(load_run, resolve_inputs(args.results))}.values())
        check_one_release(runs)
        release = merge(runs, args.require_phases)
        schedule = read_schedule(args.schedule) if args.schedule else DEFAULT_SCHEDULE
        history_dir: Path | None = args.history or config.history.dir
        comparison = None
        if history_dir is not None:
            if args.archive:
                for path in resolve_inputs(args.results):
                    history.archive(_json(path), history_dir, config.history.keep)
            first = release.runs[0].started
            previous = history.previous_release(history_dir, release.version, first)
            if previous is not None:
                old_runs = history.load_release_runs(previous)
                comparison = compare(release, merge(old_runs, args.require_phases))
        data = document.build(
            release,
            schedule,
            comparison,
            ReportRedactor(config.secret_patterns),
            history_dir=str(history_dir) if history_dir else None,
        )
    except DossierError as exc:
        return _fail("dossier", exc)
    json_path = args.output.with_suffix(".json")
    document.write(json_path, data)
    _write_html(args.output, data, {})
    print(f"Release {data['release']['version'] or '(none)'}: {data['verdict']}")
    for reason in data["verdict_reasons"][:8]:
        print(f"  - [{reason['rule']}] {reason['detail'][:200]}")
    if comparison is not None:
        print(
            f"Compared with {comparison.previous_version}: {len(comparison.regressed)} regressed, "
            f"{len(comparison.new_failures)} new failures, {len(comparison.figures)} figures"
        )
    print(f"Dossier: {args.output.resolve()}\nData:    {json_path.resolve()}")
    return 0


def _json(path: Path) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _write_html(
    path: Path, data: Mapping[str, Any], trusted: Mapping[str, keyfiles.PublicKey]
) -> None:
    verification = signing.verify(data, trusted)
    rows = signing.role_statuses([str(r) for r in data.get("roles", [])], verification)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(render(data, rows), encoding="utf-8")
    tmp.replace(path)


# --- keygen ----------------------------------------------------------------------------


def setup_keygen(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        required=True,
        metavar="PATH",
        help="writes PATH.key (private, keep it) and PATH.pub (share it: the trusted keys)",
    )
    parser.add_argument("--name", required=True, help="whose key it is")
    parser.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="ROLE",
        help="a role this key may sign for (repeatable; none: any role)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing key pair")


def run_keygen(args: argparse.Namespace) -> int:
    try:
        private, public = keyfiles.generate(args.out, args.name, args.role, force=args.force)
    except DossierError as exc:
        return _fail("keygen", exc)
    print(f"Private key: {private} (keep it secret; mode 0600)")
    print(f"Public key:  {public} (add it to the trusted keys directory)")
    return 0


# --- sign ------------------------------------------------------------------------------


def _trust_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="trusted public keys: a .pub file or a directory of them (repeatable; "
        "default: [tool.pytest_release.signing] trusted_keys)",
    )


def setup_sign(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dossier", type=Path, help="the dossier.json to sign")
    parser.add_argument("--role", required=True, help="the sign-off role you sign for")
    parser.add_argument("--name", required=True, help="your name")
    parser.add_argument("--key", type=Path, required=True, help="your private key (.key)")
    parser.add_argument(
        "--accept-risk",
        default=None,
        metavar="REASON",
        help="required to sign a NO-GO, ROLLBACK or INCONCLUSIVE release; shown in the dossier",
    )
    parser.add_argument(
        "--html",
        type=Path,
        default=None,
        help="the HTML to re-render (default: the .html next to the dossier.json)",
    )
    _trust_option(parser)


def run_sign(args: argparse.Namespace) -> int:
    from pytest_release.report.redaction import ReportRedactor

    try:
        config = project_config(Path.cwd())
        data = document.read(args.dossier)
        key = keyfiles.load_private(args.key)
        redact = ReportRedactor(config.secret_patterns).text
        risk = redact(args.accept_risk) if args.accept_risk else None
        signed = signing.sign(
            data, args.role, redact(args.name), key, keyfiles.public_raw(key), risk
        )
        trusted = keyfiles.load_trusted(args.trust or config.trusted_keys)
    except DossierError as exc:
        return _fail("sign", exc)
    document.write(args.dossier, signed)
    html_path = args.html or args.dossier.with_suffix(".html")
    _write_html(html_path, signed, trusted)
    entry = signed["signatures"][-1]
    print(f"Signed {args.dossier} as {entry['role']} ({entry['name']}), key {entry['key_id']}")
    if entry["accept_risk"]:
        print(f"Verdict {signed['verdict']}, accepted risk: {entry['accept_risk']}")
    if entry["key_id"] not in trusted:
        print(
            "Note: this key is not among the trusted keys, so verify will call it unknown; "
            "add its .pub file to the trusted keys directory",
            file=sys.stderr,
        )
    print(f"Dossier: {html_path.resolve()}")
    return 0


# --- verify ----------------------------------------------------------------------------


def setup_verify(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dossier", type=Path, help="the dossier.json to check")
    parser.add_argument(
        "--require",
        action="append",
        default=[],
        metavar="ROLE",
        help="fail unless ROLE has a verified signature (repeatable; 'all' for every role)",
    )
    _trust_option(parser)


def run_verify(args: argparse.Namespace) -> int:
    try:
        config = project_config(Path.cwd())
        data = document.read(args.dossier)
        trusted = keyfiles.load_trusted(args.trust or config.trusted_keys)
        raw = args.dossier.read_bytes()
    except DossierError as exc:
        return _fail("verify", exc)
    result = signing.verify(data, trusted, raw)
    rows = signing.role_statuses([str(r) for r in data.get("roles", [])], result)
    lines = [f"{args.dossier}: release {signing.release_of(data)}, verdict {data.get('verdict')}"]
    lines += [f"  INTEGRITY: {p}" for p in result.problems]
    for check in result.checks:
        if check.ok:
            risk = f" (accepted risk: {check.accept_risk})" if check.accept_risk else ""
            lines.append(f"  ok       {check.role}: {check.name}, {check.signed_at}{risk}")
        else:
            lines.append(f"  INVALID  {check.role} ({check.name}): {check.reason}")
    required = _required(args.require, data)
    missing = [r.role for r in rows if r.role in required and r.status != "verified"]
    lines += [f"  MISSING  {role}: no verified signature" for role in missing]
    if not result.checks:
        lines.append("  no signatures yet")
    pending = [r.role for r in rows if r.status == "pending" and r.role not in missing]
    if pending:
        lines.append(f"  pending: {', '.join(pending)}")
    ok = result.ok and not missing
    lines.append("verified" if ok else "NOT verified")
    print("\n".join(lines), file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def _required(values: Sequence[str], data: Mapping[str, Any]) -> set[str]:
    if "all" in values:
        return {str(r) for r in data.get("roles", [])}
    return set(values)
