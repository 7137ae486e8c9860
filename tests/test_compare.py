"""Tests of annotate.quality.compare: expected values are worked out by hand in the comments."""

from __future__ import annotations

import pytest

from annotate.document import Argument, Article, Document, Event, Origin, Span
from annotate.quality.compare import (
    NONE,
    Accepted,
    SpanOutcome,
    accepted_unchanged,
    compare,
    compare_by_model_version,
    compare_layer,
    confusion_matrix,
    overlap_pairs,
)
from annotate.quality.metrics import PRF


def _span(span_id: str, start: int, end: int, label: str, origin: Origin | None = None) -> Span:
    return Span(id=span_id, start=start, end=end, label=label, text="x" * (end - start), origin=origin)


def _doc(
    doc_id: str,
    entities: list[Span] | None = None,
    events: list[Event] | None = None,
    model_version: str | None = None,
) -> Document:
    article = Article(id=doc_id, text="x" * 100)
    return Document(
        article=article, entities=entities or [], events=events or [], model_version=model_version
    )


def _event(event_id: str, event_type: str, start: int, end: int, *args: tuple[str, str]) -> Event:
    trigger = _span(event_id, start, end, event_type)
    arguments = [Argument(role=role, span_id=span_id) for role, span_id in args]
    return Event(id=event_id, type=event_type, trigger=trigger, arguments=arguments)


def _outcome_pair() -> tuple[Document, Document]:
    # gold PER 0-5 / pred PER 0-5: exact; gold ORG 10-15 / pred ORG 10-17: boundary;
    # gold PER 20-25 / pred ORG 20-25: type; gold LOC 30-35 / pred PER 32-38: boundary_type;
    # gold ORG 40-45 alone: missed; pred LOC 50-55 alone: spurious.
    gold = _doc(
        "d1",
        [
            _span("g1", 0, 5, "PER"),
            _span("g2", 10, 15, "ORG"),
            _span("g3", 20, 25, "PER"),
            _span("g4", 30, 35, "LOC"),
            _span("g5", 40, 45, "ORG"),
        ],
    )
    pred = _doc(
        "d1",
        [
            _span("p1", 0, 5, "PER"),
            _span("p2", 10, 17, "ORG"),
            _span("p3", 20, 25, "ORG"),
            _span("p4", 32, 38, "PER"),
            _span("p6", 50, 55, "LOC"),
        ],
    )
    return pred, gold


def _events_pair() -> tuple[Document, Document]:
    # Gold: entities A 0-5, B 10-15, C 20-25; Life:Die 30-36 (Agent A, Victim B, Place C) and
    # Conflict:Attack 40-46 (Attacker A, Target B). Prediction: same entities under other ids;
    # Life:Die with Agent/Victim swapped and Place right; Life:Injure at 40-46 with Agent A.
    entities = [_span("A", 0, 5, "PERSON"), _span("B", 10, 15, "PERSON"), _span("C", 20, 25, "GPE")]
    die = _event("E1", "Life:Die", 30, 36, ("Agent", "A"), ("Victim", "B"), ("Place", "C"))
    attack = _event("E2", "Conflict:Attack", 40, 46, ("Attacker", "A"), ("Target", "B"))
    gold = _doc("d1", entities, [die, attack])
    pred_entities = [_span("p1", 0, 5, "PERSON"), _span("p2", 10, 15, "PERSON"), _span("p3", 20, 25, "GPE")]
    pred_die = _event("P1", "Life:Die", 30, 36, ("Victim", "p1"), ("Agent", "p2"), ("Place", "p3"))
    injure = _event("P2", "Life:Injure", 40, 46, ("Agent", "p1"))
    return _doc("d1", pred_entities, [pred_die, injure]), gold


def test_compare_layer_classifies_each_outcome_kind() -> None:
    """Each of the six outcome kinds is counted once, under the gold label (spurious: predicted)."""
    pred, gold = _outcome_pair()
    outcomes = compare_layer([pred], [gold], "entity")
    assert outcomes["PER"] == SpanOutcome(exact=1, type=1)
    assert outcomes["ORG"] == SpanOutcome(boundary=1, missed=1)
    assert outcomes["LOC"] == SpanOutcome(boundary_type=1, spurious=1)
    assert outcomes["ALL"] == SpanOutcome(1, 1, 1, 1, 1, 1)


def test_compare_layer_prefers_exact_over_type() -> None:
    """Gold PER 0-5 and ORG 0-5 with one predicted ORG 0-5: the ORG is exact, the PER missed."""
    # In list order PER would grab the prediction as a type confusion; exact-first avoids that.
    gold = _doc("d1", [_span("g1", 0, 5, "PER"), _span("g2", 0, 5, "ORG")])
    pred = _doc("d1", [_span("p1", 0, 5, "ORG")])
    outcomes = compare_layer([pred], [gold], "entity")
    assert outcomes["ORG"] == SpanOutcome(exact=1)
    assert outcomes["PER"] == SpanOutcome(missed=1)


def test_compare_layer_overlap_takes_largest_overlap() -> None:
    """Gold 0-10 overlaps pred 0-3 by 3 and pred 2-10 by 8: it pairs with 2-10, 0-3 is spurious."""
    gold = _doc("d1", [_span("g", 0, 10, "PER")])
    pred = _doc("d1", [_span("p1", 0, 3, "PER"), _span("p2", 2, 10, "PER")])
    assert compare_layer([pred], [gold], "entity")["PER"] == SpanOutcome(boundary=1, spurious=1)
    assert overlap_pairs([(0, 10)], [(0, 3), (2, 10)]) == [(0, 1)]


def test_compare_layer_triggers_and_missing_prediction() -> None:
    """Trigger labels are event types; a gold document without prediction is entirely missed."""
    # d1: Die exact, Attack at the Injure offsets is a type confusion; d2 (no prediction): missed.
    pred, gold = _events_pair()
    other = _doc("d2", events=[_event("E3", "Life:Die", 0, 4)])
    outcomes = compare_layer([pred], [gold, other], "trigger")
    assert outcomes["Life:Die"] == SpanOutcome(exact=1, missed=1)
    assert outcomes["Conflict:Attack"] == SpanOutcome(type=1)
    assert outcomes["ALL"] == SpanOutcome(exact=1, type=1, missed=1)


def test_confusion_matrix_entries() -> None:
    """Cells count (pred, gold) on identical offsets; the rest go to ∅ rows and columns."""
    # Same offsets: p1/g1 (PER, PER), p3/g3 (ORG, PER). Gold without same-offset prediction:
    # g2 ORG, g4 LOC, g5 ORG -> (∅, ORG) 2, (∅, LOC) 1. Predictions left: p2 ORG, p4 PER, p6 LOC.
    pred, gold = _outcome_pair()
    assert confusion_matrix([pred], [gold], "entity") == {
        ("PER", "PER"): 1,
        ("ORG", "PER"): 1,
        (NONE, "ORG"): 2,
        (NONE, "LOC"): 1,
        ("ORG", NONE): 1,
        ("PER", NONE): 1,
        ("LOC", NONE): 1,
    }


def test_accepted_unchanged_shares() -> None:
    """Only origin == "prediction" counts as accepted; X- entities are ignored."""
    # Entities: PER 1 of 2, ORG 1 of 2 -> entity:ALL 2 of 4; triggers: Die 1 of 1, Attack 0 of 1
    # (no origin) -> trigger:ALL 1 of 2; ALL 3 of 6 = 0.5.
    entities = [
        _span("a", 0, 5, "PER", "prediction"),
        _span("b", 10, 15, "PER", "edited"),
        _span("c", 20, 25, "ORG", "prediction"),
        _span("d", 30, 35, "ORG", "manual"),
        _span("e", 40, 45, "X-Time", "prediction"),
    ]
    die, attack = _event("E1", "Life:Die", 50, 55), _event("E2", "Conflict:Attack", 60, 65)
    die.trigger.origin = "prediction"
    shares = accepted_unchanged([_doc("d1", entities, [die, attack])])
    assert shares == {
        "entity": {"ORG": Accepted(1, 2), "PER": Accepted(1, 2), "ALL": Accepted(2, 4)},
        "trigger": {"Conflict:Attack": Accepted(0, 1), "Life:Die": Accepted(1, 1), "ALL": Accepted(1, 2)},
    }
    overall = shares["entity"]["ALL"] + shares["trigger"]["ALL"]
    assert (overall, overall.share) == (Accepted(3, 6), 0.5)
    assert Accepted().share == 0.0


def test_compare_argument_roles_and_event_types() -> None:
    """Per-role argument classification sums to the overall figure; per-type measures are restricted."""
    # Argument keys (type, offsets, role). Gold: Die A Agent, Die B Victim, Die C Place,
    # Attack A Attacker, Attack B Target. Pred: Die A Victim, Die B Agent, Die C Place, Injure A Agent.
    # Agent: tp 0, fp 2 (Die B, Injure A), fn 1; Victim: fp 1, fn 1; Place: tp 1;
    # Attacker, Target: fn 1 each. Sum: tp 1, fp 3, fn 4 = argument_classification.
    pred, gold = _events_pair()
    result = compare([pred], [gold])
    roles = result["argument_roles"]
    assert roles == {
        "Agent": PRF(0, 2, 1),
        "Attacker": PRF(0, 0, 1),
        "Place": PRF(1, 0, 0),
        "Target": PRF(0, 0, 1),
        "Victim": PRF(0, 1, 1),
    }
    assert sum(roles.values(), PRF()) == result["events"]["argument_classification"] == PRF(1, 3, 4)
    # Life:Die: trigger right; arguments A, B, C identified (3/3), only Place classified right.
    die = result["event_types"]["Life:Die"]
    assert die["trigger_classification"] == PRF(1, 0, 0)
    assert die["argument_identification"] == PRF(3, 0, 0)
    assert die["argument_classification"] == PRF(1, 2, 2)
    # Conflict:Attack alone: the gold trigger and its 2 arguments are missed; Injure is all spurious.
    assert result["event_types"]["Conflict:Attack"]["trigger_identification"] == PRF(0, 0, 1)
    assert result["event_types"]["Conflict:Attack"]["argument_identification"] == PRF(0, 0, 2)
    assert result["event_types"]["Life:Injure"]["trigger_classification"] == PRF(0, 1, 0)
    assert result["entities"]["ALL"] == PRF(3, 0, 0)
    assert result["outcomes"]["trigger"]["Conflict:Attack"] == SpanOutcome(type=1)
    assert result["confusion"]["trigger"] == {
        ("Life:Die", "Life:Die"): 1,
        ("Life:Injure", "Conflict:Attack"): 1,
    }


def test_compare_by_model_version_splits_predictions() -> None:
    """Each version is scored on its own documents; span versions and "unknown" are fallbacks."""
    # d1 (v1): 1 of 1 entity right; d2 (span version v2): 0 of 1; d3 (no version): 1 of 1.
    gold = [_doc(d, [_span("g", 0, 5, "PER")]) for d in ("d1", "d2", "d3")]
    v2_span = _span("p", 0, 4, "PER")
    v2_span.model_version = "v2"
    pred = [
        _doc("d1", [_span("p", 0, 5, "PER")], model_version="v1"),
        _doc("d2", [v2_span]),
        _doc("d3", [_span("p", 0, 5, "PER")]),
    ]
    by_version = compare_by_model_version(pred, gold)
    assert sorted(by_version) == ["unknown", "v1", "v2"]
    assert by_version["v1"]["entities"]["ALL"] == PRF(1, 0, 0)
    assert by_version["v2"]["entities"]["ALL"] == PRF(0, 1, 1)
    assert by_version["v2"]["outcomes"]["entity"]["PER"] == SpanOutcome(boundary=1)
    assert by_version["unknown"]["entities"]["ALL"] == PRF(1, 0, 0)


def test_compare_by_model_version_same_article_twice() -> None:
    """Two versions predicting the same article are scored separately instead of clashing."""
    # v1 predicts PER 0-5 (right: tp 1), v2 predicts ORG 0-5 (wrong label: fp 1, fn 1).
    gold = [_doc("d1", [_span("g", 0, 5, "PER")])]
    pred = [
        _doc("d1", [_span("p", 0, 5, "PER")], model_version="v1"),
        _doc("d1", [_span("p", 0, 5, "ORG")], model_version="v2"),
    ]
    by_version = compare_by_model_version(pred, gold)
    assert by_version["v1"]["entities"]["ALL"] == PRF(1, 0, 0)
    assert by_version["v2"]["entities"]["ALL"] == PRF(0, 1, 1)
    assert by_version["v2"]["confusion"]["entity"] == {("ORG", "PER"): 1}


def test_span_outcome_add_sums_fields() -> None:
    """Adding outcomes sums every count."""
    assert SpanOutcome(1, 2, 3, 4, 5, 6) + SpanOutcome(6, 5, 4, 3, 2, 1) == SpanOutcome(7, 7, 7, 7, 7, 7)
    assert pytest.approx(Accepted(1, 4).share) == 0.25
