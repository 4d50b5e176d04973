"""`make demo`: run the whole checklist on the bundled reference deployment, show the verdict.

Exit 0 when the run produced a valid results.json (whatever the verdict: showing it is the
point of the demo); non-zero when pytest could not run or wrote nothing usable.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from pytest_release.results import load_schema

USABLE_EXIT_CODES = {0, 1, 5}  # GO, not GO / failed tests, no tests collected


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    report_dir = Path("reports")
    results_path = report_dir / "results.json"
    results_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    print("pytest-release demo:", " ".join(command[1:]), flush=True)
    code = subprocess.call(command)
    if code not in USABLE_EXIT_CODES:
        print(
            f"pytest-release demo: pytest stopped with exit code {code}; see above", file=sys.stderr
        )
        return code or 1
    if not results_path.is_file():
        print(f"pytest-release demo: {results_path} was not written", file=sys.stderr)
        return 1
    data = json.loads(results_path.read_text(encoding="utf-8"))
    try:
        jsonschema.validate(data, load_schema())
    except jsonschema.ValidationError as exc:
        print(f"pytest-release demo: {results_path} is not valid: {exc.message}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{n} {s}" for s, n in data["counts"].items() if n)
    print()
    print(f"Verdict: {data['verdict']}  ({len(data['checklist'])} checklist items: {counts})")
    for reason in data["verdict_reasons"][:5]:
        print(f"  - [{reason['rule']}] {reason['detail'][:200]}")
    print(f"Target:  {data['target']['url'] or '(none started)'}")
    for name, path in data.get("files", {}).items():
        print(f"{name.capitalize():8} {(report_dir / path).resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
