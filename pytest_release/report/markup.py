"""Small HTML helpers shared by the report views: escaping, anchors, badges, sizes."""

from __future__ import annotations

import html
from urllib.parse import quote

from pytest_release.checklist.model import Status

BADGE_WORDS = {
    Status.PASS: "pass",
    Status.FAIL: "fail",
    Status.WARN: "warn",
    Status.SKIP: "skip",
    Status.NA: "n/a",
    Status.MANUAL: "attested",
    Status.WAIVED: "waived",
    Status.UNCOVERED: "uncovered",
}
# Characters a URL fragment may carry unencoded, minus the ones that matter in HTML attributes.
_FRAGMENT_SAFE = "/:@!$()*+,;=-._~"


def esc(text: object) -> str:
    """Escape text for element content and double-quoted attributes."""
    return html.escape(str(text), quote=True)


def item_anchor(item_id: str) -> str:
    """The id of a checklist item's row in the report."""
    return f"item-{item_id}"


def href(anchor: str) -> str:
    """A same-document link to an element id (percent-encoded; browsers decode it to match)."""
    return esc("#" + quote(anchor, safe=_FRAGMENT_SAFE))


def badge(status: Status) -> str:
    """The status badge of a checklist item."""
    return (
        f'<span class="rel-badge rel-badge--{status.value}" data-status="{status.value}">'
        f"{BADGE_WORDS[status]}</span>"
    )


def size(n: int) -> str:
    """'812 B', '14.2 kB', '3.1 MB'."""
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def duration(seconds: float) -> str:
    """'0.42 s', '70.1 s', '1 h 02 min 03 s'."""
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    return f"{minutes} min {secs:02d} s"


def short_test_name(nodeid: str) -> str:
    """'suites/x/test_a.py::TestB::test_c[1]' -> 'test_c[1]'."""
    name = nodeid.rsplit("::", 1)[-1]
    return name or nodeid
