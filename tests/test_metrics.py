"""Tests of annotate.quality.metrics: expected values are worked out by hand in the comments."""

from __future__ import annotations

import pytest

from annotate.document import Argument, Article, Document, Event, Span
from annotate.errors import EvaluationError
from annotate.quality.metrics import PRF, score_entities, score_events, trigger_precision

LOC_LIKE = [("GPE", "LOC", "FAC")]


def _span(span_id: str, start: int, end: int, label: str) -> Span:
    return Span(id=span_id, start=start, end=end, label=label, text="x" * (end - start))


def _doc(doc_id: str, entities: list[Span] | None = None, events: list[Event] | None = None) -> Document:
    return Document(article=Article(id=doc_id, text="x" * 100), entities=entities or [], events=events or [])


def _event(event_id: str, event_type: str, start: int, end: int, *args: tuple[str, str]) -> Event:
    trigger = _span(event_id, start, end, event_type)
    arguments = [Argument(role=role, span_id=span_id) for role, span_id in args]
    return Event(id=event_id, type=event_type, trigger=trigger, arguments=arguments)


def _gold_events() -> Document:
    # Entities A 0-5, B 10-15, C 20-25; Life:Die at 30-36 (Agent A, Victim B, Place C) and
    # Conflict:Attack at 40-46 (Attacker A, Target B): 2 triggers, 5 arguments.
    entities = [_span("A", 0, 5, "PERSON"), _span("B", 10, 15, "PERSON"), _span("C", 20, 25, "GPE")]
    die = _event("E1", "Life:Die", 30, 36, ("Agent", "A"), ("Victim", "B"), ("Place", "C"))
    attack = _event("E2", "Conflict:Attack", 40, 46, ("Attacker", "A"), ("Target", "B"))
    return _doc("d1", entities, [die, attack])


def _predicted_events() -> Document:
    # Same offsets under other span ids; Life:Die with A and B in swapped roles and C right;
    # Life:Injure (wrong type) at the Attack trigger with Agent A.
    entities = [_span("p1", 0, 5, "PERSON"), _span("p2", 10, 15, "PERSON"), _span("p3", 20, 25, "GPE")]
    die = _event("P1", "Life:Die", 30, 36, ("Victim", "p1"), ("Agent", "p2"), ("Place", "p3"))
    injure = _event("P2", "Life:Injure", 40, 46, ("Agent", "p1"))
    return _doc("d1", entities, [die, injure])


def test_prf_scores_from_counts() -> None:
    """1 right of 2 predicted and 3 gold gives P=0.5, R=1/3, F1=0.4."""
    prf = PRF(tp=1, fp=1, fn=2)
    assert (prf.precision, prf.recall, prf.f1) == pytest.approx((0.5, 1 / 3, 0.4))


def test_prf_undefined_scores_are_zero() -> None:
    """Empty counts and no true positives give 0.0 rather than a division error."""
    assert (PRF().precision, PRF().recall, PRF().f1) == (0.0, 0.0, 0.0)
    assert PRF(tp=0, fp=3, fn=0).f1 == 0.0


def test_prf_add_sums_counts() -> None:
    """Adding two PRFs sums tp, fp and fn (micro averaging)."""
    assert PRF(1, 2, 3) + PRF(4, 5, 6) == PRF(5, 7, 9)


def test_score_entities_micro_and_per_label() -> None:
    """3 gold spans, 2 predicted, 1 right: ALL is P=0.5, R=1/3, F1=0.4; per label counts split."""
    gold = _doc("d1", [_span("g1", 0, 5, "PERSON"), _span("g2", 10, 15, "ORG"), _span("g3", 20, 25, "GPE")])
    pred = _doc("d1", [_span("p1", 0, 5, "PERSON"), _span("p2", 10, 14, "ORG")])
    scores = score_entities([pred], [gold])
    assert scores["ALL"] == PRF(tp=1, fp=1, fn=2)
    assert scores["ALL"].f1 == pytest.approx(0.4)
    assert scores["PERSON"] == PRF(1, 0, 0)
    assert scores["ORG"] == PRF(0, 1, 1)
    assert scores["GPE"] == PRF(0, 0, 1)


def test_score_entities_span_ignores_label() -> None:
    """Right offsets with a wrong label count for SPAN but not for ALL."""
    gold, pred = _doc("d1", [_span("g", 0, 5, "PERSON")]), _doc("d1", [_span("p", 0, 5, "ORG")])
    scores = score_entities([pred], [gold])
    assert scores["SPAN"] == PRF(1, 0, 0)
    assert scores["ALL"] == PRF(0, 1, 1)


def test_score_entities_equivalent_group_matches_across_labels() -> None:
    """A predicted GPE matches a gold LOC when both are in one equivalent group."""
    gold, pred = [_doc("d1", [_span("g", 0, 5, "LOC")])], [_doc("d1", [_span("p", 0, 5, "GPE")])]
    grouped = score_entities(pred, gold, equivalent=LOC_LIKE)
    assert grouped["ALL"] == PRF(1, 0, 0)
    assert grouped["GPE/LOC/FAC"] == PRF(1, 0, 0)
    assert score_entities(pred, gold)["ALL"] == PRF(0, 1, 1)


def test_score_entities_labels_filter_both_sides() -> None:
    """Labels outside ``labels`` (or their group) are ignored in gold and predictions alike."""
    gold = _doc(
        "d1", [_span("g1", 0, 5, "PERSON"), _span("g2", 10, 15, "PRODUCT"), _span("g3", 20, 25, "LOC")]
    )
    pred = _doc("d1", [_span("p1", 0, 5, "PERSON"), _span("p2", 30, 35, "DATE"), _span("p3", 20, 25, "GPE")])
    scores = score_entities([pred], [gold], labels={"PERSON", "LOC", "ORG"}, equivalent=LOC_LIKE)
    assert scores["ALL"] == PRF(2, 0, 0)
    assert scores["ORG"] == PRF(0, 0, 0)
    assert "PRODUCT" not in scores
    assert "DATE" not in scores


def test_score_entities_ignores_unmapped_x_labels() -> None:
    """Gold spans labelled X-<type> (argument fillers only) are neither missed nor matched."""
    gold = _doc("d1", [_span("g1", 0, 5, "PERSON"), _span("g2", 10, 15, "X-VAL")])
    pred = _doc("d1", [_span("p1", 0, 5, "PERSON")])
    assert score_entities([pred], [gold])["ALL"] == PRF(1, 0, 0)


def test_score_entities_missing_prediction_counts_as_missed() -> None:
    """A gold document without prediction is all missed; a prediction without gold is ignored."""
    gold = [_doc("d1", [_span("g1", 0, 5, "PERSON"), _span("g2", 10, 15, "ORG")])]
    pred = [_doc("other", [_span("p1", 0, 5, "PERSON")])]
    assert score_entities(pred, gold)["ALL"] == PRF(0, 0, 2)


def test_score_entities_matches_one_to_one() -> None:
    """Predicting the same gold span twice gives one true and one false positive."""
    gold = _doc("d1", [_span("g1", 0, 5, "PERSON")])
    pred = _doc("d1", [_span("p1", 0, 5, "PERSON"), _span("p2", 0, 5, "PERSON")])
    assert score_entities([pred], [gold])["ALL"] == PRF(1, 1, 0)


def test_score_entities_repeated_document_id_raises() -> None:
    """Two gold documents with one article id are an EvaluationError."""
    with pytest.raises(EvaluationError, match="d1"):
        score_entities([], [_doc("d1"), _doc("d1")])


def test_score_events_trigger_identification_vs_classification() -> None:
    """Both triggers are found (P=R=1) but one has the wrong type (P=R=F1=0.5)."""
    scores = score_events([_predicted_events()], [_gold_events()])
    assert scores["trigger_identification"] == PRF(2, 0, 0)
    assert scores["trigger_classification"] == PRF(1, 1, 1)
    assert scores["trigger_classification"].f1 == pytest.approx(0.5)


def test_score_events_argument_identification_vs_classification() -> None:
    """Swapped roles still identify arguments: identification 3/4, 3/5; classification 1/4, 1/5."""
    scores = score_events([_predicted_events()], [_gold_events()])
    # Predicted (type, offsets): Die A, Die B, Die C, Injure A; gold: Die A, B, C, Attack A, B.
    identification = scores["argument_identification"]
    assert identification == PRF(3, 1, 2)
    assert (identification.precision, identification.recall, identification.f1) == pytest.approx(
        (3 / 4, 3 / 5, 2 / 3)
    )
    # Only Die Place C keeps its role.
    classification = scores["argument_classification"]
    assert classification == PRF(1, 3, 4)
    assert classification.f1 == pytest.approx(2 / 9)


def test_score_events_per_type_trigger_entries() -> None:
    """Every type seen on either side gets a ``trigger:<type>`` classification entry."""
    scores = score_events([_predicted_events()], [_gold_events()])
    assert scores["trigger:Life:Die"] == PRF(1, 0, 0)
    assert scores["trigger:Life:Injure"] == PRF(0, 1, 0)
    assert scores["trigger:Conflict:Attack"] == PRF(0, 0, 1)


def test_score_events_type_filter_ignores_other_types() -> None:
    """With event_types={'Life:Die'} Injure and Attack vanish from both sides."""
    scores = score_events([_predicted_events()], [_gold_events()], event_types={"Life:Die"})
    assert scores["trigger_identification"] == PRF(1, 0, 0)
    assert scores["trigger_classification"] == PRF(1, 0, 0)
    assert scores["argument_identification"] == PRF(3, 0, 0)
    assert scores["argument_classification"] == PRF(1, 2, 2)
    assert [key for key in scores if key.startswith("trigger:")] == ["trigger:Life:Die"]


def test_score_events_missing_argument_span_raises() -> None:
    """An argument pointing to a span id the document lacks is an EvaluationError."""
    pred = _doc("d1", [], [_event("P1", "Life:Die", 30, 36, ("Victim", "nope"))])
    with pytest.raises(EvaluationError, match="nope"):
        score_events([pred], [_gold_events()])


def test_trigger_precision_counts_overlaps_of_any_type() -> None:
    """Overlaps count (end exclusive): 2 of 3 predictions hit, 1 of 3 gold triggers unmatched."""
    gold = _doc("d1", [], [_event(f"g{i}", "EVENT", s, s + 5) for i, s in enumerate((0, 10, 20))])
    pred = _doc("d1", [], [_event("p1", "A", 2, 4), _event("p2", "X", 12, 20), _event("p3", "Y", 15, 20)])
    prf = trigger_precision([pred], [gold])
    assert prf == PRF(tp=2, fp=1, fn=1)
    assert prf.precision == pytest.approx(2 / 3)
