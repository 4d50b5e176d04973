"""junit.xml for CI systems, rendered from the run record (one model, many views).

Each testcase carries its checklist ids and severity as properties; the suite carries the
verdict, so a CI system that only reads JUnit still sees it.
"""

from __future__ import annotations

import re
from pathlib import Path

from pytest_release.redact import Redactor
from pytest_release.results import RunRecord
from pytest_release.status import Outcome

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CHILD = {
    Outcome.FAILED: "failure",
    Outcome.ERROR: "error",
    Outcome.SKIPPED: "skipped",
    Outcome.XFAILED: "skipped",
}


def _split(nodeid: str) -> tuple[str, str]:
    path, _, name = nodeid.partition("::")
    module = path.removesuffix(".py").replace("/", ".")
    classes, _, function = name.rpartition("::")
    classname = f"{module}.{classes.replace('::', '.')}" if classes else module
    return classname, function or name


def render_junit(record: RunRecord, redactor: Redactor) -> bytes:
    """The JUnit XML document for a run.

    Written as text, one testcase per line: building an ElementTree for thousands of tests
    cost more than the rest of the plugin's end-of-run work together.
    """
    tests = record.tests
    failures = sum(t.outcome is Outcome.FAILED for t in tests)
    errors = sum(t.outcome is Outcome.ERROR for t in tests)
    skipped = sum(t.outcome in (Outcome.SKIPPED, Outcome.XFAILED) for t in tests)
    totals = (
        f'tests="{len(tests)}" failures="{failures}" errors="{errors}" '
        f'skipped="{skipped}" time="{record.duration_s:.3f}"'
    )
    out = [
        "<?xml version='1.0' encoding='utf-8'?>\n",
        f'<testsuites name="pytest-release" {totals}>',
        f'<testsuite name="pytest-release" timestamp={_attr(record.started)} {totals}>\n',
        "<properties>",
    ]
    for name, value in (
        ("verdict", record.verdict.decision.value),
        ("phase", record.phase),
        ("release_version", record.release_version or ""),
        ("target_url", redactor.text(record.target_url or "")),
        ("target_version", record.target_version or ""),
    ):
        out.append(f'<property name="{name}" value={_attr(value)} />')
    out.append("</properties>\n")
    for test in tests:
        classname, name = _split(test.nodeid)
        out.append(
            f"<testcase classname={_attr(classname)} name={_attr(name)} "
            f'time="{test.duration_s:.3f}"'
        )
        inner: list[str] = []
        if test.checklist or test.severity:
            inner.append("<properties>")
            inner += [f'<property name="checklist" value={_attr(i)} />' for i in test.checklist]
            if test.severity:
                inner.append(f'<property name="severity" value={_attr(test.severity)} />')
            inner.append("</properties>")
        child = _CHILD.get(test.outcome)
        if child is not None:
            message = redactor.text(test.message or test.outcome.value)
            first = message.splitlines()[0][:500] if message else ""
            inner.append(f"<{child} message={_attr(first)}>{_text(message)}</{child}>")
        out.append(f">{''.join(inner)}</testcase>\n" if inner else " />\n")
    out.append("</testsuite></testsuites>")
    return _legal("".join(out)).encode("utf-8", errors="replace")


def _legal(document: str) -> str:
    """Characters XML 1.0 cannot carry at all (ANSI escapes, NULs) as visible #xNN text.

    Run once over the whole document: only the values can hold such characters.
    """
    return _ILLEGAL.sub(lambda m: f"#x{ord(m.group()):02X}", document)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    """A quoted attribute value; newlines and tabs kept as character references."""
    escaped = _text(value).replace('"', "&quot;").replace("\n", "&#10;")
    return '"' + escaped.replace("\r", "&#13;").replace("\t", "&#09;") + '"'


def write_junit(path: Path, record: RunRecord, redactor: Redactor) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_junit(record, redactor))
