"""Charts as plain SVG (no JavaScript): latency distribution and figures over time.

Both draw the budget as a dashed red line when one is given, so the picture answers
"how far from the limit" at a glance.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

WIDTH = 640
HEIGHT = 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 32, 40


def _frame(title: str, body: str, x_label: str, y_label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">'
        f"<title>{html.escape(title)}</title>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>'
        f'<text x="{_LEFT}" y="18" font-size="13" font-weight="bold">{html.escape(title)}</text>'
        f'<line x1="{_LEFT}" y1="{HEIGHT - _BOTTOM}" x2="{WIDTH - _RIGHT}" '
        f'y2="{HEIGHT - _BOTTOM}" stroke="#333"/>'
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{HEIGHT - _BOTTOM}" stroke="#333"/>'
        f'<text x="{(WIDTH + _LEFT) / 2:.0f}" y="{HEIGHT - 6}" text-anchor="middle">'
        f"{html.escape(x_label)}</text>"
        f'<text x="12" y="{(HEIGHT) / 2:.0f}" transform="rotate(-90 12 {HEIGHT / 2:.0f})" '
        f'text-anchor="middle">{html.escape(y_label)}</text>'
        f"{body}</svg>"
    )


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _empty(title: str, x_label: str, y_label: str) -> str:
    note = f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT / 2:.0f}" text-anchor="middle">no samples</text>'
    return _frame(title, note, x_label, y_label)


def histogram_svg(
    title: str, values: Sequence[float], unit: str = "ms", budget: float | None = None
) -> str:
    """Distribution of ``values`` in up to 24 bins, the budget as a vertical line."""
    x_label, y_label = f"latency ({unit})", "requests"
    if not values:
        return _empty(title, x_label, y_label)
    low = 0.0
    high = max(max(values), budget or 0.0) * 1.05 or 1.0
    bins = min(24, max(4, int(math.sqrt(len(values))) + 1))
    width = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(int((value - low) / width), bins - 1)] += 1
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    top = max(counts)
    parts: list[str] = []
    for index, count in enumerate(counts):
        h = plot_h * count / top
        x = _LEFT + plot_w * index / bins
        parts.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - _BOTTOM - h:.1f}" width="{plot_w / bins - 1:.1f}" '
            f'height="{h:.1f}" fill="#4a78b5"><title>{_fmt(low + index * width)}-'
            f"{_fmt(low + (index + 1) * width)} {unit}: {count}</title></rect>"
        )
    for tick in range(5):
        value = low + (high - low) * tick / 4
        x = _LEFT + plot_w * tick / 4
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - _BOTTOM + 14}" text-anchor="middle">'
            f"{_fmt(value)}</text>"
        )
    parts.append(f'<text x="{_LEFT - 4}" y="{_TOP + 4}" text-anchor="end">{top}</text>')
    if budget is not None:
        x = _LEFT + plot_w * (budget - low) / (high - low)
        parts.append(_budget_line_x(x, f"budget {_fmt(budget)} {unit}"))
    return _frame(title, "".join(parts), x_label, y_label)


def _budget_line_x(x: float, label: str) -> str:
    return (
        f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{HEIGHT - _BOTTOM}" stroke="#c0392b" '
        f'stroke-dasharray="5,4"/><text x="{x - 4:.1f}" y="{_TOP + 10}" fill="#c0392b" '
        f'text-anchor="end">{html.escape(label)}</text>'
    )


def timeline_svg(
    title: str,
    points: Sequence[tuple[float, float]],
    unit: str,
    budget: float | None = None,
    x_unit: str = "s",
) -> str:
    """A line of (x, y) points over time, the budget as a horizontal line."""
    x_label, y_label = f"time ({x_unit})", unit
    if not points:
        return _empty(title, x_label, y_label)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x1 = x0 + 1.0
    y1 = max(max(ys), budget or 0.0) * 1.1 or 1.0
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def sx(x: float) -> float:
        return _LEFT + plot_w * (x - x0) / (x1 - x0)

    def sy(y: float) -> float:
        return HEIGHT - _BOTTOM - plot_h * y / y1

    line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    parts = [f'<polyline points="{line}" fill="none" stroke="#4a78b5" stroke-width="2"/>']
    parts += [
        f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="#4a78b5">'
        f"<title>{_fmt(x)} {x_unit}: {_fmt(y)} {html.escape(unit)}</title></circle>"
        for x, y in points
    ]
    for tick in range(5):
        yv = y1 * tick / 4
        parts.append(
            f'<text x="{_LEFT - 4}" y="{sy(yv) + 4:.1f}" text-anchor="end">{_fmt(yv)}</text>'
        )
        xv = x0 + (x1 - x0) * tick / 4
        parts.append(
            f'<text x="{sx(xv):.1f}" y="{HEIGHT - _BOTTOM + 14}" text-anchor="middle">'
            f"{_fmt(xv)}</text>"
        )
    if budget is not None:
        y = sy(budget)
        parts.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" '
            f'stroke="#c0392b" stroke-dasharray="5,4"/><text x="{WIDTH - _RIGHT}" '
            f'y="{y - 4:.1f}" fill="#c0392b" text-anchor="end">'
            f"budget {_fmt(budget)} {html.escape(unit)}</text>"
        )
    return _frame(title, "".join(parts), x_label, y_label)
