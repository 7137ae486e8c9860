"""`annotate train` on small gold: it learns what the rules lack, and its gate keeps the rules
where the learned layer loses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from annotate.articles import text_hash
from annotate.cli import app
from annotate.document import Argument, Article, Document, Event, Span
from annotate.errors import EvaluationError
from annotate.labelstudio import TaskBuilder
from annotate.prelabel import prelabel_documents
from annotate.schema import Schema
from annotate.training.gold import GoldSet
from annotate.training.train import held_out, train

ATTACKERS = ["Russia", "Iran", "Hamas", "Syria", "Israel", "Turkey", "Egypt", "Sudan"]
TARGETS = ["Kyiv", "Kherson", "Kabul", "Herat", "Aleppo", "Mosul", "Gaza", "Odesa"]
PEOPLE = ["John Smith", "Maria Lopez", "Ahmed Khan", "Olga Petrova", "Li Wei", "Omar Haddad"]


def _span(text: str, word: str, label: str, prefix: str, after: int = 0) -> Span:
    start = text.index(word, after)
    return Span(f"{prefix}{start}", start, start + len(word), label, word)


def _article(number: int, *, attack_word: str = "zapped") -> tuple[str, dict[str, Span]]:
    attacker, target = ATTACKERS[number % 8], TARGETS[(number * 3) % 8]
    person, place = PEOPLE[number % 6], TARGETS[(number * 5 + 1) % 8]
    text = (
        f"{attacker} {attack_word} {target} on Monday, officials said. "
        f"Police later arrested {person} in {place}."
    )
    spans = {
        "attacker": _span(text, attacker, "GPE", "e"),
        "target": _span(text, target, "GPE", "e", text.index(attack_word)),
        "person": _span(text, person, "PERSON", "e"),
        "place": _span(text, place, "GPE", "e", text.index(" in ")),
        "attack": _span(text, attack_word, "Conflict:Attack", "t"),
        "arrest": _span(text, "arrested", "Justice:Arrest-Jail", "t"),
    }
    return text, spans


def _gold(number: int, *, noisy: bool = False) -> Document:
    """A hand-made gold article: an attack with a word the schema lacks, and an arrest.

    ``noisy``: the attack and the arrest are left out and "officials" is marked an attack instead.
    """
    text, s = _article(number)
    entities = [s["attacker"], s["target"], s["person"], s["place"]]
    attack_roles = [Argument("Attacker", s["attacker"].id), Argument("Target", s["target"].id)]
    arrest_roles = [Argument("Person", s["person"].id), Argument("Place", s["place"].id)]
    attack = Event("t-attack", "Conflict:Attack", s["attack"], attack_roles)
    arrest = Event("t-arrest", "Justice:Arrest-Jail", s["arrest"], arrest_roles)
    events = [attack, arrest]
    if noisy:
        officials = _span(text, "officials", "Conflict:Attack", "t")
        events = [Event("t-noise", "Conflict:Attack", officials)]
    return Document(Article(f"article-{number:02d}", text), entities, events)


def test_train_learns_a_trigger_word_the_rules_lack(tmp_path: Path, news_schema: Schema) -> None:
    """Trained on "zapped" marked as an attack, the model finds it in a new article; the rules do not."""
    gold = GoldSet([_gold(n) for n in range(24)], ["hand-made"])
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
    ids = [_gold(n) for n in range(24)]
    train_part, eval_part = held_out(ids, 0.25, "annotate")
    held = {document.article.id for document in eval_part}
    gold = GoldSet([_gold(n, noisy=f"article-{n:02d}" not in held) for n in range(24)], ["hand-made"])
    report = train(gold, news_schema, tmp_path / "model", eval_split=0.25)
    assert len(train_part) and report.eval_articles == len(eval_part)
    assert report.layers["triggers"] == "rules"
    assert (
        report.figures["learned"]["trigger_classification"]
        == report.figures["rules"]["trigger_classification"]
    )


def _snapshot(path: Path, documents: list[Document], schema: Schema) -> None:
    """A snapshot as `annotate pull` writes it, each document one annotation of its task."""
    builder = TaskBuilder(schema)
    with path.open("w", encoding="utf-8") as handle:
        for number, document in enumerate(documents, start=1):
            text = document.article.text
            data = {"text": text, "doc_id": document.article.id, "text_hash": text_hash(text)}
            annotation = {
                "id": number,
                "result": builder.prediction(document)["result"],
                "completed_by": 1,
                "was_cancelled": False,
                "ground_truth": False,
                "updated_at": "2026-11-28T10:00:00Z",
            }
            handle.write(json.dumps({"id": number, "data": data, "annotations": [annotation]}) + "\n")


def test_cli_train_from_a_snapshot(tmp_path: Path, news_schema: Schema) -> None:
    """`annotate train --from SNAPSHOT --out DIR` prints the gate's table and writes a loadable model."""
    snapshot = tmp_path / "snapshot.jsonl"
    _snapshot(snapshot, [_gold(n) for n in range(24)], news_schema)
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
        train(GoldSet([_gold(0), _gold(1)]), news_schema, tmp_path / "m", eval_split=share)


def test_cli_learning_curve_writes_points_and_a_plot(tmp_path: Path, news_schema: Schema) -> None:
    """`annotate learning-curve` trains on growing shares and plots each layer beside the rules."""
    import xml.etree.ElementTree as ET

    snapshot = tmp_path / "snapshot.jsonl"
    _snapshot(snapshot, [_gold(n) for n in range(24)], news_schema)
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
