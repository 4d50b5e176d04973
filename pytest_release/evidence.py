"""Evidence attached by tests: files under <report-dir>/evidence/, referenced from results."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_release.redact import Redactor

EXTENSIONS = {
    "json": ".json",
    "text": ".txt",
    "png": ".png",
    "svg": ".svg",
    "trace": ".zip",
    "html": ".html",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str, limit: int = 120) -> str:
    """A file-name-safe version of a node id or an evidence name."""
    return _UNSAFE.sub("_", text).strip("._")[:limit] or "evidence"


class EvidenceRecorder:
    """``evidence.attach(name, data, kind)`` for one test."""

    def __init__(
        self,
        report_dir: Path,
        nodeid: str,
        redactor: Redactor,
        record: Callable[[str], None],
    ) -> None:
        self._report_dir = report_dir
        self._folder = report_dir / "evidence" / safe_name(nodeid)
        self._redactor = redactor
        self._record = record
        self.files: list[str] = []

    def attach(self, name: str, data: Any, kind: str = "auto") -> Path:
        """Write one piece of evidence; text and JSON are redacted before they touch disk."""
        if kind == "auto":
            kind = _guess_kind(data)
        if kind not in EXTENSIONS:
            raise ValueError(f"evidence kind {kind!r} is not one of {', '.join(EXTENSIONS)}")
        path = self._folder / (safe_name(name) + EXTENSIONS[kind])
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "json":
            text = json.dumps(self._redactor.data(data), indent=2, default=str, ensure_ascii=False)
            path.write_text(text + "\n", encoding="utf-8")
        elif isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(self._redactor.text(str(data)), encoding="utf-8")
        relative = path.relative_to(self._report_dir).as_posix()
        self.files.append(relative)
        self._record(relative)
        return path


def _guess_kind(data: Any) -> str:
    if isinstance(data, bytes):
        return "png" if data.startswith(b"\x89PNG") else "trace"
    if isinstance(data, str):
        return "svg" if data.lstrip().startswith("<svg") else "text"
    return "json"
