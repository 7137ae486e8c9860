"""Tests of annotate.quality.html: the page is parsed back with the standard library's html.parser.

The page is HTML5 (ElementTree's HTML serialisation), not XHTML, so ``xml.etree`` cannot read it;
``_parse`` builds a small element tree from ``html.parser`` events instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from annotate.errors import EvaluationError
from annotate.quality import svgchart
from annotate.quality.html import render_report, write_report_html

NASTY = 'R&D <Lab> "x"'
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class _Node:
    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag, self.attrs = tag, attrs
        self.children: list[_Node | str] = []

    def iter(self, tag: str | None = None) -> Iterator[_Node]:
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            if isinstance(child, _Node):
                yield from child.iter(tag)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find(self, tag: str) -> _Node | None:
        return next((n for c in self.children if isinstance(c, _Node) for n in c.iter(tag)), None)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = _Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def _parse(page: str) -> _Node:
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def _text(node: _Node, tag: str) -> str:
    found = node.find(tag)
    assert found is not None, f"no <{tag}> in <{node.tag}>"
    return found.text()


def _svgs(root: _Node, kind: str) -> list[_Node]:
    return [svg for svg in root.iter("svg") if svg.attrs.get("class") == kind]


def _prf(f1: float) -> dict[str, float]:
    return {"precision": f1, "recall": f1, "f1": f1, "tp": 3, "fp": 1, "fn": 1}


def _report() -> dict[str, Any]:
    outcome = {"exact": 5, "boundary": 1, "type": 1, "boundary_type": 0, "missed": 2, "spurious": 1}
    gold = {
        "entities": {"PERSON": _prf(0.9), NASTY: _prf(0.5), "ALL": _prf(0.8)},
        "events": {
            "trigger_identification": _prf(0.7),
            "trigger_classification": _prf(0.6),
            "argument_identification": _prf(0.5),
            "argument_classification": _prf(0.4),
            "trigger:Life:Die": _prf(0.6),
        },
        "outcomes": {"entity": {"PERSON": outcome, NASTY: outcome}, "trigger": {"Life:Die": outcome}},
        "confusion": {
            "entity": [["PERSON", "PERSON", 7], [NASTY, "PERSON", 2], ["∅", NASTY, 3], ["PERSON", "∅", 1]],
            "trigger": [["Life:Die", "Life:Die", 4]],
        },
        "accepted_unchanged": {"entity": {"PERSON": [6, 8], "ALL": [8, 10]}, "trigger": {"ALL": [1, 2]}},
    }
    agreement = {"exact": {"PERSON": _prf(0.8), NASTY: _prf(0.4)}, "overlap": {"PERSON": _prf(0.9)}}
    return {
        "title": "Weekly <quality> & review",
        "generated": "2025-01-06T09:00:00Z",
        "project": "news-events",
        "schema_version": "3",
        "prediction_vs_gold": {"v1": gold},
        "agreement": {
            "tasks": 12,
            "annotators": ["ann", "bob"],
            "entity": {**agreement, "kappa": 0.71, "alpha": 0.69},
            "trigger": {"exact": {"Life:Die": _prf(0.75)}, "overlap": {}, "kappa": 0.6, "alpha": 0.58},
            "argument": {"f1": 0.55, "pairs": 20},
            "per_annotator": {
                "ann": {"tasks": 12, "entity_f1_vs_others": 0.8, "trigger_f1_vs_others": 0.7},
                "bob": {"tasks": 10, "entity_f1_vs_others": 0.75, "trigger_f1_vs_others": 0.65},
            },
        },
        "throughput": {"ann": {"tasks": 40, "median_lead_time": 95.0}, "bob": {"tasks": 30}},
    }


def test_render_report_embeds_inline_svgs() -> None:
    """Each chart is an inline <svg> with role="img" and a <title> first."""
    root = _parse(render_report(_report()))
    counts = {kind: len(_svgs(root, kind)) for kind in ("chart-f1", "chart-confusion")}
    counts |= {kind: len(_svgs(root, kind)) for kind in ("chart-agreement", "chart-annotators")}
    assert counts == {"chart-f1": 1, "chart-confusion": 2, "chart-agreement": 2, "chart-annotators": 1}
    svgs = list(root.iter("svg"))
    assert len(svgs) == 6
    for svg in svgs:
        first = svg.children[0]
        assert svg.attrs["role"] == "img"
        assert isinstance(first, _Node) and first.tag == "title" and first.text()


def test_render_report_is_self_contained() -> None:
    """No script, stylesheet link, image or src/href pointing outside the page."""
    page = render_report(_report())
    root = _parse(page)
    assert not [n for tag in ("script", "link", "img", "iframe") for n in root.iter(tag)]
    for node in root.iter():
        for name in ("src", "href", "xlink:href"):
            value = node.attrs.get(name)
            assert value is None or value.startswith("#"), (node.tag, name, value)
    assert "http" not in page
    assert "//" not in page
    assert "url(" not in page


def test_render_report_escapes_labels() -> None:
    """Labels with <, & and quotes are escaped in the markup and read back as text."""
    page = render_report(_report())
    root = _parse(page)
    assert NASTY not in page
    assert "<Lab>" not in page
    assert not list(root.iter("lab"))
    title = root.find("title")
    assert title is not None
    assert title.text() == "Weekly <quality> & review"
    f1_chart = _svgs(root, "chart-f1")[0]
    assert NASTY in [t.text() for t in f1_chart.iter("text")]
    assert NASTY in [th.text() for th in root.iter("th")]


def test_render_report_confusion_cell_per_pair() -> None:
    """The entity heat map has one cell per (pred, gold) pair with its count as text."""
    root = _parse(render_report(_report()))
    entity_map = next(s for s in _svgs(root, "chart-confusion") if "Entity" in _text(s, "title"))
    cells = [g for g in entity_map.iter("g") if g.attrs.get("class") == "cell"]
    found = {}
    for cell in cells:
        tooltip, count = cell.find("title"), cell.find("text")
        assert tooltip is not None and count is not None
        found[tooltip.text()] = count.text()
    assert found == {
        "predicted PERSON, gold PERSON: 7": "7",
        f"predicted {NASTY}, gold PERSON: 2": "2",
        f"predicted ∅, gold {NASTY}: 3": "3",
        "predicted PERSON, gold ∅: 1": "1",
    }
    axis = [t.text() for t in entity_map.iter("text")]
    assert "predicted →" in axis
    assert "gold ↓" in axis


def test_render_report_confusion_sums_duplicates_and_folds_rare_labels() -> None:
    """Repeated pairs are summed; beyond the label limit the rarest fold into (other)."""
    many = [[f"L{i:03d}", f"L{i:03d}", 100 - i] for i in range(svgchart.MAX_CONFUSION_LABELS + 5)]
    report = {
        "title": "t",
        "prediction_vs_gold": {"v": {"confusion": {"entity": [*many, ["L000", "L000", 1]]}}},
    }
    root = _parse(render_report(report))
    heat_map = _svgs(root, "chart-confusion")[0]
    cells = {_text(c, "title"): _text(c, "text") for c in heat_map.iter("g")}
    assert cells["predicted L000, gold L000: 101"] == "101"
    assert len(cells) == svgchart.MAX_CONFUSION_LABELS
    assert "predicted (other), gold (other): 351" in cells  # L039..L044: 61 + 60 + ... + 56
    assert any("folded" in p.text() for p in root.iter("p"))


def test_render_report_summary_strip() -> None:
    """The summary shows entity, trigger and argument F1, accepted share, κ and α as text."""
    root = _parse(render_report(_report()))
    strip = next(d for d in root.iter("div") if d.attrs.get("class") == "cards")
    spans = [[span.text() for span in card.iter("span")] for card in strip.iter("div") if card is not strip]
    assert all(len(texts) == 3 for texts in spans)
    cards = {key: value for key, value, _ in spans}
    assert cards == {
        "Entity F1 (all)": "0.800",
        "Trigger classification F1": "0.600",
        "Argument classification F1": "0.400",
        "Accepted unchanged": "75%",
        "Entity κ (Cohen)": "0.710",
        "Entity α (Krippendorff)": "0.690",
    }


def test_render_report_omits_absent_sections() -> None:
    """A report with only a title and throughput has no gold, agreement, summary or chart."""
    report = {"title": "Only throughput", "throughput": {"ann": {"tasks": 3, "median_lead_time": 12.5}}}
    root = _parse(render_report(report))
    ids = [s.attrs.get("id") for s in root.iter("section")]
    assert ids == ["throughput"]
    assert not list(root.iter("svg"))
    assert not [d for d in root.iter("div") if d.attrs.get("class") == "cards"]
    assert not list(root.iter("dl"))
    cells = [td.text() for td in root.iter("td")]
    assert cells == ["3", "12.5 s"]


def test_render_report_sections_in_order() -> None:
    """A full report has the gold, agreement and throughput sections, in that order."""
    root = _parse(render_report(_report()))
    assert [s.attrs.get("id") for s in root.iter("section")] == [
        "prediction-vs-gold",
        "agreement",
        "throughput",
    ]
    durations = [td.text() for td in root.iter("td") if td.text().endswith((" s", "–"))]
    assert "1 min 35 s" in durations


def test_render_report_requires_title() -> None:
    """A report without a title is refused."""
    with pytest.raises(EvaluationError, match="title"):
        render_report({"throughput": {}})


def test_write_report_html_writes_atomically(tmp_path: Path) -> None:
    """The page replaces any previous file and no temporary file is left behind."""
    target = tmp_path / "out" / "report.html"
    write_report_html(target, {"title": "first"})
    write_report_html(target, _report())
    assert target.read_text(encoding="utf-8") == render_report(_report())
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_write_report_html_keeps_old_file_on_failure(tmp_path: Path) -> None:
    """A report that cannot be rendered leaves the previous page untouched."""
    target = tmp_path / "report.html"
    write_report_html(target, {"title": "first"})
    before = target.read_text(encoding="utf-8")
    with pytest.raises(EvaluationError):
        write_report_html(target, {})
    assert target.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
