"""Standard entity and event extraction metrics over ``Document``s (micro P/R/F1 over mentions).

Definitions follow Ji & Grishman (2008) and Li, Ji & Huang (2013); spans match on exact
character offsets (not heads) and documents are paired by ``article.id``:

* entity: ``(doc, start, end, label)``; ``SPAN`` ignores the label;
* trigger identification: ``(doc, start, end)``; trigger classification adds the event type;
* argument identification: ``(doc, event type, argument start, argument end)``; argument
  classification adds the role. Arguments are the spans the documents' own entities give
  (gold entities on the gold side, predicted entities on the predicted side).

Matching is one-to-one over multisets: a gold mention listed twice must be predicted twice. Gold
documents without a prediction count as entirely missed; predictions for documents that are not
in the gold are ignored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from annotate.document import Document
from annotate.errors import EvaluationError

#: Entity labels starting with this prefix (unmapped argument fillers) are never scored as entities.
UNSCORED_PREFIX = "X-"

_Key = tuple[str | int, ...]
_Docs = Iterable[Document]


@dataclass(frozen=True)
class PRF:
    """True positive, false positive and false negative counts with the derived scores."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """``tp / (tp + fp)``, 0.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """``tp / (tp + fn)``, 0.0 when there is no gold mention."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall, 0.0 when both are 0."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def __add__(self, other: PRF) -> PRF:
        """Sum the counts (micro averaging)."""
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def score_entities(
    pred_docs: Iterable[Document],
    gold_docs: Iterable[Document],
    labels: Collection[str] | None = None,
    equivalent: Iterable[Sequence[str]] = (),
) -> dict[str, PRF]:
    """Score entity mentions: one entry per label, ``ALL`` (micro) and ``SPAN`` (offsets only).

    Labels in one ``equivalent`` group (e.g. ``("GPE", "LOC", "FAC")``) count as the same label
    and share one entry named after the group (``"GPE/LOC/FAC"``). With ``labels``, spans whose
    label (or a label equivalent to it) is not listed are ignored on both sides; listed labels
    get an entry even when they never occur. Labels starting with ``X-`` are always ignored.

    Raises:
        EvaluationError: Document ids repeat, or a label is in two equivalent groups.
    """
    canonical = _canonical_labels(equivalent)
    keep = None if labels is None else {canonical.get(label, label) for label in labels}
    pred, gold = _paired(pred_docs, gold_docs)
    pred_keys, gold_keys = _entity_keys(pred, canonical, keep), _entity_keys(gold, canonical, keep)
    names = set(keep or ()) | {str(key[3]) for key in pred_keys + gold_keys}
    scores = {name: _match(_where(pred_keys, 3, name), _where(gold_keys, 3, name)) for name in sorted(names)}
    scores["ALL"] = _match(pred_keys, gold_keys)
    scores["SPAN"] = _match(_project(pred_keys, 3), _project(gold_keys, 3))
    return scores


def score_events(
    pred_docs: Iterable[Document],
    gold_docs: Iterable[Document],
    event_types: Collection[str] | None = None,
) -> dict[str, PRF]:
    """Score event mentions with the four standard measures and per-type trigger classification.

    Returns ``trigger_identification``, ``trigger_classification``, ``argument_identification``,
    ``argument_classification`` and ``trigger:<type>`` for every type seen (or listed). With
    ``event_types``, events of other types are ignored on both sides.

    Raises:
        EvaluationError: Document ids repeat, or an argument points to a span its document lacks.
    """
    pred, gold = _paired(pred_docs, gold_docs)
    pred_triggers, pred_arguments = _event_keys(pred, event_types)
    gold_triggers, gold_arguments = _event_keys(gold, event_types)
    scores = {
        "trigger_identification": _match(_project(pred_triggers, 3), _project(gold_triggers, 3)),
        "trigger_classification": _match(pred_triggers, gold_triggers),
        "argument_identification": _match(_project(pred_arguments, 4), _project(gold_arguments, 4)),
        "argument_classification": _match(pred_arguments, gold_arguments),
    }
    types = set(event_types or ()) | {str(key[3]) for key in pred_triggers + gold_triggers}
    for name in sorted(types):
        scores[f"trigger:{name}"] = _match(_where(pred_triggers, 3, name), _where(gold_triggers, 3, name))
    return scores


def score_roles(pred_docs: Iterable[Document], gold_docs: Iterable[Document]) -> dict[str, PRF]:
    """Argument classification restricted to each role (sorted): a predicted argument counts when
    the gold has one with the same role, event type and offsets.

    Raises:
        EvaluationError: Document ids repeat, or an argument points to a span its document lacks.
    """
    pred, gold = _paired(pred_docs, gold_docs)
    pred_arguments, gold_arguments = _event_keys(pred, None)[1], _event_keys(gold, None)[1]
    roles = sorted({str(key[4]) for key in pred_arguments + gold_arguments})
    return {role: _match(_where(pred_arguments, 4, role), _where(gold_arguments, 4, role)) for role in roles}


def trigger_precision(pred_docs: Iterable[Document], gold_docs: Iterable[Document]) -> PRF:
    """Count predicted triggers that overlap a gold trigger of any type (for MEANTIME).

    ``tp`` is the number of predicted triggers overlapping at least one gold trigger, ``fp`` the
    others and ``fn`` the gold triggers that no prediction overlaps. Only precision is
    meaningful when the gold marks far more event words than the predictions aim at.

    Raises:
        EvaluationError: Document ids repeat.
    """
    pred, gold = _paired(pred_docs, gold_docs)
    gold_spans = {doc.article.id: [(e.trigger.start, e.trigger.end) for e in doc.events] for doc in gold}
    covered: set[tuple[str, int]] = set()
    tp = fp = 0
    for doc in pred:
        spans = gold_spans[doc.article.id]
        for trigger in (event.trigger for event in doc.events):
            hits = [i for i, (start, end) in enumerate(spans) if trigger.start < end and start < trigger.end]
            covered.update((doc.article.id, i) for i in hits)
            tp, fp = (tp + 1, fp) if hits else (tp, fp + 1)
    return PRF(tp, fp, sum(len(spans) for spans in gold_spans.values()) - len(covered))


def _paired(pred_docs: _Docs, gold_docs: _Docs) -> tuple[list[Document], list[Document]]:
    """Return the predictions for gold documents and the gold documents, checking ids are unique."""
    gold = _unique(gold_docs, "gold")
    gold_ids = {doc.article.id for doc in gold}
    return [doc for doc in _unique(pred_docs, "predicted") if doc.article.id in gold_ids], gold


def _unique(docs: Iterable[Document], side: str) -> list[Document]:
    """Return ``docs`` as a list, raising ``EvaluationError`` if an article id repeats."""
    docs = list(docs)
    repeated = [doc_id for doc_id, n in Counter(doc.article.id for doc in docs).items() if n > 1]
    if repeated:
        raise EvaluationError(f"{side} documents repeat article ids {repeated[:5]}; pass each document once")
    return docs


def _canonical_labels(equivalent: Iterable[Sequence[str]]) -> dict[str, str]:
    """Map every label of an equivalent group to the group's name (labels joined by ``/``)."""
    canonical: dict[str, str] = {}
    for group in equivalent:
        for label in group:
            if label in canonical:
                raise EvaluationError(f"label {label!r} is in two equivalent groups; merge them")
            canonical[label] = "/".join(group)
    return canonical


def _entity_keys(docs: list[Document], canonical: dict[str, str], keep: set[str] | None) -> Counter[_Key]:
    """Count ``(doc, start, end, canonical label)`` of the scored entity spans."""
    keys: Counter[_Key] = Counter()
    for doc in docs:
        for span in doc.entities:
            label = canonical.get(span.label, span.label)
            if not span.label.startswith(UNSCORED_PREFIX) and (keep is None or label in keep):
                keys[(doc.article.id, span.start, span.end, label)] += 1
    return keys


def _event_keys(
    docs: list[Document], event_types: Collection[str] | None
) -> tuple[Counter[_Key], Counter[_Key]]:
    """Count trigger keys ``(doc, start, end, type)`` and argument keys ``(doc, type, start, end, role)``."""
    triggers: Counter[_Key] = Counter()
    arguments: Counter[_Key] = Counter()
    for doc in docs:
        for event in doc.events:
            if event_types is not None and event.type not in event_types:
                continue
            triggers[(doc.article.id, event.trigger.start, event.trigger.end, event.type)] += 1
            for argument in event.arguments:
                try:
                    span = doc.entity(argument.span_id)
                except KeyError:
                    raise EvaluationError(
                        f"document {doc.article.id}: event {event.id} has a {argument.role} argument "
                        f"pointing to span {argument.span_id!r}, which is not among its entities"
                    ) from None
                arguments[(doc.article.id, event.type, span.start, span.end, argument.role)] += 1
    return triggers, arguments


def _match(pred: Counter[_Key], gold: Counter[_Key]) -> PRF:
    """Match two multisets of keys one to one."""
    tp = sum((pred & gold).values())
    return PRF(tp=tp, fp=sum(pred.values()) - tp, fn=sum(gold.values()) - tp)


def _project(keys: Counter[_Key], drop: int) -> Counter[_Key]:
    """Drop the element at position ``drop`` from every key, keeping the counts."""
    projected: Counter[_Key] = Counter()
    for key, count in keys.items():
        projected[key[:drop] + key[drop + 1 :]] += count
    return projected


def _where(keys: Counter[_Key], position: int, value: str) -> Counter[_Key]:
    """Keep the keys whose element at ``position`` equals ``value``."""
    return Counter({key: count for key, count in keys.items() if key[position] == value})
