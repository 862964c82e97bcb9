"""Charts drawn on the server as inline SVG: no JavaScript, nothing fetched from elsewhere.

Two shapes cover the dashboard: horizontal bars (one row per label, for categories with
long names such as communities) and columns (one per month). Every bar may link to the
list behind it. Labels and links are escaped here; the result is ``Markup`` for Jinja.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_COLOUR = "#b71c1c"
TEXT_COLOUR = "#333"
LABEL_MAX = 12  # characters shown before "…"; the full label is in the bar's tooltip


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str | None = None


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def _link(href: str | None, inner: str) -> str:
    if not href:
        return inner
    return f'<a href="{escape(href)}">{inner}</a>'


def bar_chart(bars: Sequence[Bar], title: str, *, width: int = 520, row: int = 26,
              label_width: int = 170) -> Markup:
    """Horizontal bars, largest value scaled to the full width."""
    if not bars:
        return Markup("")
    value_width = 56
    plot = width - label_width - value_width
    top = max(bar.value for bar in bars) or 1
    height = row * len(bars) + 4
    parts = [
        f'<svg class="chart bar-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, bar in enumerate(bars):
        y = index * row + 2
        length = round(plot * bar.value / top) if bar.value > 0 else 0
        inner = (
            f'<g class="chart-item"><title>{escape(bar.label)}: {bar.value}</title>'
            f'<text x="{label_width - 8}" y="{y + row * 0.65:.1f}" text-anchor="end" '
            f'fill="{TEXT_COLOUR}" font-size="13">{escape(_short(bar.label))}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{max(length, 1)}" height="{row - 8}" '
            f'fill="{BAR_COLOUR}" rx="2"/>'
            f'<text x="{label_width + length + 6}" y="{y + row * 0.65:.1f}" fill="{TEXT_COLOUR}" '
            f'font-size="13" class="chart-value">{bar.value}</text></g>'
        )
        parts.append(_link(bar.href, inner))
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(bars: Sequence[Bar], title: str, *, width: int = 520, height: int = 200) -> Markup:
    """Vertical columns in order (e.g. months), with the value above each and the label below."""
    if not bars:
        return Markup("")
    label_band, value_band = 22, 18
    plot = height - label_band - value_band
    slot = width / len(bars)
    column = slot * 0.7
    top = max(bar.value for bar in bars) or 1
    parts = [
        f'<svg class="chart column-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, bar in enumerate(bars):
        x = index * slot + (slot - column) / 2
        length = round(plot * bar.value / top) if bar.value > 0 else 0
        y = value_band + plot - length
        centre = index * slot + slot / 2
        inner = (
            f'<g class="chart-item"><title>{escape(bar.label)}: {bar.value}</title>'
            f'<rect x="{x:.1f}" y="{y}" width="{column:.1f}" height="{max(length, 1)}" fill="{BAR_COLOUR}" rx="2"/>'
            f'<text x="{centre:.1f}" y="{y - 4}" text-anchor="middle" fill="{TEXT_COLOUR}" font-size="12" '
            f'class="chart-value">{bar.value}</text>'
            f'<text x="{centre:.1f}" y="{height - 6}" text-anchor="middle" fill="{TEXT_COLOUR}" '
            f'font-size="12">{escape(_short(bar.label))}</text></g>'
        )
        parts.append(_link(bar.href, inner))
    parts.append("</svg>")
    return Markup("".join(parts))
