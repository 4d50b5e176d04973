"""`make demo`: rehearse the whole deployment schedule on the bundled reference deployment.

The rehearsal (``pytest-release rehearse``) runs every phase as its own pytest run under
``reports/rehearsal/NN-name/``; the demo then writes the combined record of all checklist
items, each with the status of the run that judged it (rules in
``pytest_release/rehearsal/combined.py``), to ``reports/results.json`` (schema 1, validated
here) and ``reports/report.html``, and prints the verdict, one line per run and the paths.

``--quick`` skips the pre-deployment phase (and with it the staging e2e run) and runs only
monitoring and code execution after the deploy. ``--fault NAME`` deploys the new release
with a fault, which ends in a rollback. Exit 0 when a valid record was written, whatever
the verdict (showing it is the point of the demo); non-zero when the rehearsal could not
run or the record is not valid.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import jsonschema

from pytest_release.rehearsal.combined import combined_record, write_combined
from pytest_release.rehearsal.run import Options, Rehearsal, RehearsalError
from pytest_release.rehearsal.summary import write_summary
from pytest_release.results import load_schema

REPORTS = Path("reports")
# What a plain `pytest` run writes into the report dir: left next to the combined record they
# would be read as this demo's (a CI job picking up reports/junit.xml, say).
PLAIN_RUN_FILES = ("results.json", "report.html", "junit.xml", "checklist.md")
PLAIN_RUN_DIRS = ("evidence", "benchmarks")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pytest_release.demo", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip predeploy; fewer checks after")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME")
    parser.add_argument(
        "--reports", type=Path, default=REPORTS, help="where to write (default: reports)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    from pytest_release.reference.faults import UnknownFaultError, parse_faults

    try:
        faults = tuple(sorted(parse_faults(args.fault)))
    except UnknownFaultError as exc:
        print(f"pytest-release demo: {exc}", file=sys.stderr)
        return 2
    reports = args.reports.resolve()
    _remove_plain_run_outputs(reports)
    started = time.monotonic()
    print("pytest-release demo: rehearsing the deployment schedule on the reference deployment")
    rehearsal = Rehearsal(
        Options(work=reports / "rehearsal", faults=faults, quick=args.quick),
        say=lambda line: print(line, flush=True),
    )
    try:
        rehearsal.rehearse()
    except RehearsalError as exc:
        rehearsal.aborted = str(exc)
        print(f"pytest-release demo: {exc}", file=sys.stderr)
    if not any(not r.on_staging for r in rehearsal.runs):
        print("pytest-release demo: no phase ran; see the message above", file=sys.stderr)
        return 1
    result, summary = write_summary(rehearsal)
    data = combined_record(
        rehearsal.runs, result.verdict, result.detail, rehearsal.rolled_back, reports, summary
    )
    try:
        jsonschema.validate(data, load_schema())
    except jsonschema.ValidationError as exc:
        print(
            f"pytest-release demo: the combined record is not valid: {exc.message}",
            file=sys.stderr,
        )
        return 1
    results, page = write_combined(data, reports)
    counts = ", ".join(f"{n} {s}" for s, n in data["counts"].items() if n)
    print()
    print(f"Verdict: {result.verdict} - {result.detail}")
    print(f"  {len(data['checklist'])} checklist items: {counts}")
    for run in rehearsal.runs:
        where = " (staging)" if run.on_staging else ""
        print(f"  {run.title + where:<34} {run.verdict:<13} {run.report_dir / 'report.html'}")
    print(f"Summary: {summary}")
    print(f"Report:  {page}")
    print(f"Results: {results}")
    print(f"({time.monotonic() - started:.0f} s)")
    return 0


def _remove_plain_run_outputs(reports: Path) -> None:
    for name in PLAIN_RUN_FILES:
        (reports / name).unlink(missing_ok=True)
    for name in PLAIN_RUN_DIRS:
        shutil.rmtree(reports / name, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
