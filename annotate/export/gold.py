"""Select the gold annotations of snapshot tasks, by an explicit policy.

Skipped annotations (``was_cancelled``) are never gold. A task whose annotations are all skipped
(``only cancelled``), that has only drafts (``only drafts``) or nothing at all (``no annotation``)
gives no gold and is counted by that reason in ``GoldSelection.left_out``; the tasks not annotated
yet (not the skipped ones: an annotator looked at those) are kept in
``GoldSelection.unannotated_tasks`` so that a caller can build a clearly marked silver split from
their predictions (``silver_documents``). An annotation whose result is empty counts: the annotator
submitted "nothing to mark here".

The policies (``POLICIES``):

- ``latest`` (default): one document per task, from the annotation marked ground truth (the most
  recently updated one if several are), else from the latest annotation (by ``updated_at``, then
  ``created_at``, then id).
- ``majority``: one document per task, with what more than half of the task's annotators marked;
  each annotator counts once, with their latest annotation. Entities are compared by (start, end,
  label), triggers by (start, end, type), arguments by (trigger, role, entity); an argument is kept
  only if its trigger and its entity are kept too. A kept span has annotator ``majority``, the
  latest timestamp among the agreeing annotations, and origin ``prediction`` if every agreeing
  annotation kept the prediction unchanged, ``edited`` if some took it from a prediction, else
  ``manual``. With two annotators, a span needs both; with one, the majority is that annotator.
- ``per-annotator``: one document per annotation (the article id stays the task's ``doc_id``; the
  annotator is on every span and on the document, so rows are keyed by document and annotator).

Annotators are named by their Label Studio user id (``completed_by``) as a string, or by the email
when ``completed_by`` is a user object. Every region or relation that cannot be read (see
``annotate.labelstudio.reader``) is listed in ``GoldSelection.problems``, prefixed with its annotation.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from annotate.document import Argument, Document, Event, Origin, Span
from annotate.errors import ExportError
from annotate.labelstudio import region_id
from annotate.labelstudio.labelconfig import ENTITY_CONTROL, EVENT_CONTROL
from annotate.labelstudio.reader import SpanProblem, prediction_to_document, result_to_document
from annotate.schema import Schema

POLICIES = ("latest", "majority", "per-annotator")
MAJORITY = "majority"
_NEVER = datetime.min.replace(tzinfo=UTC)

SpanKey = tuple[int, int, str]


@dataclass
class GoldSelection:
    """The gold documents of a snapshot and everything that did not make it."""

    documents: list[Document] = field(default_factory=list)
    problems: list[SpanProblem] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)  # reason -> tasks
    annotators: set[str] = field(default_factory=set)  # whose annotations the gold is made of
    unannotated_tasks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def document_annotators(self) -> list[str | None]:
        """Whose annotation each document is, in the order of ``documents``."""
        return [document.annotator for document in self.documents]


def annotator_id(annotation: dict[str, Any]) -> str:
    """Who made an annotation, pseudonymously: the ``completed_by`` user id as a string; a user
    known only by email gets ``user-`` and a hash of it (datasets never carry annotators' emails)."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        if who.get("id") not in (None, ""):
            who = who["id"]
        elif who.get("email"):
            return "user-" + hashlib.sha256(str(who["email"]).encode()).hexdigest()[:10]
        else:
            who = None
    return "unknown" if who in (None, "") else str(who)


def select_gold(
    tasks: Iterable[dict[str, Any]], schema: Schema, policy: str = "latest", *, keep_unannotated: bool = True
) -> GoldSelection:
    """Select the gold documents of ``tasks`` (snapshot lines) by ``policy`` (see the module doc).

    ``keep_unannotated=False`` leaves ``unannotated_tasks`` empty (they are still counted in
    ``left_out``): a whole snapshot's worth of unannotated tasks can be a lot of memory.

    Raises:
        ExportError: the policy is unknown, or a task has no text.
    """
    if policy not in POLICIES:
        raise ExportError(f"unknown gold policy {policy!r}; use one of {', '.join(POLICIES)}")
    selection = GoldSelection()
    for task in tasks:
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
        done = sorted((a for a in annotations if not a.get("was_cancelled")), key=annotation_order)
        if not done:
            reason = (
                "only cancelled" if annotations else "only drafts" if task.get("drafts") else "no annotation"
            )
            selection.left_out[reason] += 1
            if reason != "only cancelled" and keep_unannotated:
                selection.unannotated_tasks.append(task)
            continue
        if policy == "latest":
            truth = [a for a in done if a.get("ground_truth")]
            chosen = (truth or done)[-1]
            _add(selection, _read(task, chosen, schema, selection), annotator_id(chosen))
        elif policy == "per-annotator":
            for annotation in done:
                _add(selection, _read(task, annotation, schema, selection), annotator_id(annotation))
        else:
            latest = {annotator_id(a): a for a in done}  # done is in time order: the last one wins
            documents = [
                _read(task, a, schema, selection) for a in sorted(latest.values(), key=annotation_order)
            ]
            selection.annotators.update(latest)
            merged = _majority(documents)
            merged.annotator = MAJORITY
            selection.documents.append(merged)
    return selection


def silver_documents(
    tasks: Iterable[dict[str, Any]],
    schema: Schema,
    *,
    model_version: str | None = None,
    problems: list[SpanProblem] | None = None,
) -> list[Document]:
    """The predictions of ``tasks`` as documents (silver data): one per task that has a prediction.

    A task's newest prediction is taken (by ``created_at``, then id): a push makes the newest model
    version the project's current one. ``model_version`` takes that version's prediction instead
    (tasks without one are skipped). Spans that cannot be read are left out and appended to
    ``problems``.

    Raises:
        ExportError: a prediction has spans that cannot be read and no ``problems`` list is given,
            or a task has no text.
    """
    documents: list[Document] = []
    found: list[SpanProblem] = []
    for task in tasks:
        predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
        if model_version is not None:
            predictions = [p for p in predictions if p.get("model_version") == model_version]
        if predictions:
            newest = max(predictions, key=lambda p: (_when(p.get("created_at")), _number(p.get("id"))))
            document, seen = prediction_to_document(task, newest, schema)
            documents.append(document)
            found += seen
    if problems is not None:
        problems += found
    elif found:
        raise unreadable_predictions_error(found)
    return documents


def unreadable_predictions_error(found: list[SpanProblem]) -> ExportError:
    """The error for predicted spans that cannot be read (the first 5 listed)."""
    listed = "; ".join(f"task {p.task_id} region {p.region_id}: {p.what}" for p in found[:5])
    return ExportError(f"{len(found)} predicted spans cannot be read ({listed})")


def _when(value: Any) -> datetime:
    if not isinstance(value, str):
        return _NEVER
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _NEVER
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _number(value: Any) -> int:
    return value if type(value) is int else -1


def annotation_order(annotation: dict[str, Any]) -> tuple[datetime, datetime, int]:
    """Sort key of annotations, oldest first: ``updated_at``, then ``created_at``, then id."""
    return (
        _when(annotation.get("updated_at")),
        _when(annotation.get("created_at")),
        _number(annotation.get("id")),
    )


def _read(
    task: dict[str, Any], annotation: dict[str, Any], schema: Schema, selection: GoldSelection
) -> Document:
    """One annotation as a document; its problems go to ``selection``, named by the annotation."""
    predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    newest_first = sorted(predictions, key=lambda p: (_when(p.get("created_at")), _number(p.get("id"))))[::-1]
    parent = annotation.get("parent_prediction")
    newest_first.sort(key=lambda p: p.get("id") != parent or parent is None)  # stable: parent first
    who = annotator_id(annotation)
    stamp = annotation.get("updated_at") or annotation.get("created_at")
    document, problems = result_to_document(
        task,
        list(annotation.get("result") or []),
        schema,
        annotator=who,
        timestamp=str(stamp) if stamp else None,
        predictions=newest_first,
    )
    prefix = f"annotation {annotation.get('id')} by annotator {who}: "
    selection.problems += [replace(p, what=prefix + p.what) for p in problems]
    return document


def _add(selection: GoldSelection, document: Document, annotator: str) -> None:
    document.annotator = annotator
    selection.documents.append(document)
    selection.annotators.add(annotator)


def _majority(documents: list[Document]) -> Document:
    """What more than half of ``documents`` (one per annotator, oldest first) marked."""
    needed = len(documents) // 2 + 1
    entity_votes: dict[SpanKey, list[Span]] = {}
    trigger_votes: dict[SpanKey, list[Span]] = {}
    argument_votes: Counter[tuple[SpanKey, str, SpanKey]] = Counter()
    for document in documents:
        for span in document.entities:
            entity_votes.setdefault((span.start, span.end, span.label), []).append(span)
        marked: set[tuple[SpanKey, str, SpanKey]] = set()
        for event in document.events:
            trigger = (event.trigger.start, event.trigger.end, event.type)
            trigger_votes.setdefault(trigger, []).append(event.trigger)
            for argument in event.arguments:
                filler = document.entity(argument.span_id)
                marked.add((trigger, argument.role, (filler.start, filler.end, filler.label)))
        argument_votes.update(marked)
    article = documents[0].article
    used: set[str] = set()
    entities = {
        key: _merged(article.id, ENTITY_CONTROL, votes, used)
        for key, votes in entity_votes.items()
        if len(votes) >= needed
    }
    events = {
        key: Event("", key[2], _merged(article.id, EVENT_CONTROL, votes, used))
        for key, votes in trigger_votes.items()
        if len(votes) >= needed
    }
    for (trigger, role, entity), votes in argument_votes.items():
        if votes >= needed and trigger in events and entity in entities:
            events[trigger].arguments.append(Argument(role, entities[entity].id))
    for event in events.values():
        event.id = event.trigger.id
    order = sorted(events.values(), key=lambda e: (e.trigger.start, e.trigger.end, e.type))
    return Document(article, sorted(entities.values(), key=lambda s: (s.start, s.end, s.label)), order)


def _merged(doc_id: str, layer: str, votes: list[Span], used: set[str]) -> Span:
    """One span for the agreeing ``votes``: the first vote's id (unless taken), majority provenance."""
    first = votes[0]
    span_id = first.id
    if span_id in used:
        span_id = region_id(doc_id, f"{layer}|{first.label}", first.start, first.end)
    used.add(span_id)
    origins = {vote.origin for vote in votes}
    origin: Origin = (
        "prediction"
        if origins == {"prediction"}
        else "edited"
        if origins & {"prediction", "edited"}
        else "manual"
    )
    stamps = [vote.timestamp for vote in votes if vote.timestamp]
    return Span(
        span_id,
        first.start,
        first.end,
        first.label,
        first.text,
        origin=origin,
        annotator=MAJORITY,
        model_version=next((vote.model_version for vote in votes if vote.model_version), None),
        timestamp=max(stamps, key=_when) if stamps else None,
    )
