"""junit.xml for CI systems, rendered from the run record (one model, many views).

Each testcase carries its checklist ids and severity as properties; the suite carries the
verdict, so a CI system that only reads JUnit still sees it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from pytest_release.redact import Redactor
from pytest_release.results import RunRecord
from pytest_release.status import Outcome

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
    """The JUnit XML document for a run."""
    tests = record.tests
    failures = sum(t.outcome is Outcome.FAILED for t in tests)
    errors = sum(t.outcome is Outcome.ERROR for t in tests)
    skipped = sum(t.outcome in (Outcome.SKIPPED, Outcome.XFAILED) for t in tests)
    totals = {
        "tests": str(len(tests)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": str(skipped),
        "time": f"{record.duration_s:.3f}",
    }
    root = ET.Element("testsuites", {"name": "pytest-release", **totals})
    suite = ET.SubElement(
        root, "testsuite", {"name": "pytest-release", "timestamp": record.started, **totals}
    )
    suite.text = "\n"
    properties = ET.SubElement(suite, "properties")
    properties.tail = "\n"
    for name, value in (
        ("verdict", record.verdict.decision.value),
        ("phase", record.phase),
        ("release_version", record.release_version or ""),
        ("target_url", redactor.text(record.target_url or "")),
        ("target_version", record.target_version or ""),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    for test in tests:
        classname, name = _split(test.nodeid)
        case = ET.SubElement(
            suite, "testcase", classname=classname, name=name, time=f"{test.duration_s:.3f}"
        )
        case.tail = "\n"  # one testcase per line; ET.indent would double the rendering time
        if test.checklist or test.severity:
            props = ET.SubElement(case, "properties")
            for item_id in test.checklist:
                ET.SubElement(props, "property", name="checklist", value=item_id)
            if test.severity:
                ET.SubElement(props, "property", name="severity", value=test.severity)
        child = _CHILD.get(test.outcome)
        if child is not None:
            message = redactor.text(test.message or test.outcome.value)
            element = ET.SubElement(case, child, message=message.splitlines()[0][:500])
            element.text = message
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def write_junit(path: Path, record: RunRecord, redactor: Redactor) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_junit(record, redactor))
