"""`annotate train` on small gold: it learns what the rules lack, and its gate keeps the rules
where the learned layer loses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from annotate.cli import app
from annotate.document import Article
from annotate.errors import EvaluationError
from annotate.prelabel import prelabel_documents
from annotate.schema import Schema
from annotate.training.gold import GoldSet
from annotate.training.train import held_out, train

from .fixtures.synthetic import gold_article, write_snapshot


def test_train_learns_a_trigger_word_the_rules_lack(tmp_path: Path, news_schema: Schema) -> None:
    """Trained on "zapped" marked as an attack, the model finds it in a new article; the rules do not."""
    gold = GoldSet([gold_article(n) for n in range(24)], ["hand-made"])
    out = tmp_path / "model"
    report = train(gold, news_schema, out, eval_split=0.25)
    assert report.layers["triggers"] == "learned"
    assert (
        report.figures["learned"]["trigger_classification"]["f1"]
        > report.figures["rules"]["trigger_classification"]["f1"]
    )
    loaded = spacy.load(out)  # a plain spaCy pipeline folder
    assert "annotate_learned_events" in loaded.pipe_names
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["annotate"]["layers"] == report.layers and meta["annotate"]["gold_identity"] == gold.identity
    new = Article("new", "Rebels zapped Aleppo on Friday, witnesses said.")
    (document,) = prelabel_documents([new], news_schema, model=str(out))
    assert [(e.trigger.text, e.type) for e in document.events] == [("zapped", "Conflict:Attack")]
    assert document.model_version == report.model_version and report.model_version.startswith("en_annotate_")
    (by_rules,) = prelabel_documents([new], news_schema)
    assert "zapped" not in [e.trigger.text for e in by_rules.events]


def test_train_gate_keeps_the_rules_where_the_model_loses(tmp_path: Path, news_schema: Schema) -> None:
    """Training gold that marks the wrong words: on held-out articles the rules win, so they stay."""
    ids = [gold_article(n) for n in range(24)]
    train_part, eval_part = held_out(ids, 0.25, "annotate")
    held = {document.article.id for document in eval_part}
    gold = GoldSet([gold_article(n, noisy=f"article-{n:02d}" not in held) for n in range(24)], ["hand-made"])
    report = train(gold, news_schema, tmp_path / "model", eval_split=0.25)
    assert len(train_part) and report.eval_articles == len(eval_part)
    assert report.layers["triggers"] == "rules"
    assert (
        report.figures["learned"]["trigger_classification"]
        == report.figures["rules"]["trigger_classification"]
    )


def test_cli_train_from_awrite_snapshot(tmp_path: Path, news_schema: Schema) -> None:
    """`annotate train --from SNAPSHOT --out DIR` prints the gate's table and writes a loadable model."""
    snapshot = tmp_path / "snapshot.jsonl"
    write_snapshot(snapshot, [gold_article(n) for n in range(24)], news_schema)
    out = tmp_path / "models" / "news"
    result = CliRunner().invoke(
        app, ["train", "--from", str(snapshot), "--out", str(out), "--eval-split", "0.25"]
    )
    assert result.exit_code == 0, result.output
    assert "trigger_classification" in result.stdout and "layers: entities" in result.stdout
    assert (out / "meta.json").is_file() and (out / "schema.yaml").is_file()
    again = CliRunner().invoke(app, ["train", "--from", str(snapshot), "--out", str(tmp_path)])
    assert again.exit_code == 1 and "not an annotate model" in again.stderr


@pytest.mark.parametrize("share", [0.05, 0.9])
def test_train_needs_articles_on_both_sides(tmp_path: Path, news_schema: Schema, share: float) -> None:
    """Too little gold to train and hold out is a clear error, before any training."""
    with pytest.raises(EvaluationError, match="annotate more articles or change --eval-split"):
        train(GoldSet([gold_article(0), gold_article(1)]), news_schema, tmp_path / "m", eval_split=share)


def test_cli_learning_curve_writes_points_and_a_plot(tmp_path: Path, news_schema: Schema) -> None:
    """`annotate learning-curve` trains on growing shares and plots each layer beside the rules."""
    import xml.etree.ElementTree as ET

    snapshot = tmp_path / "snapshot.jsonl"
    write_snapshot(snapshot, [gold_article(n) for n in range(24)], news_schema)
    out = tmp_path / "curve"
    result = CliRunner().invoke(
        app, ["learning-curve", "--from", str(snapshot), "--out", str(out), "--eval-split", "0.25"]
    )
    assert result.exit_code == 0, result.output
    curve = json.loads((out / "curve.json").read_text(encoding="utf-8"))
    articles = [point["articles"] for point in curve["points"]]
    assert articles == sorted(articles) and len(articles) == 5 and articles[-1] == 24 - curve["eval_articles"]
    last = curve["points"][-1]["learned"]["trigger_classification"]["f1"]
    assert last > curve["rules"]["trigger_classification"]["f1"]  # "zapped" is learned from all of them
    svg = ET.parse(out / "curve.svg").getroot()
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 6  # entities, triggers and arguments: learned and rules
    assert sum(1 for line in lines if line.get("stroke-dasharray")) == 3
