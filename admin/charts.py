"""Charts drawn on the server as inline SVG: no JavaScript, nothing fetched from elsewhere.

Two shapes cover the dashboard: horizontal bars (one row per label, for categories with
long names such as communities) and columns (one per month). Every bar may link to the
list behind it. Labels and links are escaped here; the result is ``Markup`` for Jinja.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_COLOUR = "#b71c1c"
TEXT_COLOUR = "#333"
# The drawings are about as wide as a dashboard card (22-30rem), so that their text shows at
# about the page's own size rather than scaled down to a caption's.
WIDTH = 380
FONT_SIZE = 14
# A label longer than this many half-width characters (a Chinese character counts two) is
# shortened with "…"; the full label is in the bar's tooltip.
LABEL_UNITS = 18


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str | None = None


def _units(character: str) -> int:
    return 2 if unicodedata.east_asian_width(character) in "WFA" else 1


def _short(label: str, units: int = LABEL_UNITS) -> str:
    if sum(map(_units, label)) <= units:
        return label
    room, kept = units - _units("…"), []
    for character in label:
        room -= _units(character)
        if room < 0:
            break
        kept.append(character)
    return "".join(kept) + "…"


def _link(href: str | None, inner: str) -> str:
    if not href:
        return inner
    return f'<a href="{escape(href)}">{inner}</a>'


def bar_chart(bars: Sequence[Bar], title: str, *, width: int = WIDTH, row: int = 28,
              label_width: int = 160) -> Markup:
    """Horizontal bars, largest value scaled to the full width."""
    if not bars:
        return Markup("")
    value_width = 44
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
            f'fill="{TEXT_COLOUR}" font-size="{FONT_SIZE}">{escape(_short(bar.label))}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{max(length, 1)}" height="{row - 8}" '
            f'fill="{BAR_COLOUR}" rx="2"/>'
            f'<text x="{label_width + length + 6}" y="{y + row * 0.65:.1f}" fill="{TEXT_COLOUR}" '
            f'font-size="{FONT_SIZE}" class="chart-value">{bar.value}</text></g>'
        )
        parts.append(_link(bar.href, inner))
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(bars: Sequence[Bar], title: str, *, width: int = WIDTH,
                 height: int = 200) -> Markup:
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
