"""Evidence files shown inside report.html: inlined as data URIs within a size budget.

Screenshots become thumbnails that enlarge on click (CSS ``:target``, no script), JSON and
text are shown redacted, SVG charts inline as images (so their scripts never run), and
Playwright traces are download links to the file in ``evidence/``: a trace holds raw network
data that cannot be redacted, so it is never copied into the report. Evidence over the budget
is linked, not inlined, and says so.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pytest_release.report.markup import esc, size
from pytest_release.report.redaction import ReportRedactor

IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
TEXTS = {".json": "json", ".txt": "text", ".log": "text", ".html": "html", ".csv": "text"}
TRACE_HINT = "open it with <code>playwright show-trace</code>"


@dataclass(frozen=True, slots=True)
class Budget:
    """How much evidence report.html may carry (bytes as written into the file)."""

    total: int = 3_800_000
    per_file: int = 1_500_000
    # Evidence of passing tests may use this much of the total; the rest is kept for failures.
    passing: int = 2_800_000
    text_chars: int = 20_000
    open_text_chars: int = 2_000


@dataclass(slots=True)
class Usage:
    inlined_bytes: int = 0
    passing_bytes: int = 0
    inlined: int = 0
    linked: int = 0


class Attachments:
    """Renders a test's evidence files as HTML and keeps the run's inline budget."""

    def __init__(
        self,
        report_dir: Path,
        html_dir: Path,
        redactor: ReportRedactor,
        budget: Budget | None = None,
    ) -> None:
        self.report_dir = report_dir
        self.html_dir = html_dir
        self.redactor = redactor
        self.budget = budget or Budget()
        self.usage = Usage()
        self._figures = 0

    def render(self, paths: Iterable[str], failed: bool) -> str:
        """One block for a test's evidence (relative paths as results.json lists them)."""
        unique = list(dict.fromkeys(paths))
        # Pictures first: a row of thumbnails above the (taller) text blocks and file links.
        unique.sort(key=lambda p: 0 if Path(p).suffix.lower() in (*IMAGES, ".svg") else 1)
        parts = [self._one(path, failed) for path in unique]
        return f'<div class="rel-ev">{"".join(parts)}</div>' if parts else ""

    def _fits(self, n: int, failed: bool) -> bool:
        if n > self.budget.per_file or self.usage.inlined_bytes + n > self.budget.total:
            return False
        return failed or self.usage.passing_bytes + n <= self.budget.passing

    def _take(self, n: int, failed: bool) -> None:
        self.usage.inlined_bytes += n
        self.usage.inlined += 1
        if not failed:
            self.usage.passing_bytes += n

    def _link(self, path: str) -> str:
        relative = os.path.relpath(self.report_dir / path, self.html_dir)
        return esc(quote(Path(relative).as_posix(), safe="/._-~"))

    def _one(self, path: str, failed: bool) -> str:
        file = self.report_dir / path
        name = path.rsplit("/", 1)[-1]
        suffix = file.suffix.lower()
        try:
            data = file.read_bytes()
        except OSError:
            return (
                f'<div class="rel-ev__item rel-ev__missing">{esc(name)}: '
                "missing from evidence/</div>"
            )
        if suffix in IMAGES:
            return self._image(name, path, data, IMAGES[suffix], failed)
        if suffix == ".svg":
            text = self.redactor.text(data.decode("utf-8", errors="replace"))
            return self._image(name, path, text.encode("utf-8"), "image/svg+xml", failed)
        if suffix in TEXTS:
            return self._text(name, path, data, TEXTS[suffix], failed)
        hint = f" · {TRACE_HINT}" if suffix == ".zip" else ""
        self.usage.linked += 1
        return (
            f'<div class="rel-ev__item rel-ev__file"><a href="{self._link(path)}" download>'
            f'{esc(name)}</a> <span class="rel-muted">{size(len(data))}{hint} '
            "(a file next to this report, not inlined)</span></div>"
        )

    def _image(self, name: str, path: str, data: bytes, mime: str, failed: bool) -> str:
        encoded = base64.b64encode(data).decode("ascii")
        caption = f"{esc(name)} · {size(len(data))}"
        if not self._fits(len(encoded), failed):
            self.usage.linked += 1
            return (
                f'<div class="rel-ev__item rel-ev__file"><a href="{self._link(path)}">{esc(name)}'
                f'</a> <span class="rel-muted">{size(len(data))}, over the report\'s size budget: '
                "a file next to this report</span></div>"
            )
        self._take(len(encoded), failed)
        self._figures += 1
        figure = f"rel-shot-{self._figures}"
        return (
            f'<figure class="rel-shot" id="{figure}">'
            f'<a class="rel-shot__open" href="#{figure}" title="click to enlarge">'
            f'<img src="data:{mime};base64,{encoded}" alt="{esc(name)}" loading="lazy" '
            'decoding="async"></a>'
            '<a class="rel-shot__close" href="#_" title="close" aria-label="close"></a>'
            f"<figcaption>{caption}</figcaption></figure>"
        )

    def _text(self, name: str, path: str, data: bytes, kind: str, failed: bool) -> str:
        text = self.redactor.text(data.decode("utf-8", errors="replace"))
        limit = self.budget.text_chars
        cut = len(text) > limit
        shown = text[:limit]
        body = esc(shown)
        if not self._fits(len(body), failed):
            self.usage.linked += 1
            return (
                f'<div class="rel-ev__item rel-ev__file"><a href="{self._link(path)}">{esc(name)}'
                f'</a> <span class="rel-muted">{size(len(data))}, over the report\'s size budget'
                "</span></div>"
            )
        self._take(len(body), failed)
        note = (
            f'<div class="rel-muted">first {limit} characters of {size(len(data))}; the whole '
            f'file: <a href="{self._link(path)}">{esc(path)}</a></div>'
            if cut
            else ""
        )
        is_open = " open" if len(shown) <= self.budget.open_text_chars else ""
        return (
            f'<details class="rel-ev__item rel-ev__text rel-ev__text--{kind}"{is_open}>'
            f'<summary>{esc(name)} <span class="rel-muted">{kind} · {size(len(data))}</span>'
            f"</summary><pre>{body}</pre>{note}</details>"
        )
