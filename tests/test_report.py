"""`annotate report` on a project annotated by simulated annotators on a real server."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from spacy.language import Language
from typer.testing import CliRunner

from annotate.cli import app
from annotate.export.gold import select_gold
from annotate.quality.report import annotator_agreement, build_report, prediction_vs_gold
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.connection import KEY_ENV, URL_ENV
from annotate.studio.pull import pull
from annotate.studio.server import LocalServer

from .conftest import REPO, SEED_ARTICLE
from .fixtures.annotations import annotate_project


@pytest.fixture(scope="module")
def annotated(
    studio_server: LocalServer, news_schema: Schema, nlp: Language, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A project annotated by the simulated annotators, pulled to a snapshot."""
    credentials = studio_server.credentials
    snapshot = tmp_path_factory.mktemp("report") / "snapshot.jsonl"
    with Studio.connect(credentials.url, credentials.token) as studio:
        annotate_project(studio, "report", news_schema, nlp, SEED_ARTICLE.read_text(encoding="utf-8").strip())
        pull(studio, "report", snapshot)
    return snapshot


STORED = REPO / "tests" / "data" / "snapshot.jsonl"


def _tasks(snapshot: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in snapshot.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("source", ["live", "stored"])
def test_report_streamed_equals_the_figures_over_the_whole_snapshot(
    source: str, annotated: Path, news_schema: Schema
) -> None:
    """Counted task by task from a stream, the report's pre-annotation and agreement figures are
    the ones computed over all tasks in memory at once."""
    tasks = _tasks(annotated if source == "live" else STORED)
    streamed = build_report(iter(tasks), news_schema)
    gold = select_gold(tasks, news_schema, "latest").documents
    assert streamed.prediction_vs_gold == prediction_vs_gold(tasks, gold, news_schema)
    assert streamed.agreement == annotator_agreement(tasks, news_schema)
    assert streamed.prediction_vs_gold and streamed.gold_tasks == len(gold)
    if source == "live":
        assert streamed.agreement.tasks == 2


def test_report_agreement_and_throughput(annotated: Path, news_schema: Schema) -> None:
    """Two annotators share two tasks; the third only skipped; lead times as the annotators spent them."""
    report = build_report(_tasks(annotated), news_schema).to_dict()
    assert report["left_out"] == {"no annotation": 1}
    agreement = report["agreement"]
    assert agreement["tasks"] == 2
    assert len(agreement["annotators"]) == 2
    # ann1: 30.0 s (seed) and 20.0 s (unicode) -> median 25.0; ann2: 95.5 and 25.0 -> 60.25
    medians = sorted(figures["median_lead_time"] for figures in report["throughput"].values())
    assert medians == [25.0, 60.25]
    assert all(figures["tasks"] == 2 for figures in report["throughput"].values())
    # ann2 relabelled Kherson (unicode) GPE -> LOC: one LOC span ann1 never marked
    loc = agreement["entity"]["exact"]["LOC"]
    assert loc["fp"] + loc["fn"] >= 1
    assert 0.0 < agreement["entity"]["kappa"] < 1.0


def test_report_prediction_vs_gold_counts_the_work_saved(annotated: Path, news_schema: Schema) -> None:
    """The gold keeps 4 entity corrections (3 in the seed, Kherson in unicode); the rest were accepted."""
    report = build_report(_tasks(annotated), news_schema).to_dict()
    [section] = report["prediction_vs_gold"].values()
    accepted, total = section["accepted_unchanged"]["entity"]["ALL"]
    assert (
        total - accepted == 4
    )  # "International Criminal Court" moved, "Kremlin" relabelled, "Odesa" added, Kherson
    confusion = {(pred, gold): n for pred, gold, n in section["confusion"]["entity"]}
    assert confusion[("PERSON", "GPE")] == 1  # Kherson: the model said PERSON, the ground truth GPE
    assert confusion[("∅", "GPE")] >= 1  # Odesa was missed by the model


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [value or "" for name, value in attrs if name in ("src", "href")]


def test_cli_report_writes_json_and_html(
    annotated: Path, studio_server: LocalServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`annotate report --project` pulls, prints a summary and writes JSON and a self-contained page."""
    monkeypatch.setenv(URL_ENV, studio_server.credentials.url)
    monkeypatch.setenv(KEY_ENV, studio_server.credentials.token)
    html, data = tmp_path / "report.html", tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["report", "--project", "report", "--json", str(data), "--html", str(html)]
    )
    assert result.exit_code == 0, result.output
    assert "agreement on 2 tasks (2 annotators)" in result.stdout
    assert json.loads(data.read_text(encoding="utf-8"))["gold_tasks"] == 2
    parser = _Collector()
    parser.feed(html.read_text(encoding="utf-8"))
    assert parser.tags.count("svg") >= 4
    assert not [link for link in parser.links if "//" in link]
