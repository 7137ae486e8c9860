"""How good the pre-annotations were: predictions compared with what annotators finally submitted.

Documents are paired by ``article.id`` as in :mod:`annotate.quality.metrics` (gold documents
without a prediction count as entirely missed, predictions without gold are ignored). Beyond
P/R/F1 this module says *how* predictions went wrong (:class:`SpanOutcome`), which labels were
confused (:func:`confusion_matrix`), how much work predictions saved (:func:`accepted_unchanged`),
and all of it per model run (:func:`compare_by_model_version`). A trigger's label is its event
type; entity labels starting with ``X-`` are ignored throughout, as in the metrics module.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict

from annotate.document import Document
from annotate.quality.metrics import PRF, UNSCORED_PREFIX, _paired, score_entities, score_events, score_roles

Layer = Literal["entity", "trigger"]
LAYERS: tuple[Layer, ...] = ("entity", "trigger")

#: Stands for "no span" in a confusion matrix: ``("∅", gold)`` is missed, ``(pred, "∅")`` spurious.
NONE = "∅"

#: ``(start, end, label)`` of one span.
Labelled = tuple[int, int, str]


@dataclass(frozen=True)
class SpanOutcome:
    """Counts of what happened to spans, after one-to-one matching of predictions to gold.

    Attributes:
        exact: Same offsets, same label.
        boundary: Overlapping offsets that differ, same label.
        type: Same offsets, different label.
        boundary_type: Overlapping offsets that differ, different label.
        missed: Gold spans left unmatched (no free prediction overlaps them).
        spurious: Predicted spans left unmatched (no free gold span overlaps them).
    """

    exact: int = 0
    boundary: int = 0
    type: int = 0
    boundary_type: int = 0
    missed: int = 0
    spurious: int = 0

    def __add__(self, other: SpanOutcome) -> SpanOutcome:
        """Sum the counts field by field."""
        return SpanOutcome(
            self.exact + other.exact,
            self.boundary + other.boundary,
            self.type + other.type,
            self.boundary_type + other.boundary_type,
            self.missed + other.missed,
            self.spurious + other.spurious,
        )


@dataclass(frozen=True)
class Accepted:
    """How many gold spans were predictions accepted unchanged (``accepted``) out of ``total``."""

    accepted: int = 0
    total: int = 0

    @property
    def share(self) -> float:
        """``accepted / total``, 0.0 when there is no span."""
        return self.accepted / self.total if self.total else 0.0

    def __add__(self, other: Accepted) -> Accepted:
        """Sum the counts."""
        return Accepted(self.accepted + other.accepted, self.total + other.total)


class Comparison(TypedDict):
    """Everything :func:`compare` measures, keyed as documented there."""

    entities: dict[str, PRF]
    events: dict[str, PRF]
    event_types: dict[str, dict[str, PRF]]
    argument_roles: dict[str, PRF]
    outcomes: dict[str, dict[str, SpanOutcome]]
    confusion: dict[str, dict[tuple[str, str], int]]
    accepted_unchanged: dict[str, dict[str, Accepted]]


def layer_spans(doc: Document, layer: Layer) -> list[Labelled]:
    """Return ``(start, end, label)`` of a document's entities or triggers (label = event type).

    Entities labelled ``X-...`` are left out.
    """
    if layer == "trigger":
        return [(event.trigger.start, event.trigger.end, event.type) for event in doc.events]
    return [(s.start, s.end, s.label) for s in doc.entities if not s.label.startswith(UNSCORED_PREFIX)]


def overlap_pairs(gold: Sequence[tuple[int, int]], pred: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Match overlapping ``(start, end)`` spans one to one, greedily by largest overlap.

    Ties are broken by gold index, then predicted index, so the result is deterministic.

    Returns:
        ``(gold index, predicted index)`` pairs.
    """
    candidates = sorted(
        (-(min(g[1], p[1]) - max(g[0], p[0])), i, j)
        for i, g in enumerate(gold)
        for j, p in enumerate(pred)
        if g[0] < p[1] and p[0] < g[1]
    )
    pairs: list[tuple[int, int]] = []
    for _, i, j in candidates:
        if all(i != g and j != p for g, p in pairs):
            pairs.append((i, j))
    return pairs


def _same_offsets(
    gold: list[Labelled], pred: list[Labelled], same_label: bool
) -> tuple[list[tuple[Labelled, Labelled]], list[Labelled], list[Labelled]]:
    """Pair spans with identical offsets (and labels, if ``same_label``) in list order.

    Returns:
        The pairs, then the unpaired gold and predicted spans.
    """
    free = list(pred)
    pairs: list[tuple[Labelled, Labelled]] = []
    left: list[Labelled] = []
    for span in gold:
        hit = next((p for p in free if p[:2] == span[:2] and (p[2] == span[2]) == same_label), None)
        if hit is None:
            left.append(span)
        else:
            free.remove(hit)
            pairs.append((span, hit))
    return pairs, left, free


def _outcomes(gold: list[Labelled], pred: list[Labelled]) -> Counter[tuple[str, str]]:
    """Classify one document's spans: count ``(label, outcome field)``.

    Matching is one to one: exact first, then same offsets with another label, then overlaps by
    largest overlap. Missed and type outcomes go to the gold label, spurious to the predicted one.
    """
    counts: Counter[tuple[str, str]] = Counter()
    exact, gold, pred = _same_offsets(gold, pred, same_label=True)
    typed, gold, pred = _same_offsets(gold, pred, same_label=False)
    counts.update((g[2], "exact") for g, _ in exact)
    counts.update((g[2], "type") for g, _ in typed)
    pairs = overlap_pairs([g[:2] for g in gold], [p[:2] for p in pred])
    for i, j in pairs:
        counts[(gold[i][2], "boundary" if gold[i][2] == pred[j][2] else "boundary_type")] += 1
    matched_gold, matched_pred = {i for i, _ in pairs}, {j for _, j in pairs}
    counts.update((g[2], "missed") for i, g in enumerate(gold) if i not in matched_gold)
    counts.update((p[2], "spurious") for j, p in enumerate(pred) if j not in matched_pred)
    return counts


def _doc_pairs(
    pred_docs: Iterable[Document], gold_docs: Iterable[Document]
) -> list[tuple[Document, Document]]:
    """Pair every gold document with its prediction (an empty prediction when there is none)."""
    pred, gold = _paired(pred_docs, gold_docs)
    by_id = {doc.article.id: doc for doc in pred}
    return [(by_id.get(doc.article.id, Document(article=doc.article)), doc) for doc in gold]


def compare_layer(
    pred_docs: Iterable[Document], gold_docs: Iterable[Document], layer: Layer
) -> dict[str, SpanOutcome]:
    """Classify every gold and predicted span of a layer into the :class:`SpanOutcome` kinds.

    Returns:
        One outcome per label (missed, exact, boundary and type counts under the gold label,
        spurious ones under the predicted label) and ``ALL``, their sum.

    Raises:
        EvaluationError: Document ids repeat.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for pred, gold in _doc_pairs(pred_docs, gold_docs):
        counts += _outcomes(layer_spans(gold, layer), layer_spans(pred, layer))
    labels = sorted({label for label, _ in counts})
    outcomes = {
        name: SpanOutcome(**{k: n for (lab, k), n in counts.items() if lab == name}) for name in labels
    }
    outcomes["ALL"] = sum(outcomes.values(), SpanOutcome())
    return outcomes


def confusion_matrix(
    pred_docs: Iterable[Document], gold_docs: Iterable[Document], layer: Layer
) -> dict[tuple[str, str], int]:
    """Count ``(predicted label, gold label)`` over spans with identical offsets.

    Spans are paired one to one on identical offsets, same label first. A gold span no
    prediction shares its offsets with counts as ``("∅", gold label)``, a prediction no gold span
    shares its offsets with as ``(predicted label, "∅")``; overlapping spans with different
    offsets therefore count as one missed and one spurious. Cells that would be 0 are absent.

    Raises:
        EvaluationError: Document ids repeat.
    """
    cells: Counter[tuple[str, str]] = Counter()
    for pred_doc, gold_doc in _doc_pairs(pred_docs, gold_docs):
        gold, pred = layer_spans(gold_doc, layer), layer_spans(pred_doc, layer)
        exact, gold, pred = _same_offsets(gold, pred, same_label=True)
        typed, gold, pred = _same_offsets(gold, pred, same_label=False)
        cells.update((p[2], g[2]) for g, p in exact + typed)
        cells.update((NONE, g[2]) for g in gold)
        cells.update((p[2], NONE) for p in pred)
    return dict(sorted(cells.items()))


def accepted_unchanged(gold_docs: Iterable[Document]) -> dict[str, dict[str, Accepted]]:
    """Count the gold spans that are predictions accepted unchanged (``origin == "prediction"``).

    Returns:
        Per layer (``entity``, ``trigger``) one count per label (sorted) and ``ALL``, their sum;
        the overall figure is the sum of both ``ALL``. Spans without origin count in totals only.
    """
    counts: Counter[tuple[str, str, bool]] = Counter()
    for doc in gold_docs:
        spans = [("entity", s.label, s) for s in doc.entities if not s.label.startswith(UNSCORED_PREFIX)]
        spans += [("trigger", e.type, e.trigger) for e in doc.events]
        counts.update((layer, label, span.origin == "prediction") for layer, label, span in spans)
    shares: dict[str, dict[str, Accepted]] = {}
    for layer in LAYERS:
        labels = sorted({label for kind, label, _ in counts if kind == layer})
        yes, no = ({n: counts[(layer, n, flag)] for n in labels} for flag in (True, False))
        shares[layer] = {n: Accepted(yes[n], yes[n] + no[n]) for n in labels}
        shares[layer]["ALL"] = sum(shares[layer].values(), Accepted())
    return shares


def compare(
    pred_docs: Iterable[Document], gold_docs: Iterable[Document], *, by_type: bool = True
) -> Comparison:
    """Measure predictions against reviewed annotations in every way this module knows.

    Returns:
        ``entities``: :func:`~annotate.quality.metrics.score_entities` (per label, ``ALL``,
        ``SPAN``); ``events``: :func:`~annotate.quality.metrics.score_events` (the four standard
        measures and ``trigger:<type>``); ``event_types``: the four measures restricted to each
        event type (left empty without ``by_type``); ``argument_roles``: argument classification
        restricted to each role (a predicted argument counts when the gold has one with the same
        role, event type and offsets); ``outcomes`` and ``confusion``: :func:`compare_layer` and
        :func:`confusion_matrix` per layer (``entity``, ``trigger``); ``accepted_unchanged``.

    Raises:
        EvaluationError: Document ids repeat, or an argument points to a missing span.
    """
    pairs = _doc_pairs(pred_docs, gold_docs)
    pred, gold = [p for p, _ in pairs], [g for _, g in pairs]
    events = [event for doc in pred + gold for event in doc.events]
    return Comparison(
        entities=score_entities(pred, gold),
        events=score_events(pred, gold),
        event_types={name: score_events(pred, gold, {name}) for name in sorted({e.type for e in events})}
        if by_type
        else {},
        argument_roles=score_roles(pred, gold),
        outcomes={layer: compare_layer(pred, gold, layer) for layer in LAYERS},
        confusion={layer: confusion_matrix(pred, gold, layer) for layer in LAYERS},
        accepted_unchanged=accepted_unchanged(gold),
    )


def _version(doc: Document) -> str:
    """Return ``Document.model_version``, else the first span's ``model_version``, else ``unknown``."""
    spans = [*doc.entities, *(event.trigger for event in doc.events)]
    return next((v for v in [doc.model_version, *(s.model_version for s in spans)] if v), "unknown")


def compare_by_model_version(
    pred_docs: Iterable[Document], gold_docs: Iterable[Document], *, by_type: bool = True
) -> dict[str, Comparison]:
    """Run :func:`compare` separately for the predictions of each model version.

    Each version meets only the gold it predicted (an article may be predicted by several). The
    version is ``Document.model_version``, else the first span's ``model_version``, else ``unknown``.

    Raises:
        EvaluationError: Document ids repeat, or an argument points to a missing span.
    """
    by_id = {doc.article.id: doc for doc in _paired([], gold_docs)[1]}
    groups: dict[str, list[Document]] = defaultdict(list)
    for doc in (doc for doc in pred_docs if doc.article.id in by_id):
        groups[_version(doc)].append(doc)
    gold = {v: list({d.article.id: by_id[d.article.id] for d in docs}.values()) for v, docs in groups.items()}
    return {v: compare(groups[v], gold[v], by_type=by_type) for v in sorted(groups)}
