"""Inline SVG charts for the HTML quality report: horizontal bar charts and confusion heat maps.

Charts are ``xml.etree`` elements appended to a parent element, so every label is escaped when the
page is serialised. Each ``<svg>`` has ``role="img"`` and a ``<title>``, and every number a bar
length or colour shows is also written as text.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from typing import Any

EMPTY = "∅"
OTHER = "(other)"
#: Above this many labels a confusion heat map keeps the most frequent ones and folds the rest.
MAX_CONFUSION_LABELS = 40
_COLOURS = ("#2f6ea8", "#e08a2e")
_DIAGONAL, _ERROR = "#2f6ea8", "#c2452d"
#: One bar group: a label and one value in [0, 1] (or None) per series.
BarRow = tuple[str, Sequence[Any]]


def number(value: Any) -> float | None:
    """``value`` as a float if it is a finite int or float (not a bool), else None."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def fmt(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals (0 for counts), or a dash when missing."""
    shown = number(value)
    return "–" if shown is None else f"{shown:.{digits}f}"


def element(parent: ET.Element | None, tag: str, text: str | None = None, **attrs: str | float) -> ET.Element:
    """A new element, appended to ``parent`` if given.

    Args:
        parent: The element to append to, or None for a root element.
        tag: The tag name.
        text: The text content; ElementTree escapes it when serialising.
        **attrs: Attributes; a trailing ``_`` is dropped and ``_`` becomes ``-`` (``class_``,
            ``text_anchor``), numbers are written in their shortest form.

    Returns:
        The new element.
    """
    attrib = {
        k.rstrip("_").replace("_", "-"): v if isinstance(v, str) else f"{v:g}" for k, v in attrs.items()
    }
    node = ET.Element(tag, attrib) if parent is None else ET.SubElement(parent, tag, attrib)
    node.text = text
    return node


def _short(label: str, limit: int = 32) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _label(svg: ET.Element, label: str, **attrs: str | float) -> None:
    """A text label, shortened if long, with the full label as its tooltip."""
    text = element(svg, "text", _short(label), **attrs)
    if text.text != label:
        element(text, "title", label)


def _svg(parent: ET.Element, title: str, kind: str, width: float, height: float) -> ET.Element:
    """An accessible ``<svg>``: ``role="img"`` and a ``<title>`` first, scaled by its viewBox."""
    svg = element(parent, "svg", None, role="img", class_=kind, width=width, height=height)
    svg.set("viewBox", f"0 0 {width:g} {height:g}")
    element(svg, "title", title)
    return svg


def bar_chart(
    parent: ET.Element, title: str, kind: str, rows: Sequence[BarRow], series: Sequence[str]
) -> None:
    """Append a horizontal bar chart on a 0-1 scale, one bar group per row and one bar per series.

    Args:
        parent: The element the ``<svg>`` is appended to.
        title: The chart's accessible name, its ``<title>``.
        kind: The ``<svg>`` class, naming what the chart shows.
        rows: A label and one value per series for each bar group; None or missing draws no bar.
        series: Series names; with more than one, a legend is drawn and each value is prefixed
            with its series name, so colour is not the only key.
    """
    label_w = min(240, 16 + 7 * max((len(_short(label)) for label, _ in rows), default=4))
    bar_h, gap, plot_w, top = 16, 8, 380, 26 if len(series) > 1 else 8
    group_h = bar_h * len(series) + gap
    bottom = top + group_h * len(rows)
    svg = _svg(parent, title, kind, label_w + plot_w + 130, bottom + 20)
    for i, name in enumerate(series if len(series) > 1 else ()):
        element(svg, "rect", x=label_w + i * 140, y=6, width=12, height=12, fill=_COLOURS[i % 2])
        element(svg, "text", name, x=label_w + i * 140 + 16, y=16)
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = label_w + tick * plot_w
        element(svg, "line", x1=x, x2=x, y1=top, y2=bottom, class_="grid")
        element(svg, "text", f"{tick:g}", x=x, y=bottom + 14, text_anchor="middle", class_="tick")
    for r, (label, values) in enumerate(rows):
        y0 = top + r * group_h
        _label(svg, label, x=label_w - 6, y=y0 + (group_h - gap) / 2 + 4, text_anchor="end")
        for i, value in enumerate(values):
            share, y = number(value), y0 + i * bar_h
            width = plot_w * min(1.0, max(0.0, share or 0.0))
            element(svg, "rect", x=label_w, y=y + 1, width=width, height=bar_h - 2, fill=_COLOURS[i % 2])
            prefix = f"{series[i]} " if len(series) > 1 else ""
            element(svg, "text", prefix + fmt(share), x=label_w + width + 4, y=y + bar_h - 4)


def _confusion_counts(triples: Any) -> tuple[Counter[tuple[str, str]], int]:
    """Counts per (pred, gold) pair, with rare labels folded into ``OTHER``; also how many were folded."""
    counts: Counter[tuple[str, str]] = Counter()
    for item in triples if isinstance(triples, list | tuple) else ():
        if isinstance(item, list | tuple) and len(item) == 3 and (number(item[2]) or 0) > 0:
            counts[str(item[0]), str(item[1])] += round(item[2])
    totals: Counter[str] = Counter()
    for (pred, gold), n in counts.items():
        totals[pred] += n
        totals[gold] += n
    if len(totals) <= MAX_CONFUSION_LABELS:
        return counts, 0
    keep = {label for label, _ in totals.most_common(MAX_CONFUSION_LABELS - 1)}
    folded: Counter[tuple[str, str]] = Counter()
    for (pred, gold), n in counts.items():
        folded[pred if pred in keep else OTHER, gold if gold in keep else OTHER] += n
    return folded, len(totals) - len(keep)


def heat_map(parent: ET.Element, title: str, triples: Any) -> None:
    """Append a confusion heat map: predicted labels across, gold labels down, one cell per pair.

    Cells are shaded by count (blue on the diagonal, red off it) and carry the count as text; pairs
    never observed are left blank. Beyond ``MAX_CONFUSION_LABELS`` labels the rarest are folded
    into ``OTHER`` and a note says so.

    Args:
        parent: The element the ``<svg>`` (and any note) is appended to.
        title: The chart's accessible name, its ``<title>``.
        triples: ``[predicted, gold, count]`` items; duplicates are summed, malformed or
            non-positive ones skipped.
    """
    counts, folded = _confusion_counts(triples)
    if not counts:
        return
    labels = sorted({label for pair in counts for label in pair}, key=lambda s: (s in (EMPTY, OTHER), s))
    index = {label: i for i, label in enumerate(labels)}
    cell = 32 if len(labels) <= 16 else max(18, 520 // len(labels))
    margin = min(240, 24 + 7 * max(len(_short(label)) for label in labels))
    size = cell * len(labels)
    svg = _svg(parent, title, "chart-confusion", margin + size + 10, margin + size + 10)
    element(svg, "text", "predicted →", x=margin - 6, y=margin - 24, text_anchor="end")
    element(svg, "text", "gold ↓", x=margin - 6, y=margin - 8, text_anchor="end")
    element(svg, "rect", x=margin, y=margin, width=size, height=size, fill="#f4f4f4")
    for label, i in index.items():
        baseline = margin + i * cell + cell / 2 + 4  # a 12px glyph box centred on the cell
        _label(svg, label, x=margin - 6, y=baseline, text_anchor="end")
        _label(svg, label, x=baseline, y=margin - 6, transform=f"rotate(-90 {baseline:g} {margin - 6:g})")
    peak = max(counts.values()) or 1
    for (pred, gold), n in sorted(counts.items()):
        group = element(svg, "g", class_="cell")
        element(group, "title", f"predicted {pred}, gold {gold}: {n}")
        x, y, shade = margin + index[pred] * cell, margin + index[gold] * cell, 0.12 + 0.88 * n / peak
        colour = _DIAGONAL if pred == gold else _ERROR
        element(
            group, "rect", x=x, y=y, width=cell - 1, height=cell - 1, fill=colour, fill_opacity=f"{shade:.2f}"
        )
        text = element(group, "text", str(n), x=x + cell / 2, y=y + cell / 2 + 4, text_anchor="middle")
        text.set("style", f"font-size:{min(12, cell // 3 + 2)}px;fill:{'#fff' if shade > 0.55 else '#222'}")
    if folded:
        element(parent, "p", f"{folded} less frequent labels are folded into {OTHER}.", class_="note")
