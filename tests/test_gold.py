"""Gold selection policies over snapshot tasks: latest, majority, per-annotator, silver."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest

from annotate.document import Document, Span
from annotate.errors import ExportError
from annotate.export.gold import POLICIES, annotator_id, select_gold, silver_documents
from annotate.schema import Schema

# "Rebels"=0..6, "attacked"=7..15, "Kabul"=16..21, "Monday"=25..31.
TEXT = "Rebels attacked Kabul on Monday."


def region(rid: str, layer: str, start: int, end: int, label: str, **extra: Any) -> dict[str, Any]:
    """A Label Studio region item over TEXT."""
    value = {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]}
    return {"id": rid, "from_name": layer, "to_name": "text", "type": "labels", "value": value, **extra}


def relation(from_id: str, to_id: str, role: str) -> dict[str, Any]:
    """A Label Studio relation item."""
    return {"type": "relation", "from_id": from_id, "to_id": to_id, "direction": "right", "labels": [role]}


REBELS = region("p-rebels", "entity", 0, 6, "PERSON")
ATTACKED = region("p-attacked", "event", 7, 15, "Conflict:Attack")
KABUL = region("p-kabul", "entity", 16, 21, "GPE")
PREDICTED = [REBELS, ATTACKED, KABUL, relation("p-attacked", "p-rebels", "Attacker")]


def annotation(
    ann_id: int, user: Any, result: list[dict[str, Any]], created: str, updated: str, **extra: Any
) -> dict[str, Any]:
    """An annotation as the server returns it (times are hours of 2026-11-24, UTC)."""
    return {
        "id": ann_id,
        "completed_by": user,
        "result": result,
        "created_at": f"2026-11-24T{created}:00.000000Z",
        "updated_at": f"2026-11-24T{updated}:00.000000Z",
        "was_cancelled": False,
        "ground_truth": False,
        "lead_time": 10.0,
        "parent_prediction": None,
        **extra,
    }


def conflicting_task() -> dict[str, Any]:
    """One task, three annotators who disagree, and a fourth who skipped it.

    Votes: Rebels PERSON 3/3 (C marked it edited), attacked 3/3, Kabul GPE 2/3 (A, C), Kabul LOC 1/3
    (B), Monday DATE 2/3 (A, B, by hand), Monday TIME 1/3 (C); Attacker(Rebels) 3/3, Place(Kabul GPE)
    2/3 (A, C), Place(Kabul LOC) 1/3, Time(Monday DATE) 2/3.
    """
    a = [*PREDICTED, region("a-monday", "entity", 25, 31, "DATE")]
    a += [relation("p-attacked", "p-kabul", "Place"), relation("p-attacked", "a-monday", "Time")]
    b = [
        REBELS,
        ATTACKED,
        region("p-kabul", "entity", 16, 21, "LOC"),
        region("b-monday", "entity", 25, 31, "DATE"),
    ]
    b += [relation("p-attacked", "p-rebels", "Attacker"), relation("p-attacked", "p-kabul", "Place")]
    b += [relation("p-attacked", "b-monday", "Time")]
    c = [
        {**REBELS, "origin": "prediction-changed"},
        ATTACKED,
        KABUL,
        region("c-monday", "entity", 25, 31, "TIME"),
    ]
    c += [relation("p-attacked", "p-rebels", "Attacker"), relation("p-attacked", "p-kabul", "Place")]
    skipped = [region("d-all", "entity", 0, 31, "LOC")]
    return {
        "id": 7,
        "data": {"text": TEXT, "doc_id": "doc1", "text_hash": "h", "schema_version": "v"},
        "annotations": [
            annotation(3, 3, c, "07:00", "12:00"),
            annotation(1, 1, a, "09:30", "10:00"),
            annotation(2, 2, b, "08:00", "11:00"),
            annotation(4, 4, skipped, "12:30", "13:00", was_cancelled=True),
        ],
        "predictions": [
            {"id": 100, "model_version": "m@1", "created_at": "2026-11-24T06:00:00Z", "result": PREDICTED}
        ],
        "drafts": [],
    }


def entity_keys(document: Document) -> list[tuple[int, int, str]]:
    """(start, end, label) of the entities."""
    return [(s.start, s.end, s.label) for s in document.entities]


def argument_keys(document: Document) -> list[tuple[str, str, str]]:
    """(trigger text, role, entity text + label) of every argument."""
    return [
        (e.trigger.text, a.role, f"{document.entity(a.span_id).text}/{document.entity(a.span_id).label}")
        for e in document.events
        for a in e.arguments
    ]


def test_select_gold_majority_keeps_two_of_three_and_drops_one_of_three(news_schema: Schema) -> None:
    """Spans and arguments marked by 2 of 3 annotators are kept, by 1 of 3 dropped; skips ignored."""
    selection = select_gold([conflicting_task()], news_schema, "majority")
    [document] = selection.documents
    assert entity_keys(document) == [(0, 6, "PERSON"), (16, 21, "GPE"), (25, 31, "DATE")]
    assert [(e.type, e.trigger.text) for e in document.events] == [("Conflict:Attack", "attacked")]
    assert sorted(argument_keys(document)) == [
        ("attacked", "Attacker", "Rebels/PERSON"),
        ("attacked", "Place", "Kabul/GPE"),
        ("attacked", "Time", "Monday/DATE"),
    ]
    assert selection.problems == []
    assert selection.annotators == {"1", "2", "3"}
    assert selection.document_annotators == ["majority"]


def test_select_gold_majority_gives_span_provenance(news_schema: Schema) -> None:
    """Annotator 'majority', the latest agreeing timestamp, origin by how the agreeing annotators got it."""
    [document] = select_gold([conflicting_task()], news_schema, "majority").documents
    rebels, kabul, monday = document.entities
    trigger = document.events[0].trigger
    assert {s.annotator for s in (rebels, kabul, monday, trigger)} == {"majority"}
    assert (rebels.id, rebels.origin, rebels.model_version) == ("p-rebels", "edited", "m@1")  # C edited it
    assert (trigger.origin, trigger.model_version) == ("prediction", "m@1")
    assert (kabul.origin, kabul.timestamp) == ("prediction", "2026-11-24T12:00:00.000000Z")  # A and C
    assert (monday.id, monday.origin, monday.model_version) == ("a-monday", "manual", None)  # A first
    assert monday.timestamp == "2026-11-24T11:00:00.000000Z"  # A 10:00, B 11:00


def test_select_gold_latest_picks_the_last_updated_annotation(news_schema: Schema) -> None:
    """latest: annotator 3 (updated 12:00, created first) wins; the skip updated at 13:00 does not."""
    selection = select_gold([conflicting_task()], news_schema)
    [document] = selection.documents
    assert entity_keys(document) == [(0, 6, "PERSON"), (16, 21, "GPE"), (25, 31, "TIME")]
    assert {s.annotator for s in document.entities} == {"3"}
    assert {s.timestamp for s in document.entities} == {"2026-11-24T12:00:00.000000Z"}
    assert selection.annotators == {"3"} and selection.document_annotators == ["3"]


def test_select_gold_latest_prefers_ground_truth_over_newer(news_schema: Schema) -> None:
    """An annotation marked ground truth wins over newer ones; of two, the most recently updated."""
    task = conflicting_task()
    task["annotations"][2]["ground_truth"] = True  # annotator 2, updated 11:00
    [document] = select_gold([task], news_schema, "latest").documents
    assert entity_keys(document) == [(0, 6, "PERSON"), (16, 21, "LOC"), (25, 31, "DATE")]
    task["annotations"][1]["ground_truth"] = True  # annotator 1, updated 10:00: older ground truth
    assert select_gold([task], news_schema).document_annotators == ["2"]


def test_select_gold_latest_breaks_ties_by_created_at_then_id(news_schema: Schema) -> None:
    """Same updated_at: the later created_at wins; same both: the higher id."""
    task = conflicting_task()
    task["annotations"] = [
        annotation(5, 5, [REBELS], "08:00", "10:00"),
        annotation(6, 6, [KABUL], "09:00", "10:00"),
        annotation(8, 8, [], "07:00", "10:00"),
    ]
    assert select_gold([task], news_schema).document_annotators == ["6"]
    task["annotations"][0]["created_at"] = task["annotations"][1]["created_at"]
    task["annotations"][0]["id"] = 9
    assert select_gold([task], news_schema).document_annotators == ["5"]


def test_select_gold_latest_keeps_a_deliberately_empty_annotation(news_schema: Schema) -> None:
    """A submitted empty result is gold: the annotator found nothing to mark."""
    task = conflicting_task()
    task["annotations"].append(annotation(5, 5, [], "12:40", "12:45"))
    [document] = select_gold([task], news_schema).documents
    assert (document.entities, document.events) == ([], [])


def test_select_gold_per_annotator_gives_one_document_per_annotation(news_schema: Schema) -> None:
    """per-annotator: three documents (the skip is not one), same article id, annotator on the spans."""
    selection = select_gold([conflicting_task()], news_schema, "per-annotator")
    assert selection.document_annotators == ["1", "2", "3"]  # oldest update first
    assert [d.article.id for d in selection.documents] == ["doc1"] * 3
    assert [{s.annotator for s in d.entities} for d in selection.documents] == [{"1"}, {"2"}, {"3"}]
    assert [entity_keys(d)[1] for d in selection.documents] == [
        (16, 21, "GPE"),
        (16, 21, "LOC"),
        (16, 21, "GPE"),
    ]


def test_select_gold_counts_tasks_left_out_by_reason(news_schema: Schema) -> None:
    """No annotation, only drafts, only cancelled: counted by reason; the first two kept for silver."""
    base = conflicting_task()
    bare = {**copy.deepcopy(base), "id": 8, "annotations": []}
    drafted = {**copy.deepcopy(base), "id": 9, "annotations": [], "drafts": [{"id": 1, "result": [KABUL]}]}
    skipped = {**copy.deepcopy(base), "id": 10, "annotations": base["annotations"][3:]}
    selection = select_gold([base, bare, drafted, skipped], news_schema)
    assert len(selection.documents) == 1
    assert selection.left_out == Counter({"no annotation": 1, "only drafts": 1, "only cancelled": 1})
    assert [t["id"] for t in selection.unannotated_tasks] == [8, 9]


def test_select_gold_keeps_no_unannotated_tasks_when_asked(news_schema: Schema) -> None:
    """keep_unannotated=False still counts the unannotated tasks but does not hold them."""
    base = conflicting_task()
    bare = {**copy.deepcopy(base), "id": 8, "annotations": []}
    selection = select_gold([base, bare], news_schema, keep_unannotated=False)
    assert len(selection.documents) == 1
    assert selection.left_out == Counter({"no annotation": 1})
    assert selection.unannotated_tasks == []


def test_select_gold_names_the_annotation_of_a_problem(news_schema: Schema) -> None:
    """A bad region is listed with its task, region and annotation; the rest of the gold is kept."""
    task = conflicting_task()
    task["annotations"][0]["result"].append(region("c-bad", "entity", 16, 21, "CITY"))
    selection = select_gold([task], news_schema)
    [problem] = selection.problems
    assert (problem.task_id, problem.doc_id, problem.region_id) == (7, "doc1", "c-bad")
    assert problem.what == "annotation 3 by annotator 3: label 'CITY' is not in the schema's entity labels"
    assert len(selection.documents[0].entities) == 3


def test_select_gold_takes_model_version_from_the_parent_prediction(news_schema: Schema) -> None:
    """Two runs predicted the same region ids: the parent prediction names the version, else the newest."""
    task = conflicting_task()
    newer = {"id": 101, "model_version": "m@2", "created_at": "2026-11-24T06:30:00Z", "result": PREDICTED}
    task["predictions"].append(newer)
    task["annotations"] = [annotation(5, 5, PREDICTED, "08:00", "10:00")]
    [document] = select_gold([task], news_schema).documents
    assert {s.model_version for s in document.entities} == {"m@2"}
    task["annotations"][0]["parent_prediction"] = 100
    [document] = select_gold([task], news_schema).documents
    assert {(s.origin, s.model_version) for s in document.entities} == {("prediction", "m@1")}


def test_annotator_id_is_the_user_id_never_the_email() -> None:
    """completed_by 3 → '3'; a user object → its id; known only by email → a stable pseudonym."""
    assert annotator_id({"completed_by": 3}) == "3"
    assert annotator_id({"completed_by": {"id": 3, "email": "ann@example.org"}}) == "3"
    pseudonym = annotator_id({"completed_by": {"email": "ann@example.org"}})
    assert pseudonym.startswith("user-") and "ann" not in pseudonym
    assert pseudonym == annotator_id({"completed_by": {"email": "ann@example.org"}})


def test_select_gold_rejects_an_unknown_policy(news_schema: Schema) -> None:
    """An unknown policy is an ExportError listing the policies."""
    assert POLICIES == ("latest", "majority", "per-annotator")
    with pytest.raises(ExportError, match="use one of latest, majority, per-annotator"):
        select_gold([], news_schema, "newest")


def test_silver_documents_take_the_newest_prediction(news_schema: Schema) -> None:
    """Silver: each task's newest prediction (or the version asked for); tasks without one are skipped."""
    task = conflicting_task()
    newer = {"id": 101, "model_version": "m@2", "created_at": "2026-11-24T06:30:00Z", "result": [KABUL]}
    task["predictions"].append(newer)
    bare = {**conflicting_task(), "predictions": []}
    [document] = silver_documents([task, bare], news_schema)
    assert document.model_version == "m@2"
    assert [(s.text, s.origin, s.model_version, s.annotator) for s in document.entities] == [
        ("Kabul", "prediction", "m@2", None)
    ]
    [pinned] = silver_documents([task], news_schema, model_version="m@1")
    assert entity_keys(pinned) == [(0, 6, "PERSON"), (16, 21, "GPE")]


def test_silver_documents_list_or_raise_unreadable_predictions(news_schema: Schema) -> None:
    """A bad predicted span goes to the problems list given, else raises ExportError."""
    task = conflicting_task()
    task["predictions"][0]["result"] = [*PREDICTED, region("p-bad", "entity", 16, 21, "CITY")]
    problems: list[Any] = []
    [document] = silver_documents([task], news_schema, problems=problems)
    assert [p.region_id for p in problems] == ["p-bad"]
    assert all(isinstance(s, Span) for s in document.entities) and len(document.entities) == 2
    with pytest.raises(ExportError, match="1 predicted spans cannot be read"):
        silver_documents([task], news_schema)
