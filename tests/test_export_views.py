"""Dataset features generated from the schema, the span and BIO views, and a Parquet round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
import pytest
from datasets import ClassLabel, Features, List, Value
from spacy.language import Language

from annotate.document import Argument, Article, Document, Event, Span
from annotate.errors import ExportError
from annotate.export.features import bio_names, documents_features, tokens_features
from annotate.export.views import document_row, load_tokenizer, token_rows
from annotate.schema import Schema, schema_from_dict

TEXT = "Rebels attacked Kabul on Monday. Police arrested John Smith in Paris."
# Offsets by hand: Rebels 0, attacked 7, Kabul 16, on 22, Monday 25, "." 31 | Police 33,
# arrested 40, John 49, Smith 54, in 60, Paris 63, "." 68.
KABUL = Span("e-kabul", 16, 21, "GPE", "Kabul")
MONDAY = Span("e-monday", 25, 31, "DATE", "Monday")
POLICE = Span("e-police", 33, 39, "ORG", "Police", origin="prediction", annotator="ann@example.org")
JOHN_SMITH = Span("e-smith", 49, 59, "PERSON", "John Smith", origin="edited", timestamp="2024-05-01T10:00:00")
PARIS = Span("e-paris", 63, 68, "GPE", "Paris", origin="manual", model_version="m@1")
ATTACK = Event(
    "ev-attack",
    "Conflict:Attack",
    Span("t-attack", 7, 15, "Conflict:Attack", "attacked", origin="prediction"),
    [Argument("Time", "e-monday"), Argument("Place", "e-kabul")],
)
ARREST = Event(
    "ev-arrest",
    "Justice:Arrest-Jail",
    Span("t-arrest", 40, 48, "Justice:Arrest-Jail", "arrested"),
    [Argument("Person", "e-smith"), Argument("Agent", "e-police")],
)


def _document(entities: list[Span], events: list[Event] | None = None, text: str = TEXT) -> Document:
    return Document(Article("doc-1", text, {"outlet": "Wire"}), entities, events or [])


@pytest.fixture(scope="module")
def tokenizer() -> Language:
    """The pre-annotator's model cut down to tokenizer and sentence splitter, loaded once."""
    return load_tokenizer()


def _small_schema(entities: list[str]) -> Schema:
    return schema_from_dict(
        {
            "name": "small",
            "entities": [{"name": n, "description": n} for n in entities],
            "roles": [{"name": "Victim", "description": "who"}, {"name": "Place", "description": "where"}],
            "events": [
                {"name": "Life:Die", "description": "death", "roles": {"Victim": ["PER"]}},
                {"name": "Conflict:Attack", "description": "attack", "roles": {"Place": ["LOC"]}},
            ],
        }
    )


def test_bio_names_interleave_b_and_i_in_schema_order() -> None:
    """Label k gets B at 2k+1 and I at 2k+2 after O at 0."""
    assert bio_names(["PER", "LOC"]) == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    assert bio_names([]) == ["O"]


def test_documents_features_classlabels_follow_schema_order() -> None:
    """Entity labels, event types and roles are ClassLabels named from the schema, in its order."""
    features = documents_features(_small_schema(["PER", "LOC"]), ["outlet", "url"])
    assert list(features) == ["id", "text", "annotator", "outlet", "url", "entities", "events"]
    assert features["outlet"] == Value("string")
    entity = features["entities"].feature
    assert entity["label"] == ClassLabel(names=["PER", "LOC"])
    assert entity["start"] == Value("int32")
    provenance = ["origin", "annotator", "timestamp", "model_version"]
    assert list(entity) == ["id", "start", "end", "text", "label", "mention", *provenance]
    event = features["events"].feature
    assert event["type"] == ClassLabel(names=["Life:Die", "Conflict:Attack"])
    assert event["arguments"].feature["role"] == ClassLabel(names=["Victim", "Place"])
    assert list(event["arguments"].feature) == ["role", "entity_id", "start", "end", "text"]
    assert list(event["trigger"]) == ["start", "end", "text", *list(entity)[6:]]


def test_documents_features_use_list_of_dicts(news_schema: Schema) -> None:
    """Entities, events and arguments are List of a dict (not Sequence); to_dict round trips."""
    features = documents_features(news_schema, [])
    for column in (features["entities"], features["events"], features["events"].feature["arguments"]):
        assert isinstance(column, List)
        assert isinstance(column.feature, dict)
    assert features["entities"].feature["label"].names == news_schema.entity_labels
    for features in (documents_features(news_schema, ["outlet"]), tokens_features(news_schema)):
        assert Features.from_dict(features.to_dict()) == features


def test_tokens_features_tags_are_bio_classlabels() -> None:
    """Tags are lists of BIO ClassLabels in schema order; appending a label only appends tags."""
    features = tokens_features(_small_schema(["PER", "LOC"]))
    assert list(features) == ["doc_id", "sent_id", "tokens", "token_starts", "ner_tags", "trigger_tags"]
    assert (features["sent_id"], features["token_starts"]) == (Value("int32"), List(Value("int32")))
    assert features["ner_tags"].feature.names == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    attack = ["B-Conflict:Attack", "I-Conflict:Attack"]
    assert features["trigger_tags"].feature.names == ["O", "B-Life:Die", "I-Life:Die", *attack]
    # A label appended to the schema appends two tags and moves no existing id.
    before = features["ner_tags"].feature
    after = tokens_features(_small_schema(["PER", "LOC", "ORG"]))["ner_tags"].feature
    assert after.names[: before.num_classes] == before.names
    assert after.names[before.num_classes :] == ["B-ORG", "I-ORG"]


def test_documents_features_reject_reserved_metadata_key(news_schema: Schema) -> None:
    """A metadata key named like a fixed column raises ExportError."""
    with pytest.raises(ExportError, match="'text' collides"):
        documents_features(news_schema, ["outlet", "text"])


def test_document_row_sorts_spans_and_resolves_arguments() -> None:
    """Spans come out sorted, missing provenance is None and arguments carry their entity's span."""
    row = document_row(_document([PARIS, KABUL, MONDAY], [ATTACK]), ["outlet", "url"])
    assert (row["id"], row["text"], row["outlet"], row["url"]) == ("doc-1", TEXT, "Wire", None)
    assert [(e["id"], e["start"], e["end"], e["label"]) for e in row["entities"]] == [
        ("e-kabul", 16, 21, "GPE"),
        ("e-monday", 25, 31, "DATE"),
        ("e-paris", 63, 68, "GPE"),
    ]
    paris = {"id": "e-paris", "start": 63, "end": 68, "text": "Paris", "label": "GPE", "origin": "manual"}
    expected = {**paris, "mention": None, "annotator": None, "timestamp": None, "model_version": "m@1"}
    assert row["entities"][2] == expected
    no_provenance = {"annotator": None, "timestamp": None, "model_version": None}
    assert row["events"] == [
        {
            "id": "ev-attack",
            "type": "Conflict:Attack",
            "trigger": {"start": 7, "end": 15, "text": "attacked", "origin": "prediction", **no_provenance},
            "arguments": [
                {"role": "Place", "entity_id": "e-kabul", "start": 16, "end": 21, "text": "Kabul"},
                {"role": "Time", "entity_id": "e-monday", "start": 25, "end": 31, "text": "Monday"},
            ],
        }
    ]


def test_document_row_rejects_dangling_argument() -> None:
    """An argument pointing to an entity the document lacks raises ExportError naming both."""
    with pytest.raises(ExportError, match=r"'ev-attack'.*'e-monday'"):
        document_row(_document([KABUL], [ATTACK]), [])


def test_document_row_rejects_text_not_at_offsets() -> None:
    """A span whose text differs from the text at its offsets raises ExportError."""
    with pytest.raises(ExportError, match=r"'Kabol' but the text at \[16, 21\) is 'Kabul'"):
        document_row(_document([Span("e-x", 16, 21, "GPE", "Kabol")]), [])


def test_load_tokenizer_keeps_only_the_sentence_splitter(tokenizer: Language) -> None:
    """The tokenizer pipeline runs senter (enabled) and nothing else."""
    assert tokenizer.pipe_names == ["senter"]
    assert tokenizer.disabled == []


def test_token_rows_tag_two_sentences_in_bio(tokenizer: Language) -> None:
    """Each sentence is a row whose tokens, offsets, entity and trigger tags match the hand-made ones."""
    document = _document([PARIS, KABUL, MONDAY, POLICE, JOHN_SMITH], [ARREST, ATTACK])
    rows, issues = token_rows([document], tokenizer)
    assert issues == []
    assert rows == [
        {
            "doc_id": "doc-1",
            "sent_id": 0,
            "tokens": ["Rebels", "attacked", "Kabul", "on", "Monday", "."],
            "token_starts": [0, 7, 16, 22, 25, 31],
            "ner_tags": ["O", "O", "B-GPE", "O", "B-DATE", "O"],
            "trigger_tags": ["O", "B-Conflict:Attack", "O", "O", "O", "O"],
        },
        {
            "doc_id": "doc-1",
            "sent_id": 1,
            "tokens": ["Police", "arrested", "John", "Smith", "in", "Paris", "."],
            "token_starts": [33, 40, 49, 54, 60, 63, 68],
            "ner_tags": ["B-ORG", "O", "B-PERSON", "I-PERSON", "O", "B-GPE", "O"],
            "trigger_tags": ["O", "B-Justice:Arrest-Jail", "O", "O", "O", "O", "O"],
        },
    ]


def _tags(rows: list[dict[str, Any]], column: str = "ner_tags") -> list[str]:
    return [tag for row in rows for tag in row[column]]


def test_token_rows_snap_span_ending_inside_a_token(tokenizer: Language) -> None:
    """'Kabul o' (ends inside 'on') is snapped to 'Kabul', which covers 5 of its 7 characters."""
    rows, issues = token_rows([_document([Span("e-x", 16, 23, "GPE", "Kabul o")])], tokenizer)
    assert _tags(rows)[:6] == ["O", "O", "B-GPE", "O", "O", "O"]
    assert [(i.doc_id, i.span_id, i.layer) for i in issues] == [("doc-1", "e-x", "entities")]
    assert issues[0].what.startswith("snapped to [16, 21) 'Kabul': [16, 23) 'Kabul o'")


def test_token_rows_drop_span_inside_a_token(tokenizer: Language) -> None:
    """'Kabu' lies inside the token 'Kabul': no whole token to snap to, so it is dropped."""
    rows, issues = token_rows([_document([Span("e-x", 16, 20, "GPE", "Kabu"), MONDAY])], tokenizer)
    assert _tags(rows)[:6] == ["O", "O", "O", "O", "B-DATE", "O"]
    assert len(issues) == 1
    assert issues[0].span_id == "e-x"
    assert issues[0].what.startswith("dropped: [16, 20) 'Kabu' does not start and end on token boundaries")


def test_token_rows_drop_mostly_partial_span(tokenizer: Language) -> None:
    """'n Monday.' keeps 'Monday.' (7 of 9 characters) but 'on Mo' would keep 'on' (2 of 5): dropped."""
    spans = [Span("e-a", 23, 32, "DATE", "n Monday."), Span("t-b", 22, 27, "Conflict:Attack", "on Mo")]
    document = _document([spans[0]], [Event("ev-b", "Conflict:Attack", spans[1])])
    rows, issues = token_rows([document], tokenizer)
    assert rows[0]["ner_tags"] == ["O", "O", "O", "O", "B-DATE", "I-DATE"]
    assert rows[0]["trigger_tags"] == ["O"] * 6
    assert [(i.span_id, i.layer, i.what.split(":")[0]) for i in issues] == [
        ("e-a", "entities", "snapped to [25, 32) 'Monday.'"),
        ("ev-b", "triggers", "dropped"),
    ]


def test_token_rows_report_overlapping_entities(tokenizer: Language) -> None:
    """Of overlapping spans the longer is tagged; of equal ones the one listed first."""
    smith = Span("e-smith-only", 54, 59, "PERSON", "Smith")
    paris_loc = Span("e-paris-loc", 63, 68, "LOC", "Paris")
    rows, issues = token_rows([_document([smith, JOHN_SMITH, PARIS, paris_loc])], tokenizer)
    assert rows[1]["ner_tags"] == ["O", "O", "B-PERSON", "I-PERSON", "O", "B-GPE", "O"]
    assert [(i.span_id, i.layer) for i in issues] == [
        ("e-smith-only", "entities"),
        ("e-paris-loc", "entities"),
    ]
    assert issues[0].what.startswith("dropped: [54, 59) 'Smith' (PERSON) overlaps 'e-smith' [49, 59)")
    assert issues[1].what.startswith("dropped: [63, 68) 'Paris' (LOC) overlaps 'e-paris' [63, 68)")


def test_token_rows_drop_span_crossing_sentences(tokenizer: Language) -> None:
    """'Monday. Police' spans the sentence boundary: dropped and reported."""
    rows, issues = token_rows([_document([Span("e-x", 25, 39, "DATE", "Monday. Police")])], tokenizer)
    assert set(_tags(rows)) == {"O"}
    assert [i.what for i in issues] == ["dropped: [25, 39) 'Monday. Police' crosses a sentence boundary"]


def test_token_rows_leave_out_whitespace_tokens(tokenizer: Language) -> None:
    """Whitespace-only tokens (double space, blank line) are in neither tokens, offsets nor tags."""
    text = "Rebels  attacked Kabul.\n\nPolice left."
    # Rebels 0, " " 7 (extra space), attacked 8, Kabul 17, "." 22, "\n\n" 23, Police 25, left 32, "." 36
    police = Span("e-police", 25, 31, "ORG", "Police")
    rows, issues = token_rows([_document([police], text=text)], tokenizer)
    assert issues == []
    assert [row["sent_id"] for row in rows] == list(range(len(rows)))
    assert [t for row in rows for t in row["tokens"]] == [
        "Rebels",
        "attacked",
        "Kabul",
        ".",
        "Police",
        "left",
        ".",
    ]
    assert [s for row in rows for s in row["token_starts"]] == [0, 8, 17, 22, 25, 32, 36]
    assert _tags(rows) == ["O", "O", "O", "O", "B-ORG", "O", "O"]


def test_token_rows_starts_are_code_point_offsets(tokenizer: Language) -> None:
    """With accents, an emoji (2 UTF-16 units) and CJK, token_starts are Python str offsets."""
    text = "Zo\u00eb met \U0001f642 Li in \u5317\u4eac."
    # Zoë 0-3, met 4-7, 🙂 8, Li 10-12, in 13-15, 北京 16-18, "." 18
    spans = [Span("e-li", 10, 12, "PERSON", "Li"), Span("e-bj", 16, 18, "GPE", "\u5317\u4eac")]
    rows, issues = token_rows([_document(spans, text=text)], tokenizer)
    assert issues == []
    assert rows[0]["tokens"] == ["Zo\u00eb", "met", "\U0001f642", "Li", "in", "\u5317\u4eac", "."]
    assert rows[0]["token_starts"] == [0, 4, 8, 10, 13, 16, 18]
    assert rows[0]["ner_tags"] == ["O", "O", "O", "B-PERSON", "O", "B-GPE", "O"]
    assert all(
        text[s : s + len(t)] == t for t, s in zip(rows[0]["tokens"], rows[0]["token_starts"], strict=True)
    )


def test_parquet_round_trip_keeps_classlabel_features(
    news_schema: Schema, tokenizer: Language, tmp_path: Path
) -> None:
    """Parquet written by datasets loads back through load_dataset with the same ClassLabel features."""
    document = _document([KABUL, MONDAY, POLICE, JOHN_SMITH, PARIS], [ATTACK, ARREST])
    rows, _ = token_rows([document], tokenizer)
    configs = {
        "documents": (documents_features(news_schema, ["outlet"]), [document_row(document, ["outlet"])]),
        "tokens": (tokens_features(news_schema), rows),
    }
    for config, (features, config_rows) in configs.items():
        path = tmp_path / config / "train-00000.parquet"
        datasets.Dataset.from_list(config_rows, features=features).to_parquet(str(path))
        loaded = datasets.load_dataset(
            "parquet", data_files={"train": str(path)}, cache_dir=str(tmp_path / "cache")
        )["train"]
        assert loaded.features == features
        assert len(loaded) == len(config_rows)
    tokens = loaded.features["ner_tags"].feature
    # 'Kabul' is B-GPE: GPE is entity label 3 (PERSON, NORP, ORG, GPE), so B-GPE is 2 * 3 + 1 = 7.
    assert loaded[0]["ner_tags"] == [0, 0, 7, 0, tokens.str2int("B-DATE"), 0]
    assert tokens.int2str(7) == "B-GPE"
