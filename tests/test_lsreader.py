"""Reading Label Studio results back into documents: checks, problems, Unicode and provenance."""

from __future__ import annotations

from typing import Any

import pytest
from spacy.language import Language

from annotate.document import Article, Document, Span
from annotate.errors import ExportError
from annotate.labelstudio.reader import SpanProblem, prediction_to_document, result_to_document, task_article
from annotate.prelabel import prelabel, prelabel_documents
from annotate.schema import Schema

# "Rebels"=0..6, "attacked"=7..15, "Kabul"=16..21, "on Monday"=22..31, "Monday"=25..31; 32 characters.
TEXT = "Rebels attacked Kabul on Monday."
# One code point each: the emoji 0, "Café" 2..6, "José" 13..17, "Zhang" 22..27, "東京" 31..33,
# "Monday" 37..43; 44 characters.
UNICODE = "😀 Café owner José met Zhang in 東京 on Monday."


def region(
    rid: str | None,
    layer: str,
    start: Any,
    end: Any,
    label: str | list[str],
    text: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Label Studio region item (value.text is the slice of TEXT unless given)."""
    labels = label if isinstance(label, list) else [label]
    value = {"start": start, "end": end, "text": TEXT[start:end] if text is None else text, "labels": labels}
    item = {"from_name": layer, "to_name": "text", "type": "labels", "value": value, **extra}
    return item if rid is None else {"id": rid, **item}


def relation(from_id: str, to_id: str, roles: str | list[str], direction: str = "right") -> dict[str, Any]:
    """A Label Studio relation item."""
    labels = roles if isinstance(roles, list) else [roles]
    return {"type": "relation", "from_id": from_id, "to_id": to_id, "direction": direction, "labels": labels}


def valid_result() -> list[dict[str, Any]]:
    """Rebels (PERSON) attacked (Conflict:Attack) Kabul (GPE) on Monday (DATE), with three arguments."""
    return [
        region("r-rebels", "entity", 0, 6, "PERSON"),
        region("r-attacked", "event", 7, 15, "Conflict:Attack"),
        region("r-kabul", "entity", 16, 21, "GPE"),
        region("r-monday", "entity", 25, 31, "DATE"),
        relation("r-attacked", "r-rebels", "Attacker"),
        relation("r-attacked", "r-kabul", "Place"),
        relation("r-attacked", "r-monday", "Time"),
    ]


def make_task(text: str = TEXT) -> dict[str, Any]:
    """A task as the server returns it (id 7, doc id doc1)."""
    return {"id": 7, "data": {"text": text, "doc_id": "doc1", "text_hash": "h", "schema_version": "v"}}


def assert_intact(document: Document) -> None:
    """The valid part of valid_result() is all there."""
    assert [(s.id, s.start, s.end, s.label, s.text) for s in document.entities][:3] == [
        ("r-rebels", 0, 6, "PERSON", "Rebels"),
        ("r-kabul", 16, 21, "GPE", "Kabul"),
        ("r-monday", 25, 31, "DATE", "Monday"),
    ]
    [event] = [e for e in document.events if e.id == "r-attacked"]
    assert (event.type, event.trigger.text) == ("Conflict:Attack", "attacked")
    assert [(a.role, a.span_id) for a in event.arguments] == [
        ("Attacker", "r-rebels"),
        ("Place", "r-kabul"),
        ("Time", "r-monday"),
    ]


def test_result_to_document_reads_entities_triggers_and_arguments(news_schema: Schema) -> None:
    """A valid result becomes three entities and one event with three arguments, ids = region ids."""
    document, problems = result_to_document(make_task(), valid_result(), news_schema)
    assert problems == []
    assert_intact(document)
    assert len(document.entities) == 3 and len(document.events) == 1
    assert (document.article.id, document.article.text) == ("doc1", TEXT)


BAD_REGIONS = [  # (region item, what the problem says)
    (region("x", "entity", "16", 21, "GPE", text="Kabul"), "offsets must be integers, got start='16' end=21"),
    (region("x", "entity", 16, 40, "GPE", text="Kabul"), "offsets [16:40] do not fit a text of 32"),
    (region("x", "entity", 21, 16, "GPE", text="Kabul"), "offsets [21:16] do not fit"),
    (
        region("x", "entity", 16, 21, "LOC", text="Kabol"),
        "value.text 'Kabol' does not match text[16:21] 'Kabul'",
    ),
    (region("x", "entity", 16, 21, []), "a region needs exactly one label, got []"),
    (region("x", "entity", 16, 21, ["GPE", "LOC"]), "exactly one label, got ['GPE', 'LOC']"),
    (region("x", "entity", 16, 21, "CITY"), "label 'CITY' is not in the schema's entity labels"),
    (region("x", "event", 7, 15, "Conflict:Skirmish"), "'Conflict:Skirmish' is not in the schema's event"),
    (region("x", "sentiment", 16, 21, "GPE"), "unknown control from_name 'sentiment'"),
    (region(None, "entity", 16, 21, "LOC"), "region without an id"),
    (region("x", "entity", 0, 6, "PERSON"), "the same entity span and label as region r-rebels"),
]


@pytest.mark.parametrize(("item", "what"), BAD_REGIONS)
def test_result_to_document_reports_each_invalid_region_once(
    news_schema: Schema, item: dict[str, Any], what: str
) -> None:
    """An invalid region gives exactly one problem naming task and region; the rest is kept."""
    document, problems = result_to_document(make_task(), [*valid_result(), item], news_schema)
    [problem] = problems
    assert (problem.task_id, problem.doc_id, problem.region_id) == (7, "doc1", item.get("id"))
    assert what in problem.what
    assert_intact(document)
    assert len(document.entities) == 3 and len(document.events) == 1


def test_result_to_document_reports_a_shared_region_id_once(news_schema: Schema) -> None:
    """Two regions with one id (two controls on one region): both left out, one problem."""
    result = [r for r in valid_result() if r.get("to_id") != "r-kabul"]
    result.append(region("r-kabul", "entity", 16, 21, "LOC"))
    document, problems = result_to_document(make_task(), result, news_schema)
    assert problems == [SpanProblem(7, "doc1", "r-kabul", "2 regions share this id")]
    assert [s.id for s in document.entities] == ["r-rebels", "r-monday"]


BAD_RELATIONS = [  # (relation item, what the problem says)
    (relation("r-rebels", "r-kabul", "Attacker"), "goes from an entity region to an entity region"),
    (relation("r-kabul", "r-attacked", "Place"), "goes from an entity region to an event region"),
    (relation("r-attacked", "r-strike", "Target"), "goes from an event region to an event region"),
    (relation("r-attacked", "r-kabul", []), "exactly one role label, got []"),
    (
        relation("r-attacked", "r-kabul", ["Place", "Target"]),
        "exactly one role label, got ['Place', 'Target']",
    ),
    (relation("r-attacked", "nowhere", "Target"), "relation 'Target': region nowhere does not exist"),
    (relation("r-attacked", "r-rebels", "Victim"), "role 'Victim' is not a role of Conflict:Attack"),
    (
        relation("r-attacked", "r-kabul", "Instrument"),
        "Attack does not accept a GPE (accepts: WEAPON, VEHICLE)",
    ),
]


@pytest.mark.parametrize(("item", "what"), BAD_RELATIONS)
def test_result_to_document_reports_each_invalid_relation_once(
    news_schema: Schema, item: dict[str, Any], what: str
) -> None:
    """An invalid relation gives exactly one problem (region id from->to); every span is kept."""
    strike = region("r-strike", "event", 25, 31, "Conflict:Attack")  # a second trigger, for event->event
    document, problems = result_to_document(make_task(), [*valid_result(), strike, item], news_schema)
    [problem] = problems
    where = f"{item['from_id']}->{item['to_id']}"
    assert (problem.task_id, problem.doc_id, problem.region_id) == (7, "doc1", where)
    assert what in problem.what
    assert_intact(document)
    assert [e.id for e in document.events] == ["r-attacked", "r-strike"]


def test_result_to_document_lists_a_relation_to_an_invalid_region(news_schema: Schema) -> None:
    """A relation to a region that was left out is listed too, not dropped silently."""
    result = [*valid_result(), region("x", "entity", 16, 21, "CITY"), relation("r-attacked", "x", "Target")]
    document, problems = result_to_document(make_task(), result, news_schema)
    assert [(p.region_id, p.what) for p in problems] == [
        ("x", "label 'CITY' is not in the schema's entity labels"),
        ("r-attacked->x", "relation 'Target': region x was left out (see its problem)"),
    ]
    assert_intact(document)


def test_result_to_document_reads_a_left_relation_backwards(news_schema: Schema) -> None:
    """direction 'left' draws the arrow from to_id to from_id: entity->trigger read as an argument."""
    result = [r for r in valid_result() if r.get("to_id") != "r-kabul"]
    result.append(relation("r-kabul", "r-attacked", "Place", direction="left"))
    document, problems = result_to_document(make_task(), result, news_schema)
    assert problems == []
    assert ("Place", "r-kabul") in [(a.role, a.span_id) for a in document.events[0].arguments]


def test_result_to_document_keeps_identical_relations_once(news_schema: Schema) -> None:
    """The same argument drawn twice is one argument."""
    document, problems = result_to_document(
        make_task(), [*valid_result(), relation("r-attacked", "r-kabul", "Place")], news_schema
    )
    assert problems == []
    assert_intact(document)


def test_result_to_document_accepts_whitespace_only_text_differences(news_schema: Schema) -> None:
    """value.text that lost or gained whitespace is fine; the span text is text[start:end]."""
    result = [
        region("r-kabul", "entity", 16, 21, "GPE", text=" Kabul\n"),
        region("r-on-monday", "entity", 22, 31, "DATE", text="onMonday"),
        region("r-both", "entity", 7, 21, "LOC", text="attacked  Kabul"),
    ]
    document, problems = result_to_document(make_task(), result, news_schema)
    assert problems == []
    assert [(s.start, s.end, s.text) for s in document.entities] == [
        (7, 21, "attacked Kabul"),
        (16, 21, "Kabul"),
        (22, 31, "on Monday"),
    ]


def test_result_to_document_keeps_code_point_offsets_in_unicode_text(news_schema: Schema) -> None:
    """An emoji, accents and CJK before a span do not shift it; UTF-16 offsets are caught."""
    result = [
        region("r-cafe", "entity", 2, 6, "FAC", text="Café"),
        region("r-jose", "entity", 13, 17, "PERSON", text="José"),
        region("r-tokyo", "entity", 31, 33, "GPE", text="東京"),
        region("r-monday", "entity", 37, 43, "DATE", text="Monday"),
        # JavaScript counts the emoji as two code units: José at 14..18 in UTF-16.
        region("r-utf16", "entity", 14, 18, "PERSON", text="José"),
    ]
    document, problems = result_to_document(make_task(UNICODE), result, news_schema)
    assert [(s.id, s.text) for s in document.entities] == [(r["id"], r["value"]["text"]) for r in result[:4]]
    [problem] = problems
    assert problem == SpanProblem(7, "doc1", "r-utf16", "value.text 'José' does not match text[14:18] 'osé '")


def test_result_to_document_takes_origin_from_the_region_field(news_schema: Schema) -> None:
    """origin prediction / prediction-changed / manual → prediction / edited / manual."""
    prediction = {"id": 100, "model_version": "m@1", "result": valid_result()[:3]}
    result = [
        region("r-rebels", "entity", 0, 6, "PERSON", origin="prediction"),
        region("r-attacked", "event", 7, 15, "Conflict:Attack", origin="prediction-changed"),
        region("r-kabul", "entity", 16, 21, "GPE", origin="manual"),
    ]
    stamp = "2026-01-02T03:04:05Z"
    document, _ = result_to_document(
        make_task(), result, news_schema, annotator="3", timestamp=stamp, predictions=[prediction]
    )
    spans = {s.id: s for s in [*document.entities, *(e.trigger for e in document.events)]}
    assert [(spans[i].origin, spans[i].model_version) for i in ("r-rebels", "r-attacked", "r-kabul")] == [
        ("prediction", "m@1"),
        ("edited", "m@1"),
        ("manual", None),
    ]
    assert {(s.annotator, s.timestamp) for s in spans.values()} == {("3", stamp)}


def test_result_to_document_compares_regions_without_origin_with_predictions(news_schema: Schema) -> None:
    """No origin field: same id and value → prediction, same id other value → edited, else manual."""
    newer = {"id": 101, "model_version": "m@2", "result": valid_result()}
    older = {"id": 100, "model_version": "m@1", "result": valid_result()}
    result = [
        region("r-rebels", "entity", 0, 6, "PERSON"),
        region("r-kabul", "entity", 16, 21, "LOC"),
        region("r-attacked", "event", 7, 15, "Conflict:Attack"),
        region("r-new", "entity", 25, 31, "DATE"),
    ]
    document, problems = result_to_document(make_task(), result, news_schema, predictions=[older, newer])
    assert problems == []
    spans = {s.id: s for s in [*document.entities, *(e.trigger for e in document.events)]}
    assert {i: (s.origin, s.model_version) for i, s in spans.items()} == {
        "r-rebels": ("prediction", "m@1"),  # the first prediction given wins
        "r-kabul": ("edited", "m@1"),
        "r-attacked": ("prediction", "m@1"),
        "r-new": ("manual", None),
    }


def test_prediction_to_document_gives_back_the_prelabelled_document(
    nlp: Language, news_schema: Schema
) -> None:
    """The real prediction of a task reads back to exactly the pre-annotator's spans and arguments."""
    article = Article("t1", "Rebels attacked Kabul with rockets on Friday, officials said.")
    [task] = prelabel([article], news_schema, nlp=nlp)
    [expected] = prelabel_documents([article], news_schema, nlp=nlp)
    document, problems = prediction_to_document(task, task["predictions"][0], news_schema)
    assert problems == []
    assert expected.events, "the pipeline should find the attack"

    def key(span: Span) -> tuple[Any, ...]:
        return (span.id, span.start, span.end, span.label, span.text, span.score)

    def events(doc: Document) -> list[tuple[Any, ...]]:
        return sorted(
            (e.id, e.type, key(e.trigger), [(a.role, a.span_id) for a in e.arguments]) for e in doc.events
        )

    assert [key(s) for s in document.entities] == [key(s) for s in expected.entities]
    assert events(document) == events(expected)
    assert document.model_version == expected.model_version
    assert {(s.origin, s.model_version) for s in document.entities} == {
        ("prediction", document.model_version)
    }


def test_task_article_reads_metadata_back() -> None:
    """Data keys other than annotate's own are metadata; meta_<reserved> gets its name back."""
    task = {"id": 1, "data": {"text": "x", "doc_id": "d", "title": "T", "meta_text": "orig", "n": 3}}
    assert task_article(task).meta == {"title": "T", "text": "orig", "n": "3"}


def test_task_article_rejects_a_task_without_text() -> None:
    """A task without data.text cannot be read: ExportError naming the task."""
    with pytest.raises(ExportError, match=r"task 9: no data\.text"):
        task_article({"id": 9, "data": {"doc_id": "d"}})
