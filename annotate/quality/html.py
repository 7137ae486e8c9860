"""Render a quality report (pre-annotation vs gold, agreement, throughput) as one HTML page.

The page is self-contained: inline CSS, inline SVG charts, no script and no external URL, so it
can be mailed or opened from disk. The whole page is an ``xml.etree`` tree serialised with the
HTML method, so every label and value from the report is escaped; no markup is built by string
formatting. Every number a colour encodes is also written as text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from annotate.atomic import atomic_writer
from annotate.errors import EvaluationError
from annotate.quality.svgchart import bar_chart, element, fmt, heat_map, number

_EVENT_MEASURES = (
    "trigger_identification",
    "trigger_classification",
    "argument_identification",
    "argument_classification",
)
_VS_OTHERS = ("entity_f1_vs_others", "trigger_f1_vs_others")
_OUTCOMES = ("exact", "boundary", "type", "boundary_type", "missed", "spurious")
_PRF_HEAD = ("", "precision", "recall", "F1", "TP", "FP", "FN")
_OUTCOME_HEAD = ("", "exact", "boundary", "type", "boundary+type", "missed", "spurious")
_ACCEPTED_HEAD = ("", "accepted", "total", "share")
_THROUGHPUT_HEAD = ("annotator", "tasks", "median lead time")
_FACTS = (("Project", "project"), ("Schema", "schema_version"), ("Generated", "generated"))
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;color:#222;margin:0 auto;max-width:1180px;padding:16px 24px}
h1{margin:0 0 4px}h2{border-bottom:2px solid #ddd;margin-top:32px}h3{margin:24px 0 8px}
header dl{display:flex;flex-wrap:wrap;gap:4px 20px;margin:0;color:#555}header dd{margin:0 0 0 4px}
header dt{font-weight:600}header div{display:flex}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:130px;background:#fafafa}
.card .v{display:block;font-size:24px;font-weight:600}.card .k,.card .s{display:block;color:#555}
.row{display:flex;flex-wrap:wrap;gap:16px 32px;align-items:flex-start}
table{border-collapse:collapse;margin:8px 0}caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border-bottom:1px solid #e4e4e4;padding:3px 10px;text-align:left}td.num{text-align:right}
thead th{border-bottom:2px solid #bbb}svg{max-width:100%;height:auto}
svg text{font:12px system-ui,sans-serif;fill:#222}svg .tick{fill:#666;font-size:10px}
svg .grid{stroke:#ddd}.note{color:#666;font-style:italic}summary{cursor:pointer;color:#2f6ea8}
"""


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _get(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...``, or None where a level is missing or not a mapping."""
    for key in keys:
        value = _map(value).get(key)
    return value


def _ordered(scores: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Labels in report order with ``ALL`` last."""
    rows = [(str(label), _map(s)) for label, s in scores.items() if label != "ALL"]
    return [*rows, ("ALL", _map(scores["ALL"]))] if "ALL" in scores else rows


def _table(parent: ET.Element, caption: str, head: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A captioned table with column headers; each row's first cell is its row header."""
    table = element(parent, "table")
    element(table, "caption", caption)
    head_row = element(element(table, "thead"), "tr")
    for name in head:
        element(head_row, "th", name, scope="col")
    body = element(table, "tbody")
    for row in rows:
        tr = element(body, "tr")
        element(tr, "th", row[0], scope="row")
        for cell in row[1:]:
            element(tr, "td", cell, class_="num")


def _prf_rows(rows: Iterable[tuple[str, Mapping[str, Any]]]) -> list[list[str]]:
    prf, counts = ("precision", "recall", "f1"), ("tp", "fp", "fn")
    return [[name, *(fmt(s.get(k)) for k in prf), *(fmt(s.get(k), 0) for k in counts)] for name, s in rows]


def _ratio(part: Any, whole: Any) -> float | None:
    top, bottom = number(part), number(whole)
    return top / bottom if top is not None and bottom else None


def _accepted(block: Mapping[str, Any]) -> tuple[int, int] | None:
    """Spans accepted unchanged and spans pre-annotated, over entities and triggers."""
    accepted = total = 0
    for per in (_map(block.get("entity")), _map(block.get("trigger"))):
        for pair in [per["ALL"]] if "ALL" in per else per.values():
            if isinstance(pair, list | tuple) and len(pair) == 2 and None not in map(number, pair):
                accepted, total = accepted + round(pair[0]), total + round(pair[1])
    return (accepted, total) if total else None


def _summary(body: ET.Element, report: Mapping[str, Any]) -> None:
    """Headline figures of the last model version and of the agreement study, as cards."""
    versions = _map(report.get("prediction_vs_gold"))
    last = str(list(versions)[-1]) if versions else ""
    model, block, pair = f"model {last}", versions.get(last), "between annotators"
    accepted, total = _accepted(_map(_get(block, "accepted_unchanged"))) or (0, 0)
    cards = [
        ("Entity F1 (all)", fmt(_get(block, "entities", "ALL", "f1")), model),
        ("Trigger classification F1", fmt(_get(block, "events", "trigger_classification", "f1")), model),
        ("Argument classification F1", fmt(_get(block, "events", "argument_classification", "f1")), model),
        ("Accepted unchanged", f"{accepted / total:.0%}" if total else "–", f"{accepted} of {total} spans"),
        ("Entity κ (Cohen)", fmt(_get(report, "agreement", "entity", "kappa")), pair),
        ("Entity α (Krippendorff)", fmt(_get(report, "agreement", "entity", "alpha")), pair),
    ]
    strip = element(body, "div", class_="cards", role="group", aria_label="Summary")
    for key, value, sub in cards:
        if value != "–":
            card = element(strip, "div", class_="card")
            for text, kind in ((key, "k"), (value, "v"), (sub, "s")):
                element(card, "span", text, class_=kind)
    if not len(strip):
        body.remove(strip)


def _gold_section(body: ET.Element, versions: Mapping[str, Any]) -> None:
    """Per model version: label F1 chart, event measures, outcomes, accepted spans, confusion maps."""
    section = element(body, "section", id="prediction-vs-gold")
    element(section, "h2", "Pre-annotation vs gold")
    for version, block in versions.items():
        model = f"model {version}"
        element(section, "h3", f"Model {version}")
        row = element(section, "div", class_="row")
        if entities := _ordered(_map(_get(block, "entities"))):
            bars = [(label, [scores.get("f1")]) for label, scores in entities]
            bar_chart(row, f"Entity F1 per label, {model}", "chart-f1", bars, ["F1"])
        events = _map(_get(block, "events"))
        if measures := [(m.replace("_", " "), _map(events[m])) for m in _EVENT_MEASURES if m in events]:
            _table(row, f"Event measures, {model}", _PRF_HEAD, _prf_rows(measures))
        by_type = [(str(k), _map(v)) for k, v in events.items() if ":" in str(k)]
        for caption, rows in (("Entities", entities), ("Event types and roles", by_type)):
            if rows:
                details = element(section, "details")
                element(details, "summary", f"{caption}: precision, recall and counts")
                _table(details, f"{caption}, {model}", _PRF_HEAD, _prf_rows(rows))
        row = element(section, "div", class_="row")
        for kind, per in _map(_get(block, "outcomes")).items():
            counts = [[label, *(fmt(n.get(k), 0) for k in _OUTCOMES)] for label, n in _ordered(_map(per))]
            _table(row, f"{str(kind).capitalize()} outcomes, {model}", _OUTCOME_HEAD, counts)
        for kind, per in _map(_get(block, "accepted_unchanged")).items():
            pairs = [(str(k), p) for k, p in _map(per).items() if isinstance(p, list | tuple) and len(p) == 2]
            shares = [[k, fmt(a, 0), fmt(t, 0), fmt(_ratio(a, t), 2)] for k, (a, t) in pairs]
            _table(row, f"{str(kind).capitalize()} spans accepted unchanged, {model}", _ACCEPTED_HEAD, shares)
        row = element(section, "div", class_="row")
        for kind, triples in _map(_get(block, "confusion")).items():
            heat_map(row, f"{str(kind).capitalize()} confusion, predicted vs gold, {model}", triples)


def _agreement_section(body: ET.Element, agreement: Mapping[str, Any]) -> None:
    """Exact vs overlap F1 per label, κ and α, argument agreement, and each annotator vs the others."""
    section = element(body, "section", id="agreement")
    element(section, "h2", "Agreement")
    names = ", ".join(str(a) for a in agreement.get("annotators") or ()) or "–"
    element(section, "p", f"Tasks compared: {fmt(agreement.get('tasks'), 0)}. Annotators: {names}.")
    row, coefficients = element(section, "div", class_="row"), []
    for kind in ("entity", "trigger"):
        if scores := _map(agreement.get(kind)):
            exact, overlap = _map(scores.get("exact")), _map(scores.get("overlap"))
            labels = [label for label, _ in _ordered({**exact, **overlap})]
            bars = [(label, [_get(exact, label, "f1"), _get(overlap, label, "f1")]) for label in labels]
            title = f"{kind.capitalize()} agreement F1 per label, exact vs overlapping spans"
            if bars:
                bar_chart(row, title, "chart-agreement", bars, ["exact", "overlap"])
            coefficients.append([kind, fmt(scores.get("kappa")), fmt(scores.get("alpha"))])
    if coefficients:
        _table(row, "Chance-corrected agreement", ("", "Cohen's κ", "Krippendorff's α"), coefficients)
    if argument := _map(agreement.get("argument")):
        arguments = [["arguments", fmt(argument.get("f1")), fmt(argument.get("pairs"), 0)]]
        _table(row, "Argument agreement", ("", "F1", "pairs"), arguments)
    if people := [(str(name), _map(v)) for name, v in _map(agreement.get("per_annotator")).items()]:
        row = element(section, "div", class_="row")
        keys = [k for k in _VS_OTHERS if any(k in v for _, v in people)]
        bars = [(name, [v.get(k) for k in keys]) for name, v in people]
        title = "F1 of each annotator against the others"
        bar_chart(row, title, "chart-annotators", bars, [k.split("_")[0] for k in keys])
        table = [[name, fmt(v.get("tasks"), 0), *(fmt(v.get(k)) for k in _VS_OTHERS)] for name, v in people]
        _table(
            row, "Annotators", ("annotator", "tasks", "entity F1 vs others", "trigger F1 vs others"), table
        )


def _duration(value: Any) -> str:
    """Seconds as ``42.0 s``, ``3 min 05 s`` or ``1 h 02 min``; a dash when missing."""
    seconds = number(value)
    if seconds is None or seconds < 60:
        return fmt(seconds, 1) + (" s" if seconds is not None else "")
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def render_report(report: Mapping[str, Any]) -> str:
    """Render a JSON-ready quality report as one self-contained HTML page.

    Args:
        report: ``title`` (required) and optionally ``generated``, ``project``, ``schema_version``,
            ``prediction_vs_gold``, ``agreement`` and ``throughput``; absent sections are left out.

    Returns:
        The page, starting with ``<!DOCTYPE html>``.

    Raises:
        EvaluationError: The report has no ``title``.
    """
    if "title" not in report:
        raise EvaluationError("the quality report has no 'title'; add one before rendering it as HTML")
    title = str(report["title"])
    page = element(None, "html", lang="en")
    head = element(page, "head")
    element(head, "meta", charset="utf-8")
    element(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    element(head, "title", title)
    element(head, "style", _CSS)
    body = element(page, "body")
    header = element(body, "header")
    element(header, "h1", title)
    facts = [(k, report.get(key)) for k, key in _FACTS if report.get(key) not in (None, "")]
    facts_list = element(header, "dl") if facts else header
    for key, value in facts:
        pair = element(facts_list, "div")
        element(pair, "dt", key)
        element(pair, "dd", str(value))
    _summary(body, report)
    if versions := _map(report.get("prediction_vs_gold")):
        _gold_section(body, versions)
    if agreement := _map(report.get("agreement")):
        _agreement_section(body, agreement)
    if throughput := _map(report.get("throughput")):
        section = element(body, "section", id="throughput")
        element(section, "h2", "Throughput")
        rows = [
            [str(k), fmt(_get(v, "tasks"), 0), _duration(_get(v, "median_lead_time"))]
            for k, v in throughput.items()
        ]
        _table(section, "Tasks and median lead time per annotator", _THROUGHPUT_HEAD, rows)
    return "<!DOCTYPE html>\n" + ET.tostring(page, encoding="unicode", method="html") + "\n"


def write_report_html(path: str | Path, report: Mapping[str, Any]) -> None:
    """Render ``report`` with :func:`render_report` and write it to ``path`` atomically.

    Args:
        path: Where to write the page; its folder is created if missing.
        report: The quality report, as for :func:`render_report`.
    """
    page = render_report(report)
    with atomic_writer(path) as handle:
        handle.write(page)
