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


_LINE_COLOURS = ("#2f6ea8", "#e08a2e", "#3a9b5c", "#8e44ad")


def line_chart(title: str, series: dict[str, list[tuple[float, float]]]) -> ET.Element:
    """A standalone SVG line chart of F1 (0-1) against a count, one line per series.

    Series named ``... (rules)`` are dashed and share the colour of the series listed before them
    (a learned line and its rules baseline); every point's value is also written as text.
    """
    width, height, left, bottom, top = 640.0, 360.0, 48.0, 40.0, 40.0
    right = width - 180.0
    xs = [x for points in series.values() for x, _ in points] or [0.0, 1.0]
    low, high = min(xs), max(max(xs), min(xs) + 1)
    svg = ET.Element("svg", xmlns="http://www.w3.org/2000/svg", role="img")
    svg.set("viewBox", f"0 0 {width:g} {height:g}")
    element(svg, "title", title)
    element(svg, "text", title, x=left, y=20, **_font(13))

    def at(x: float, y: float) -> tuple[float, float]:
        return (
            left + (x - low) / (high - low) * (right - left),
            height - bottom - y * (height - bottom - top),
        )

    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        _, y = at(low, tick)
        element(svg, "line", x1=left, x2=right, y1=y, y2=y, stroke="#ddd")
        element(svg, "text", f"{tick:.2f}", x=4, y=y + 4, **_font(10))
    for x in sorted(set(xs)):
        px, _ = at(x, 0.0)
        element(
            svg,
            "text",
            f"{x:g}",
            x=px - 6,
            y=height - bottom + 16,
            **_font(10),
        )
    colour = _LINE_COLOURS[0]
    for number, (name, points) in enumerate(series.items()):
        dashed = name.endswith("(rules)")
        if not dashed:
            colour = _LINE_COLOURS[(number // 2) % len(_LINE_COLOURS)]
        coords = [at(x, y) for x, y in sorted(points)]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
        line = element(svg, "polyline", points=path, fill="none", stroke=colour)
        _stroke(line, dashed)
        for (px, py), (_, y) in zip(coords, sorted(points), strict=True):
            dot = element(svg, "circle", cx=px, cy=py, r=3, fill=colour)
            element(dot, "title", f"{name}: {y:.3f}")
        legend_y = top + 16 * number
        key = element(svg, "line", x1=right + 12, x2=right + 32, y1=legend_y, y2=legend_y, stroke=colour)
        _stroke(key, dashed)
        element(svg, "text", name, x=right + 38, y=legend_y + 4, **_font(11))
    return svg


def _font(size: float) -> dict[str, str | float]:
    return {"font-size": size, "font-family": "sans-serif"}


def _stroke(line: ET.Element, dashed: bool) -> None:
    line.set("stroke-width", "2")
    if dashed:
        line.set("stroke-dasharray", "5,4")
