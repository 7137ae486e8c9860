"""External gold formats for `annotate evaluate`: CoNLL-2003 files and annotate's own exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.errors import EvaluationError
from annotate.export.build import export, read_snapshot
from annotate.quality.goldformats import load_conll, load_export
from annotate.schema import Schema

from .test_export import SNAPSHOT

CONLL = """-DOCSTART- -X- O O

John NNP B-NP B-PER
Smith NNP I-NP I-PER
visited VBD B-VP O
Paris NNP B-NP B-LOC
. . O O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

-DOCSTART- -X- O O

Rebels NNS B-NP O
attacked VBD B-VP O
Kabul NNP B-NP I-LOC
"""


def test_load_conll_rebuilds_text_and_spans(tmp_path: Path) -> None:
    """Tokens are joined by spaces, sentences by newlines; BIO and IOB1 spans land on the right text."""
    path = tmp_path / "gold.conll"
    path.write_text(CONLL, encoding="utf-8")
    corpus = load_conll(path)
    first, second = corpus.documents
    # "John Smith visited Paris ." = 0..26, newline, "EU rejects German call ." starts at 27
    assert first.article.text == "John Smith visited Paris .\nEU rejects German call ."
    assert [(s.start, s.end, s.text, s.label) for s in first.entities] == [
        (0, 10, "John Smith", "PERSON"),
        (19, 24, "Paris", "LOC"),
        (27, 29, "EU", "ORG"),
    ]
    assert corpus.skipped == {"entity:type=MISC": 1}
    # IOB1: an I- tag after O starts a span ("Rebels attacked " = 16 characters)
    assert [(s.start, s.end, s.label) for s in second.entities] == [(16, 21, "LOC")]
    assert corpus.equivalent == (("GPE", "LOC", "FAC"),)


def test_load_conll_mapping_file_and_bad_line(tmp_path: Path) -> None:
    """A mapping file replaces the default labels; a line without a tag names its line number."""
    path = tmp_path / "gold.conll"
    path.write_text(CONLL, encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("entities: {PER: PERSON, LOC: GPE, ORG: null, MISC: NORP}\n", encoding="utf-8")
    first = load_conll(path, mapping).documents[0]
    assert [(s.text, s.label) for s in first.entities] == [
        ("John Smith", "PERSON"),
        ("Paris", "GPE"),
        ("German", "NORP"),
    ]
    bad = tmp_path / "bad.conll"
    bad.write_text("John B-PER\nSmith\n", encoding="utf-8")
    with pytest.raises(EvaluationError, match=r"bad\.conll:2: expected a token and a tag"):
        load_conll(bad)


def test_load_export_reads_back_the_gold(tmp_path: Path, news_schema: Schema) -> None:
    """An annotate export is a gold set: its entities and events come back with label names."""
    out = tmp_path / "news"
    export(read_snapshot(SNAPSHOT), out, news_schema)
    corpus = load_export(out)
    by_id = {doc.article.id: doc for doc in corpus.documents}
    assert set(by_id) == {"seed", "unicode"}
    seed = by_id["seed"]
    assert ("Odesa", "GPE") in {(s.text, s.label) for s in seed.entities}
    assert all(seed.article.text[s.start : s.end] == s.text for s in seed.entities)
    struck = seed.article.text.index("struck")
    [event] = [e for e in seed.events if e.trigger.start == struck]
    assert ("Place", "Odesa") in {(a.role, seed.entity(a.span_id).text) for a in event.arguments}


def test_cli_evaluate_conll(tmp_path: Path) -> None:
    """`annotate evaluate --format conll` scores the real pipeline on a CoNLL file."""
    path = tmp_path / "gold.conll"
    path.write_text(CONLL, encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "--gold", str(path), "--format", "conll"])
    assert result.exit_code == 0, result.output
    assert "entity PERSON" in result.stdout
