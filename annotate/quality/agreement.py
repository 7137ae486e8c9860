"""Inter-annotator agreement on tasks that two or more annotators annotated.

Input is ``docs_by_task``: task (document) id → annotator name → that annotator's ``Document``
(names come from the mapping, not from ``Span.annotator``). Every measure compares each pair of
annotators sharing a task (sorted names, the first playing "gold"); tasks with one annotator
contribute nothing. Spans are taken as in :mod:`annotate.quality.compare` (trigger label = event
type, ``X-`` entities ignored). Token-level measures label tokens ``O`` outside spans, so agreeing
on "no span here" counts as agreement.

Every measure is made of counts that add up task by task: ``AgreementCounts`` takes one task at a
time (a report over a whole project holds only the counts), and the functions below are that
accumulator over a mapping of tasks.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping
from itertools import combinations
from typing import Literal, TypedDict

from annotate.document import Document, Event
from annotate.errors import EvaluationError
from annotate.quality.chance import (
    OUTSIDE,
    AlphaCounts,
    KappaTable,
    cohens_kappa,
    krippendorff_alpha,
    simple_tokens,
    token_labels,
)
from annotate.quality.compare import LAYERS, Layer, layer_spans, overlap_pairs
from annotate.quality.metrics import PRF

Tasks = Mapping[str, Mapping[str, Document]]
Match = Literal["exact", "overlap"]
MATCHES: tuple[Match, ...] = ("exact", "overlap")

__all__ = [
    "OUTSIDE",
    "AgreementCounts",
    "argument_agreement",
    "cohens_kappa",
    "krippendorff_alpha",
    "pairwise_span_f1",
    "per_annotator",
    "simple_tokens",
    "token_agreement",
    "token_labels",
]


class TokenAgreement(TypedDict):
    """Chance-corrected agreement over token labels."""

    kappa: float
    alpha: float


class AnnotatorAgreement(TypedDict):
    """One annotator's share of the work and agreement with the others (``None``: nobody to compare)."""

    tasks: int
    entity_f1_vs_others: float | None
    trigger_f1_vs_others: float | None


class AgreementCounts:
    """Every agreement measure's counts, added one shared task at a time."""

    def __init__(self) -> None:
        self.tasks = 0
        self.annotator_tasks: Counter[str] = Counter()
        self.spans: dict[tuple[Layer, Match, str], PRF] = defaultdict(PRF)  # by layer, match, label
        self.pair_spans: dict[tuple[Layer, str, str], PRF] = defaultdict(PRF)  # exact, all labels
        self.kappa: dict[tuple[Layer, str, str], KappaTable] = defaultdict(KappaTable)
        self.alpha: dict[Layer, AlphaCounts] = defaultdict(AlphaCounts)
        self.arguments: Counter[tuple[str, str]] = Counter()

    def add(self, task_id: str, docs: Mapping[str, Document]) -> None:
        """Count one task: each annotator's document (a task with one annotator adds nothing).

        Raises:
            EvaluationError: the documents have different texts, or an argument points to a span
                its document lacks.
        """
        self.annotator_tasks.update(list(docs))
        if len(docs) < 2:
            return
        self.tasks += 1
        names = sorted(docs)
        tokens = _task_tokens(task_id, docs)
        for layer in LAYERS:
            labels = {name: token_labels(docs[name], layer, tokens) for name in names}
            for a, b in combinations(names, 2):
                for match in MATCHES:
                    for label, prf in _span_prf(docs[a], docs[b], layer, match).items():
                        self.spans[(layer, match, label)] += prf
                        if match == "exact":
                            self.pair_spans[(layer, a, b)] += prf
                self.kappa[(layer, a, b)].add(labels[a], labels[b])
            units = Counter(zip(*(labels[name] for name in names), strict=True))
            for unit, times in units.items():
                self.alpha[layer].add(unit, times)
        for a, b in combinations(names, 2):
            self.arguments += _argument_counts(docs[a], docs[b])

    def merge(self, other: AgreementCounts) -> None:
        """Add the counts of ``other`` (the same measures over other tasks)."""
        self.tasks += other.tasks
        self.annotator_tasks += other.annotator_tasks
        for key, prf in other.spans.items():
            self.spans[key] += prf
        for pair, prf in other.pair_spans.items():
            self.pair_spans[pair] += prf
        for pair, table in other.kappa.items():
            self.kappa[pair].cells += table.cells
        for layer, counts in other.alpha.items():
            self.alpha[layer].disagreement += counts.disagreement
            self.alpha[layer].marginals += counts.marginals
        self.arguments += other.arguments

    def span_f1(self, layer: Layer, match: Match = "exact") -> dict[str, PRF]:
        """Micro-summed span agreement per label (sorted) and ``ALL``; see ``pairwise_span_f1``."""
        labels = sorted(label for kind, how, label in self.spans if (kind, how) == (layer, match))
        scores = {label: self.spans[(layer, match, label)] for label in labels}
        scores["ALL"] = sum(scores.values(), PRF())
        return scores

    def token_agreement(self, layer: Layer) -> TokenAgreement:
        """Kappa (mean over pairs) and alpha on token labels; see ``token_agreement``.

        Raises:
            EvaluationError: no task had two annotators and some text.
        """
        tables = [
            table for (kind, _, _), table in sorted(self.kappa.items()) if kind == layer and table.cells
        ]
        if not tables:
            raise EvaluationError("no task has two annotators and some text; agreement needs both")
        return TokenAgreement(
            kappa=statistics.fmean(table.kappa() for table in tables), alpha=self.alpha[layer].alpha()
        )

    def argument_agreement(self) -> dict[str, PRF]:
        """Argument agreement per role (sorted) and ``ALL``; see ``argument_agreement``."""
        totals = self.arguments
        roles = sorted({role for role, _ in totals})
        scores = {r: PRF(totals[(r, "tp")], totals[(r, "fp")], totals[(r, "fn")]) for r in roles}
        scores["ALL"] = sum(scores.values(), PRF())
        return scores

    def per_annotator(self) -> dict[str, AnnotatorAgreement]:
        """Each annotator's tasks and mean F1 against the others; see ``per_annotator``."""
        return {
            name: AnnotatorAgreement(
                tasks=self.annotator_tasks[name],
                entity_f1_vs_others=self._mean_f1_vs_others(name, "entity"),
                trigger_f1_vs_others=self._mean_f1_vs_others(name, "trigger"),
            )
            for name in sorted(self.annotator_tasks)
        }

    def _mean_f1_vs_others(self, name: str, layer: Layer) -> float | None:
        f1s = []
        for other in sorted(self.annotator_tasks):
            a, b = sorted((name, other))
            prf = self.pair_spans.get((layer, a, b))
            if other != name and prf is not None and prf.tp + prf.fp + prf.fn:
                f1s.append(prf.f1)
        return statistics.fmean(f1s) if f1s else None


def _counted(docs_by_task: Tasks) -> AgreementCounts:
    counts = AgreementCounts()
    for task_id in sorted(docs_by_task):
        counts.add(task_id, docs_by_task[task_id])
    return counts


def pairwise_span_f1(docs_by_task: Tasks, layer: Layer, match: Match = "exact") -> dict[str, PRF]:
    """Micro-sum span agreement over every task and pair of annotators.

    For a pair (A, B) A's spans play gold and B's predictions; F1 does not depend on the
    direction. ``exact`` matches same offsets and label; ``overlap`` also matches spans with the
    same label and overlapping offsets, one to one (exact matches first, then by largest overlap).

    Returns:
        One PRF per label (sorted) and ``ALL``, their sum.
    """
    return _counted(docs_by_task).span_f1(layer, match)


def token_agreement(docs_by_task: Tasks, layer: Layer) -> TokenAgreement:
    """Chance-corrected agreement on token labels (see :func:`token_labels`).

    ``kappa`` pools each pair of annotators' tokens over the tasks they share, computes Cohen's
    kappa per pair and averages over the pairs. ``alpha`` is Krippendorff's alpha with every
    token of every task a unit and each annotator of the task a value.

    Raises:
        EvaluationError: No task has two annotators with at least one token, or a task's
            documents have different texts.
    """
    return _counted(docs_by_task).token_agreement(layer)


def argument_agreement(docs_by_task: Tasks) -> dict[str, PRF]:
    """Agreement on arguments, conditional on a trigger match.

    For each pair of annotators only events whose trigger both marked (same offsets, same type;
    repeated triggers pair in document order) count; their arguments match on role and argument
    offsets. Arguments of a trigger only one annotator marked are ignored.

    Returns:
        One PRF per role (sorted) and ``ALL``, their sum.

    Raises:
        EvaluationError: An argument points to a span its document lacks.
    """
    return _counted(docs_by_task).argument_agreement()


def per_annotator(docs_by_task: Tasks) -> dict[str, AnnotatorAgreement]:
    """Summarise each annotator: tasks annotated and mean pairwise F1 against the others.

    The F1 against one other annotator micro-sums exact span matches over the tasks both
    annotated; the mean leaves out annotators sharing no task or no span with this one, and is
    ``None`` when that leaves nobody.
    """
    return _counted(docs_by_task).per_annotator()


def _span_prf(gold: Document, pred: Document, layer: Layer, match: Match) -> dict[str, PRF]:
    """Score one pair of documents per label: exact matches first, then (``overlap``) overlaps."""
    gold_spans, pred_spans = layer_spans(gold, layer), layer_spans(pred, layer)
    scores: dict[str, PRF] = {}
    for label in {s[2] for s in gold_spans + pred_spans}:
        g = Counter(s[:2] for s in gold_spans if s[2] == label)
        p = Counter(s[:2] for s in pred_spans if s[2] == label)
        tp = sum((g & p).values())
        if match == "overlap":
            tp += len(overlap_pairs(list((g - p).elements()), list((p - g).elements())))
        scores[label] = PRF(tp, p.total() - tp, g.total() - tp)
    return scores


def _task_tokens(task_id: str, docs: Mapping[str, Document]) -> list[tuple[int, int]]:
    """Tokenise a task's text, checking every annotator's document has the same text."""
    texts = {doc.article.text for doc in docs.values()}
    if len(texts) > 1:
        raise EvaluationError(f"task {task_id}: annotators' documents have different texts; re-export them")
    return simple_tokens(texts.pop()) if texts else []


def _arguments(doc: Document, event: Event) -> Counter[tuple[str, int, int]]:
    """Count an event's ``(role, argument start, argument end)``."""
    try:
        spans = [(argument.role, doc.entity(argument.span_id)) for argument in event.arguments]
    except KeyError as error:
        raise EvaluationError(
            f"document {doc.article.id}: event {event.id} has an argument pointing to span {error}, "
            "which is not among its entities"
        ) from None
    return Counter((role, span.start, span.end) for role, span in spans)


def _by_trigger(doc: Document) -> dict[tuple[int, int, str], list[Event]]:
    """Group a document's events by ``(trigger start, trigger end, type)``, in document order."""
    keys = {(e.trigger.start, e.trigger.end, e.type) for e in doc.events}
    return {key: [e for e in doc.events if (e.trigger.start, e.trigger.end, e.type) == key] for key in keys}


def _argument_counts(doc_a: Document, doc_b: Document) -> Counter[tuple[str, str]]:
    """``(role, tp|fp|fn)`` counts of the arguments of the events both documents triggered alike."""
    totals: Counter[tuple[str, str]] = Counter()
    triggers_b = _by_trigger(doc_b)
    for key, events_a in _by_trigger(doc_a).items():
        for event_a, event_b in zip(events_a, triggers_b.get(key, []), strict=False):
            gold, pred = _arguments(doc_a, event_a), _arguments(doc_b, event_b)
            for kind, keys in (("tp", gold & pred), ("fn", gold - pred), ("fp", pred - gold)):
                for (role, _, _), n in keys.items():
                    totals[(role, kind)] += n
    return totals
