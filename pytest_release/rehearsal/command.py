"""The `pytest-release rehearse` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pytest_release.rehearsal.run import Options, Rehearsal, RehearsalError
from pytest_release.rehearsal.summary import write_summary


def setup_rehearse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="deploy the new release with this fault (repeatable; `pytest-release serve "
        "--list-faults`); a fault that breaks it after the deploy ends in a rollback",
    )
    parser.add_argument(
        "--work-dir", type=Path, default=Path("reports/rehearsal"), help="reports and state"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="skip the pre-deployment phase and run only monitoring and code execution after "
        "the deploy (minutes instead of many)",
    )
    parser.add_argument("--watch", default=None, metavar="DURATION", help="go-live watch window")


def run_rehearse(args: argparse.Namespace) -> int:
    from pytest_release.reference.faults import UnknownFaultError, parse_faults

    try:
        faults = tuple(sorted(parse_faults(args.fault)))
    except UnknownFaultError as exc:
        print(f"pytest-release rehearse: {exc}", file=sys.stderr)
        return 2
    options = Options(
        work=args.work_dir.resolve(), faults=faults, quick=args.quick, watch=args.watch
    )
    rehearsal = Rehearsal(options, say=lambda line: print(line, flush=True))
    try:
        rehearsal.rehearse()
    except RehearsalError as exc:
        rehearsal.aborted = str(exc)
        print(f"pytest-release rehearse: {exc}", file=sys.stderr)
        if not rehearsal.runs:
            return 2
    result, page = write_summary(rehearsal)
    print(f"\nRehearsal: {result.verdict} - {result.detail}")
    print(f"Summary:   {page}")
    if (page.parent / "results.json").is_file():
        print(f"Record:    {page.parent / 'results.json'} (every checklist item; report.html)")
    return 0 if result.ok else 1
