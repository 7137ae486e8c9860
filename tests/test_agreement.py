"""Tests of annotate.quality.agreement: expected values are worked out by hand in the comments."""

from __future__ import annotations

import pytest

from annotate.document import Argument, Article, Document, Event, Span
from annotate.errors import EvaluationError
from annotate.quality.agreement import (
    argument_agreement,
    cohens_kappa,
    krippendorff_alpha,
    pairwise_span_f1,
    per_annotator,
    simple_tokens,
    token_agreement,
    token_labels,
)
from annotate.quality.metrics import PRF
from annotate.quality.throughput import throughput

TEXT = "John Smith visited Paris ."


def _span(span_id: str, start: int, end: int, label: str) -> Span:
    return Span(id=span_id, start=start, end=end, label=label, text="x" * (end - start))


def _doc(doc_id: str, entities: list[Span] | None = None, events: list[Event] | None = None) -> Document:
    return Document(article=Article(id=doc_id, text="x" * 100), entities=entities or [], events=events or [])


def _event(event_id: str, event_type: str, start: int, end: int, *args: tuple[str, str]) -> Event:
    arguments = [Argument(role=role, span_id=span_id) for role, span_id in args]
    return Event(
        id=event_id, type=event_type, trigger=_span(event_id, start, end, event_type), arguments=arguments
    )


def _three_annotators() -> dict[str, dict[str, Document]]:
    # t1: A PER 0-5, ORG 10-15; B PER 0-5, ORG 10-14; C PER 0-4, LOC 10-15. t2: only A.
    return {
        "t1": {
            "A": _doc("t1", [_span("a1", 0, 5, "PER"), _span("a2", 10, 15, "ORG")]),
            "B": _doc("t1", [_span("b1", 0, 5, "PER"), _span("b2", 10, 14, "ORG")]),
            "C": _doc("t1", [_span("c1", 0, 4, "PER"), _span("c2", 10, 15, "LOC")]),
        },
        "t2": {"A": _doc("t2", [_span("a3", 0, 5, "PER")])},
    }


def test_cohens_kappa_wikipedia_example() -> None:
    """20 yes-yes, 5 yes-no, 10 no-yes, 15 no-no: po = 0.7, pe = 0.5, kappa = 0.4."""
    # po = (20 + 15) / 50 = 0.7; A says yes 25/50 = 0.5, B says yes 30/50 = 0.6;
    # pe = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohens_kappa(a, b) == pytest.approx(0.4)


def test_cohens_kappa_degenerate_and_chance_cases() -> None:
    """One shared label throughout gives 1.0; agreement at chance level gives 0.0."""
    # ["O"] * 4 twice: pe = 1, po = 1 -> defined as 1.0.
    assert cohens_kappa(["O"] * 4, ["O"] * 4) == 1.0
    # x x y y vs x y x y: po = 2/4 = 0.5, pe = 0.5 * 0.5 + 0.5 * 0.5 = 0.5 -> 0.0.
    assert cohens_kappa(["x", "x", "y", "y"], ["x", "y", "x", "y"]) == 0.0
    # Perfect agreement on two labels: po = 1, pe = 0.5 -> 1.0.
    assert cohens_kappa(["x", "y"], ["x", "y"]) == 1.0


def test_cohens_kappa_rejects_unequal_or_empty() -> None:
    """Label lists of different lengths, or empty ones, raise EvaluationError."""
    with pytest.raises(EvaluationError):
        cohens_kappa(["x"], ["x", "y"])
    with pytest.raises(EvaluationError):
        cohens_kappa([], [])


def test_krippendorff_alpha_paper_nominal_example() -> None:
    """Krippendorff (2011), 4 coders x 12 units with missing values: nominal alpha = 0.743."""
    # Pairable values per unit (unit 12 has only B's 3 and is skipped): n = 3+4*8+3+2 = 40.
    # Disagreeing units, (m^2 - sum of squared value counts) / (m - 1): unit 2 {2,2,3,2}:
    # (16-10)/3 = 2; unit 6 {1,2,3,4}: (16-4)/3 = 4; unit 8 {1,1,2,1}: (16-10)/3 = 2 -> Do sum 8.
    # Marginals n_1=9, n_2=13, n_3=10, n_4=5, n_5=3: De sum = 40^2 - (81+169+100+25+9) = 1216.
    # alpha = 1 - (40-1) * 8 / 1216 = 1 - 312/1216 = 0.74342.
    coders = [
        ["1", "2", "3", "3", "2", "1", "4", "1", "2", None, None, None],  # A
        ["1", "2", "3", "3", "2", "2", "4", "1", "2", "5", None, "3"],  # B
        [None, "3", "3", "3", "2", "3", "4", "2", "2", "5", "1", None],  # C
        ["1", "2", "3", "3", "2", "4", "4", "1", "2", "5", "1", None],  # D
    ]
    units = [list(unit) for unit in zip(*coders, strict=True)]
    alpha = krippendorff_alpha(units)
    assert alpha == pytest.approx(1 - 312 / 1216)
    assert round(alpha, 3) == 0.743


def test_krippendorff_alpha_paper_binary_example() -> None:
    """Krippendorff (2011), two coders, binary, 10 units, no missing data: alpha = 0.095."""
    # Coincidences o_00 = 10, o_01 = o_10 = 4, o_11 = 2 (units 1, 3, 6, 9 disagree); n_0 = 14,
    # n_1 = 6, n = 20; alpha = 1 - (20-1) * (4+4) / (20^2 - 14^2 - 6^2) = 1 - 152/168 = 0.0952.
    first = ["0", "1", "0", "0", "0", "0", "0", "0", "1", "0"]
    second = ["1", "1", "1", "0", "0", "1", "0", "0", "0", "0"]
    alpha = krippendorff_alpha([[a, b] for a, b in zip(first, second, strict=True)])
    assert alpha == pytest.approx(1 - 152 / 168)
    assert round(alpha, 3) == 0.095


def test_krippendorff_alpha_degenerate_cases() -> None:
    """One value throughout gives 1.0; lone values are skipped; nothing pairable raises."""
    # All "O": De = 0 (and Do = 0) -> defined as 1.0.
    assert krippendorff_alpha([["O", "O"], ["O", "O", None]]) == 1.0
    # {a,a}, {b,b}: Do = 0, De = 16 - 8 = 8 -> 1.0; the unit {z} alone is not pairable.
    assert krippendorff_alpha([["a", "a"], ["b", "b"], ["z", None]]) == 1.0
    with pytest.raises(EvaluationError):
        krippendorff_alpha([["a", None], ["b"]])


def test_simple_tokens_splits_words_and_punctuation() -> None:
    """Word runs and single punctuation marks are tokens; spaces are not."""
    assert simple_tokens("Hi, you.") == [(0, 2), (2, 3), (4, 7), (7, 8)]


def test_token_labels_marks_covered_tokens() -> None:
    """Tokens inside a span get its label, the others "O"."""
    # Tokens: John 0-4, Smith 5-10, visited 11-18, Paris 19-24, . 25-26.
    doc = Document(Article(id="t", text=TEXT), entities=[_span("p", 0, 10, "PER"), _span("l", 19, 24, "LOC")])
    assert token_labels(doc, "entity", simple_tokens(TEXT)) == ["PER", "PER", "O", "LOC", "O"]


def test_pairwise_span_f1_exact_vs_overlap_three_annotators() -> None:
    """Overlap forgives boundaries, never labels; t2 (one annotator) adds nothing."""
    # Pairs AB, AC, BC on t1. Exact: PER AB tp; AC and BC 0-5 vs 0-4 fp+fn each -> PRF(1, 2, 2).
    # ORG AB 10-15 vs 10-14 fp+fn; AC fn; BC fn -> PRF(0, 1, 3). LOC (C only) fp in AC, BC -> PRF(0, 2, 0).
    # ALL PRF(1, 5, 5): F1 = 1/6. Overlap: PER PRF(3, 0, 0), ORG AB tp -> PRF(1, 0, 2), LOC as
    # before; ALL PRF(4, 2, 2): F1 = 4/6.
    tasks = _three_annotators()
    exact = pairwise_span_f1(tasks, "entity", "exact")
    assert exact == {"LOC": PRF(0, 2, 0), "ORG": PRF(0, 1, 3), "PER": PRF(1, 2, 2), "ALL": PRF(1, 5, 5)}
    assert exact["ALL"].f1 == pytest.approx(1 / 6)
    overlap = pairwise_span_f1(tasks, "entity", "overlap")
    assert overlap == {"LOC": PRF(0, 2, 0), "ORG": PRF(1, 0, 2), "PER": PRF(3, 0, 0), "ALL": PRF(4, 2, 2)}
    assert overlap["ALL"].f1 == pytest.approx(2 / 3)


def test_pairwise_span_f1_direction_does_not_matter() -> None:
    """Renaming annotators so that gold and prediction swap changes fp/fn but not F1."""
    # Renaming A to Z makes Z the "prediction" in each of its pairs: fp and fn swap.
    tasks = _three_annotators()
    renamed = {
        task: {("Z" if k == "A" else k): doc for k, doc in docs.items()} for task, docs in tasks.items()
    }
    assert pairwise_span_f1(renamed, "entity")["ALL"].f1 == pytest.approx(1 / 6)


def test_token_agreement_three_annotators() -> None:
    """Kappa is the mean of pairwise kappas; alpha treats each token as a unit."""
    # Tokens John Smith visited Paris . -- A = C: PER PER O LOC O; B: PER O O LOC O.
    # kappa(A, B): po = 4/5; pe = (PER 2*1 + O 2*3 + LOC 1*1) / 25 = 9/25 -> (20-9)/(25-9) = 11/16.
    # kappa(A, C) = 1, kappa(B, C) = 11/16 -> mean (11/16 + 1 + 11/16) / 3 = 19/24.
    # alpha: Smith {PER, O, PER} gives Do sum (9-5)/2 = 2; n = 15, marginals PER 5, O 7, LOC 3:
    # De sum = 225 - (25+49+9) = 142; alpha = 1 - 14*2/142 = 57/71.
    article = Article(id="t1", text=TEXT)
    full = [_span("p", 0, 10, "PER"), _span("l", 19, 24, "LOC")]
    short = [_span("p", 0, 4, "PER"), _span("l", 19, 24, "LOC")]
    tasks = {
        "t1": {"A": Document(article, full), "B": Document(article, short), "C": Document(article, full)},
        "t2": {"A": Document(Article(id="t2", text="Alone here ."), [_span("x", 0, 5, "PER")])},
    }
    result = token_agreement(tasks, "entity")
    assert result["kappa"] == pytest.approx(19 / 24)
    assert result["alpha"] == pytest.approx(57 / 71)


def test_token_agreement_rejects_bad_input() -> None:
    """Different texts within a task, or no task with two annotators, raise EvaluationError."""
    mismatched = {"t1": {"A": Document(Article("t1", "a b")), "B": Document(Article("t1", "a c"))}}
    with pytest.raises(EvaluationError, match="different texts"):
        token_agreement(mismatched, "entity")
    with pytest.raises(EvaluationError, match="two annotators"):
        token_agreement({"t1": {"A": Document(Article("t1", "a b"))}}, "entity")


def test_argument_agreement_conditional_on_trigger_match() -> None:
    """Only the Die trigger both marked counts; arguments of unshared triggers are ignored."""
    # Both: entities 0-5 and 10-15 (different ids). ann: Die 20-25 (Victim 0-5, Place 10-15),
    # Attack 30-36 (Attacker 0-5). bob: Die 20-25 (Victim 0-5, Agent 10-15), Injure 30-36
    # (Attacker 0-5; same offsets but another type) and Attack 40-46 (Attacker 0-5; other offsets).
    # Die only: Victim tp; Place fn; Agent fp -> ALL PRF(1, 1, 1), F1 = 0.5; no Attacker entry.
    ann = _doc(
        "t1",
        [_span("a1", 0, 5, "PER"), _span("a2", 10, 15, "LOC")],
        [
            _event("E1", "Life:Die", 20, 25, ("Victim", "a1"), ("Place", "a2")),
            _event("E2", "Conflict:Attack", 30, 36, ("Attacker", "a1")),
        ],
    )
    bob = _doc(
        "t1",
        [_span("b1", 0, 5, "PER"), _span("b2", 10, 15, "PER")],
        [
            _event("F1", "Life:Die", 20, 25, ("Victim", "b1"), ("Agent", "b2")),
            _event("F2", "Life:Injure", 30, 36, ("Attacker", "b1")),
            _event("F3", "Conflict:Attack", 40, 46, ("Attacker", "b1")),
        ],
    )
    scores = argument_agreement({"t1": {"ann": ann, "bob": bob}})
    assert scores == {
        "Agent": PRF(0, 1, 0),
        "Place": PRF(0, 0, 1),
        "Victim": PRF(1, 0, 0),
        "ALL": PRF(1, 1, 1),
    }
    assert scores["ALL"].f1 == pytest.approx(0.5)


def test_argument_agreement_rejects_dangling_argument() -> None:
    """An argument pointing to a missing entity raises EvaluationError."""
    doc = _doc("t1", [], [_event("E1", "Life:Die", 20, 25, ("Victim", "nope"))])
    with pytest.raises(EvaluationError, match="nope"):
        argument_agreement({"t1": {"a": doc, "b": doc}})


def test_per_annotator_mean_f1_against_others() -> None:
    """Each annotator's mean exact F1 against the others; None when nobody shares a span."""
    # Exact ALL per pair on t1: AB PRF(1, 1, 1) F1 0.5; AC PRF(0, 2, 2) F1 0; BC PRF(0, 2, 2) F1 0.
    # A: (0.5 + 0) / 2 = 0.25 over 2 tasks; B: (0.5 + 0) / 2 = 0.25; C: 0.0. No triggers: None.
    # D annotated t3 alone: nobody to compare with, None.
    tasks = _three_annotators()
    tasks["t3"] = {"D": _doc("t3", [_span("d", 0, 5, "PER")])}
    summary = per_annotator(tasks)
    assert summary["A"] == {"tasks": 2, "entity_f1_vs_others": 0.25, "trigger_f1_vs_others": None}
    assert summary["B"]["entity_f1_vs_others"] == pytest.approx(0.25)
    assert summary["C"]["entity_f1_vs_others"] == 0.0
    assert summary["D"] == {"tasks": 1, "entity_f1_vs_others": None, "trigger_f1_vs_others": None}


def test_throughput_counts_and_median_lead_time() -> None:
    """Every annotation counts as a task; lead times of None are left out of the median."""
    # ann: 4 tasks, timed 30, 10, 20 -> median 20; cy: 10, 40 -> (10 + 40) / 2 = 25; bob: untimed.
    annotations = [("ann", 30.0), ("ann", None), ("ann", 10.0), ("ann", 20.0), ("bob", None)]
    result = throughput([*annotations, ("cy", 10.0), ("cy", 40.0)])
    assert result == {
        "ann": {"tasks": 4, "median_lead_time": 20.0},
        "bob": {"tasks": 1, "median_lead_time": None},
        "cy": {"tasks": 2, "median_lead_time": 25.0},
    }
