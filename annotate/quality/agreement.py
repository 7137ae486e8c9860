"""Inter-annotator agreement on tasks that two or more annotators annotated.

Input is ``docs_by_task``: task (document) id → annotator name → that annotator's ``Document``
(names come from the mapping, not from ``Span.annotator``). Every measure compares each pair of
annotators sharing a task (sorted names, the first playing "gold"); tasks with one annotator
contribute nothing. Spans are taken as in :mod:`annotate.quality.compare` (trigger label = event
type, ``X-`` entities ignored). Token-level measures label tokens ``O`` outside spans, so agreeing
on "no span here" counts as agreement.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from itertools import combinations
from typing import Literal, TypedDict

from annotate.document import Document, Event
from annotate.errors import EvaluationError
from annotate.quality.compare import Layer, layer_spans, overlap_pairs
from annotate.quality.metrics import PRF

Tasks = Mapping[str, Mapping[str, Document]]
Match = Literal["exact", "overlap"]

#: The label of a token no span covers.
OUTSIDE = "O"

_TOKEN = re.compile(r"\w+|[^\w\s]")


class TokenAgreement(TypedDict):
    """Chance-corrected agreement over token labels."""

    kappa: float
    alpha: float


class AnnotatorAgreement(TypedDict):
    """One annotator's share of the work and agreement with the others (``None``: nobody to compare)."""

    tasks: int
    entity_f1_vs_others: float | None
    trigger_f1_vs_others: float | None


class Throughput(TypedDict):
    """Tasks one annotator submitted and their median lead time in seconds (``None``: unknown)."""

    tasks: int
    median_lead_time: float | None


def _pairs(docs_by_task: Tasks) -> Iterator[tuple[Document, Document]]:
    """Yield the documents of annotators a and b, a < b, for every task and pair of its annotators."""
    for task_id in sorted(docs_by_task):
        docs = docs_by_task[task_id]
        yield from ((docs[a], docs[b]) for a, b in combinations(sorted(docs), 2))


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


def pairwise_span_f1(docs_by_task: Tasks, layer: Layer, match: Match = "exact") -> dict[str, PRF]:
    """Micro-sum span agreement over every task and pair of annotators.

    For a pair (A, B) A's spans play gold and B's predictions; F1 does not depend on the
    direction. ``exact`` matches same offsets and label; ``overlap`` also matches spans with the
    same label and overlapping offsets, one to one (exact matches first, then by largest overlap).

    Returns:
        One PRF per label (sorted) and ``ALL``, their sum.
    """
    totals: dict[str, PRF] = defaultdict(PRF)
    for doc_a, doc_b in _pairs(docs_by_task):
        for label, prf in _span_prf(doc_a, doc_b, layer, match).items():
            totals[label] += prf
    scores = {label: totals[label] for label in sorted(totals)}
    scores["ALL"] = sum(scores.values(), PRF())
    return scores


def simple_tokens(text: str) -> list[tuple[int, int]]:
    r"""Return ``(start, end)`` of the runs of ``\w`` and the other non-space characters of ``text``."""
    return [match.span() for match in _TOKEN.finditer(text)]


def token_labels(doc: Document, layer: Layer, tokens: Sequence[tuple[int, int]]) -> list[str]:
    """Label every token with the span that overlaps it most, ``O`` when no span overlaps it.

    Ties go to the span starting first, then the shorter one, then the label in sorted order.
    """
    spans = layer_spans(doc, layer)
    labels: list[str] = []
    for start, end in tokens:
        hits = [
            (-(min(end, e) - max(start, s)), s, e, label) for s, e, label in spans if s < end and start < e
        ]
        labels.append(min(hits)[3] if hits else OUTSIDE)
    return labels


def cohens_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two raters' nominal labels for the same items: ``(po - pe) / (1 - pe)``.

    ``po`` is the share of items labelled alike, ``pe`` the sum over labels of the product of both
    raters' label shares. Degenerate case: when ``pe`` is 1 (both raters used one and the same
    label throughout) kappa is 1.0 if ``po`` is 1 (always so then), else 0.0.

    Raises:
        EvaluationError: The sequences differ in length or are empty.
    """
    if len(a) != len(b) or not a:
        raise EvaluationError(
            f"kappa needs two equally long, non-empty label lists, got {len(a)} and {len(b)}"
        )
    n = len(a)
    observed = Fraction(sum(x == y for x, y in zip(a, b, strict=True)), n)
    count_a, count_b = Counter(a), Counter(b)
    expected = Fraction(sum(count_a[label] * count_b[label] for label in count_a), n * n)
    if expected == 1:
        return 1.0 if observed == 1 else 0.0
    return float((observed - expected) / (1 - expected))


def krippendorff_alpha(units: Sequence[Sequence[str | None]]) -> float:
    """Krippendorff's alpha for nominal data: ``1 - (n - 1) * Do / De`` from the coincidence matrix.

    Each unit lists the values its annotators gave, ``None`` for a missing value. Units with fewer
    than two values are not pairable and are skipped. With ``o_ck`` the coincidences (every
    ordered pair of values within a unit, weighted ``1 / (m_u - 1)``), ``n_c`` their marginals and
    ``n`` the number of pairable values, ``Do = sum(o_ck, c != k)`` and
    ``De = sum(n_c * n_k, c != k) = n**2 - sum(n_c**2)``. Degenerate case: when ``De`` is 0 (all
    pairable values are the same, so ``Do`` is 0 too) alpha is 1.0.

    Raises:
        EvaluationError: No unit has two values.
    """
    pairable = [values for unit in units if len(values := [v for v in unit if v is not None]) >= 2]
    if not pairable:
        raise EvaluationError("alpha needs at least one unit with two or more values; none has")
    disagreement = Fraction(0)
    for values in pairable:
        m = len(values)
        disagreement += Fraction(m * m - sum(c * c for c in Counter(values).values()), m - 1)
    marginals = Counter(v for values in pairable for v in values)
    n = marginals.total()
    expected = n * n - sum(c * c for c in marginals.values())
    if expected == 0:
        return 1.0
    return float(1 - (n - 1) * disagreement / expected)


def _task_tokens(task_id: str, docs: Mapping[str, Document]) -> list[tuple[int, int]]:
    """Tokenise a task's text, checking every annotator's document has the same text."""
    texts = {doc.article.text for doc in docs.values()}
    if len(texts) > 1:
        raise EvaluationError(f"task {task_id}: annotators' documents have different texts; re-export them")
    return simple_tokens(texts.pop()) if texts else []


def token_agreement(docs_by_task: Tasks, layer: Layer) -> TokenAgreement:
    """Chance-corrected agreement on token labels (see :func:`token_labels`).

    ``kappa`` pools each pair of annotators' tokens over the tasks they share, computes Cohen's
    kappa per pair and averages over the pairs. ``alpha`` is Krippendorff's alpha with every
    token of every task a unit and each annotator of the task a value.

    Raises:
        EvaluationError: No task has two annotators with at least one token, or a task's
            documents have different texts.
    """
    pooled: dict[tuple[str, str], tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    units: list[list[str | None]] = []
    for task_id in sorted(docs_by_task):
        docs = docs_by_task[task_id]
        tokens = _task_tokens(task_id, docs)
        labels = {name: token_labels(doc, layer, tokens) for name, doc in docs.items()}
        for a, b in combinations(sorted(docs), 2):
            pooled[(a, b)][0].extend(labels[a])
            pooled[(a, b)][1].extend(labels[b])
        units.extend([[labels[name][i] for name in sorted(docs)] for i in range(len(tokens))])
    kappas = [cohens_kappa(a, b) for a, b in pooled.values() if a]
    if not kappas:
        raise EvaluationError("no task has two annotators and some text; agreement needs both")
    return TokenAgreement(kappa=statistics.fmean(kappas), alpha=krippendorff_alpha(units))


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
    totals: Counter[tuple[str, str]] = Counter()
    for doc_a, doc_b in _pairs(docs_by_task):
        triggers_b = _by_trigger(doc_b)
        for key, events_a in _by_trigger(doc_a).items():
            for event_a, event_b in zip(events_a, triggers_b.get(key, []), strict=False):
                gold, pred = _arguments(doc_a, event_a), _arguments(doc_b, event_b)
                for kind, keys in (("tp", gold & pred), ("fn", gold - pred), ("fp", pred - gold)):
                    for (role, _, _), n in keys.items():
                        totals[(role, kind)] += n
    roles = sorted({role for role, _ in totals})
    scores = {r: PRF(totals[(r, "tp")], totals[(r, "fp")], totals[(r, "fn")]) for r in roles}
    scores["ALL"] = sum(scores.values(), PRF())
    return scores


def _mean_f1_vs_others(docs_by_task: Tasks, name: str, others: Iterable[str], layer: Layer) -> float | None:
    """Average ``name``'s exact-match F1 against each other annotator over the tasks they share."""
    f1s: list[float] = []
    for other in others:
        shared = {
            task_id: {name: docs[name], other: docs[other]}
            for task_id, docs in docs_by_task.items()
            if name in docs and other in docs
        }
        prf = pairwise_span_f1(shared, layer)["ALL"]
        if prf.tp + prf.fp + prf.fn:
            f1s.append(prf.f1)
    return statistics.fmean(f1s) if f1s else None


def per_annotator(docs_by_task: Tasks) -> dict[str, AnnotatorAgreement]:
    """Summarise each annotator: tasks annotated and mean pairwise F1 against the others.

    The F1 against one other annotator micro-sums exact span matches over the tasks both
    annotated; the mean leaves out annotators sharing no task or no span with this one, and is
    ``None`` when that leaves nobody.
    """
    tasks = Counter(name for docs in docs_by_task.values() for name in docs)
    summary: dict[str, AnnotatorAgreement] = {}
    for name in sorted(tasks):
        others = [other for other in sorted(tasks) if other != name]
        summary[name] = AnnotatorAgreement(
            tasks=tasks[name],
            entity_f1_vs_others=_mean_f1_vs_others(docs_by_task, name, others, "entity"),
            trigger_f1_vs_others=_mean_f1_vs_others(docs_by_task, name, others, "trigger"),
        )
    return summary


def throughput(annotations: Iterable[tuple[str, float | None]]) -> dict[str, Throughput]:
    """Count each annotator's submitted tasks and the median lead time (seconds) of those timed.

    Args:
        annotations: ``(annotator, lead time in seconds or None)`` per submitted annotation.

    Returns:
        Per annotator (sorted), ``tasks`` and ``median_lead_time`` (``None`` if none was timed).
    """
    times: dict[str, list[float | None]] = defaultdict(list)
    for name, lead_time in annotations:
        times[name].append(lead_time)
    summary: dict[str, Throughput] = {}
    for name in sorted(times):
        timed = [t for t in times[name] if t is not None]
        median = statistics.median(timed) if timed else None
        summary[name] = Throughput(tasks=len(times[name]), median_lead_time=median)
    return summary
