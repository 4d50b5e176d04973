"""<report-dir>/checklist.md: the checklist as written, filled from the run record."""

from __future__ import annotations

from pathlib import Path

from pytest_release import __version__
from pytest_release.checklist.fill import fill, outline
from pytest_release.redact import Redactor
from pytest_release.results import RunRecord
from pytest_release.status import count_statuses

FILE_NAME = "checklist.md"


def footer(record: RunRecord) -> list[str]:
    """The lines appended under the filled checklist: verdict, phase, time, counts."""
    counts = ", ".join(f"{n} {status}" for status, n in count_statuses(record.items).items() if n)
    selection = f" (`-m {record.markexpr}`)" if record.markexpr else ""
    release = f" of release {record.release_version}" if record.release_version else ""
    return [
        "---",
        "",
        f"Filled by pytest-release {__version__}: verdict **{record.verdict.decision.value}**"
        f"{release} for phase `{record.phase}`{selection}, {record.started} to "
        f"{record.finished}; {len(record.items)} items: {counts}. "
        "Evidence and sign-off: report.html, results.json.",
    ]


def filled_checklist(record: RunRecord, redactor: Redactor) -> str:
    """The filled Markdown: the source file when it can be read, else an outline of the model."""
    try:
        # bytes, not read_text: universal newlines would turn CRLF files into a whole-file diff
        source = Path(record.checklist.path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return (
            outline(record.checklist.title, record.items, redactor.text)
            + "\n"
            + "\n".join(footer(record))
            + "\n"
        )
    return fill(source, record.items, redactor.text, footer(record), record.checklist.digest)


def write_filled_checklist(report_dir: Path, record: RunRecord, redactor: Redactor) -> Path:
    """Write checklist.md next to results.json (atomically) and return its path."""
    path = report_dir / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_bytes(filled_checklist(record, redactor).encode("utf-8"))
    tmp.replace(path)
    return path
