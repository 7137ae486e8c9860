"""Merge disagreeing annotations into one ground-truth annotation a reviewer resolves in the editor.

This module decides, from snapshot tasks alone (no network): ``adjudicate_tasks`` hands each
annotation to write to a ``save`` callable (``annotate.studio.adjudication`` saves them in Label
Studio). For every task with two or more annotators (each counted once, with their latest
non-cancelled annotation) who disagree, one merged annotation is written back by the connected
user, marked ground truth:

- a region (layer, offsets, label) or argument (trigger, role, entity) every annotator marked is
  kept as it is;
- every conflict is kept too, with the annotators' versions in the region's ``meta`` (shown in the
  editor's region details), one line per conflict, e.g.
  ``conflict: ann 3: GPE; ann 5: LOC; ann 7: (none)``. Annotators are named by user id and listed
  in id order. Same offsets with different labels give one region labelled with the majority
  label (the first annotator's on a tie); a span only some marked is kept, and an annotator who
  marked an overlapping span instead is listed as ``ann 5: other span "Kherson" [14:21] GPE``;
  an argument only some marked or with different roles is kept with the majority role (the first
  annotator's on a tie) and noted on its trigger region
  (``conflict: argument "Kherson" [14:21]: ann 3: Place; ann 5: Target; ann 7: (none)``).

Region ids derive from the document id, layer, offsets and label, so a re-run gives the same ids;
regions carry the ``origin`` of the agreeing votes, so the gold export keeps their provenance.

Idempotent: the existing ground-truth annotation by the connected user is updated only if the
merge changed, and only if an annotator changed their annotation after it was written and it
still holds only regions with adjudication ids: otherwise someone (a reviewer, possibly with the
same account) edited it, and it is left alone like a ground-truth annotation by another user.
Tasks whose annotators agree get no adjudication annotation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from annotate.document import Document, Origin
from annotate.errors import StudioError
from annotate.export.gold import annotation_order, annotator_id
from annotate.labelstudio import region_id
from annotate.labelstudio.labelconfig import ENTITY_CONTROL, EVENT_CONTROL
from annotate.labelstudio.reader import SpanProblem, result_to_document
from annotate.labelstudio.tasks import labels_item, relation_item
from annotate.labelstudio.validation import prediction_problems
from annotate.schema import Schema

MODEL_VERSION = "adjudication"
_LAYERS = (ENTITY_CONTROL, EVENT_CONTROL)

Position = tuple[str, int, int]  # layer, start, end


@dataclass
class AdjudicationReport:
    """What ``adjudicate`` did. Each task with two or more annotators counts in exactly one of
    ``created``, ``updated``, ``unchanged`` (its adjudication annotation), ``agreed`` (no conflict,
    no adjudication annotation) or ``skipped_reviewed`` (ground truth by someone else, or an
    adjudication edited since it was written)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    agreed: int = 0
    skipped_reviewed: int = 0
    conflicts: int = 0  # conflicting regions and arguments in the annotations written
    tasks: list[int] = field(default_factory=list)  # tasks with an up-to-date adjudication
    problems: list[SpanProblem] = field(default_factory=list)  # annotators' spans left out


@dataclass
class _Vote:
    """One annotator's latest annotation, reduced to positions, labels and roles."""

    who: str
    labels: dict[Position, list[str]] = field(default_factory=dict)
    origins: dict[tuple[Position, str], Origin | None] = field(default_factory=dict)
    roles: dict[tuple[Position, Position], list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Adjudication:
    """One merged ground-truth annotation to save: a new one, or ``annotation_id`` replaced."""

    task_id: int
    result: list[dict[str, Any]]
    annotation_id: int | None


def adjudicate_tasks(
    tasks: Iterable[dict[str, Any]], schema: Schema, me: int, save: Callable[[Adjudication], None]
) -> AdjudicationReport:
    """Decide, task by task, the merged ground-truth annotation of ``me`` and ``save`` it.

    Args:
        tasks: Snapshot tasks, with every annotation.
        schema: The schema the annotations are read with and the merge is validated against.
        me: User id of the adjudicator (its earlier adjudications are recognised by it).
        save: Writes one adjudication (a failure stops here; the tasks before it are saved).

    Raises:
        StudioError: a merged result does not fit the text and the schema (``check_merged``:
            nothing is saved for that task).
        ExportError: a task has no text.
    """
    report = AdjudicationReport()
    for task in tasks:
        _adjudicate_task(task, schema, me, report, save)
    return report


def check_merged(task: dict[str, Any], result: list[dict[str, Any]], schema: Schema) -> None:
    """Raise ``StudioError`` naming the task if a merged result does not fit its text and the schema.

    The merge is built from spans that passed the same checks, so this guards against a fault
    in the merge itself: nothing that fails it is ever sent.
    """
    problems = prediction_problems(task, {"result": result, "model_version": MODEL_VERSION}, schema)
    if problems:
        doc_id = (task.get("data") or {}).get("doc_id")
        raise StudioError(
            f"task {task.get('id')} (doc {doc_id}): the adjudicated result does not fit the text and the "
            f"schema, not sent: {'; '.join(problems)}"
        )


def _adjudicate_task(
    task: dict[str, Any],
    schema: Schema,
    me: int,
    report: AdjudicationReport,
    save: Callable[[Adjudication], None],
) -> None:
    annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
    done = sorted((a for a in annotations if not a.get("was_cancelled")), key=annotation_order)
    mine = [a for a in done if a.get("ground_truth") and _user(a) == me]
    votes = [a for a in done if not (a.get("ground_truth") and _user(a) == me)]
    latest = {annotator_id(a): a for a in votes}  # time order: each annotator's last one wins
    if len(latest) < 2:
        return
    if any(a.get("ground_truth") for a in votes):
        report.skipped_reviewed += 1
        return
    ordered = [latest[who] for who in sorted(latest, key=_annotator_key)]
    documents = [_read(task, annotation, schema, report) for annotation in ordered]
    doc_id = documents[0].article.id
    voters = [_vote(document, annotator_id(a)) for document, a in zip(documents, ordered, strict=True)]
    result, conflicts = _merge(doc_id, documents[0].article.text, voters)
    existing = mine[-1] if mine else None
    if existing is None and not conflicts:
        report.agreed += 1
        return
    task_id = int(task["id"])
    if existing is not None and existing.get("result") == result:
        report.unchanged += 1
        report.tasks.append(task_id)
        return
    if existing is not None and not _still_ours(existing, ordered, doc_id, me):
        report.skipped_reviewed += 1
        return
    check_merged(task, result, schema)
    save(Adjudication(task_id, result, None if existing is None else int(existing["id"])))
    report.created += existing is None
    report.updated += existing is not None
    report.conflicts += conflicts
    report.tasks.append(task_id)


def _merge(doc_id: str, text: str, votes: Sequence[_Vote]) -> tuple[list[dict[str, Any]], int]:
    """The merged result of ``votes`` (first annotator first) and how many conflicts it holds."""
    positions = sorted({p for v in votes for p in v.labels}, key=lambda p: (_LAYERS.index(p[0]), p[1], p[2]))
    regions: dict[Position, list[dict[str, Any]]] = {}
    notes: dict[Position, list[str]] = {}
    conflicts = 0
    for position in positions:
        versions = [v.labels.get(position, []) for v in votes]
        labels = versions[0]
        if any(sorted(version) != sorted(labels) for version in versions):
            labels = [_pick(versions)]
            notes.setdefault(position, []).append(
                "conflict: " + "; ".join(f"ann {v.who}: {_describe(v, position, text)}" for v in votes)
            )
            conflicts += 1
        layer, start, end = position
        regions[position] = [
            labels_item(doc_id, layer, label, start, end, text, _origins(votes, position, label))
            for label in sorted(labels)
        ]
    relations: list[dict[str, Any]] = []
    for trigger, entity in sorted({pair for v in votes for pair in v.roles}):
        versions = [v.roles.get((trigger, entity), []) for v in votes]
        roles = sorted(versions[0])
        if any(sorted(version) != roles for version in versions):
            roles = [_pick(versions)]
            listed = "; ".join(
                f"ann {v.who}: {'+'.join(r) or '(none)'}" for v, r in zip(votes, versions, strict=True)
            )
            notes.setdefault(trigger, []).append(f"conflict: argument {_quote(text, entity)}: {listed}")
            conflicts += 1
        relations += [relation_item(regions[trigger][0]["id"], regions[entity][0]["id"], r) for r in roles]
    for position, lines in notes.items():
        regions[position][0]["meta"] = {"text": ["\n".join(lines)]}
    return [region for position in positions for region in regions[position]] + relations, conflicts


def _vote(document: Document, who: str) -> _Vote:
    """The positions, labels, origins and arguments of one annotator's document."""
    vote = _Vote(who)
    spans = [(ENTITY_CONTROL, s, s.label) for s in document.entities]
    spans += [(EVENT_CONTROL, e.trigger, e.type) for e in document.events]
    for layer, span, label in spans:
        position = (layer, span.start, span.end)
        vote.labels.setdefault(position, []).append(label)
        vote.origins[(position, label)] = span.origin
    for event in document.events:
        trigger = (EVENT_CONTROL, event.trigger.start, event.trigger.end)
        for argument in event.arguments:
            filler = document.entity(argument.span_id)
            pair = (trigger, (ENTITY_CONTROL, filler.start, filler.end))
            if argument.role not in vote.roles.setdefault(pair, []):
                vote.roles[pair].append(argument.role)
    return vote


def _pick(versions: Iterable[list[str]]) -> str:
    """The value most annotators chose; on a tie, the one the first of them chose."""
    order = [value for version in versions for value in version]
    counts = Counter(value for version in versions for value in set(version))
    return max(dict.fromkeys(order), key=lambda value: counts[value])


def _describe(vote: _Vote, position: Position, text: str) -> str:
    """What one annotator marked at ``position``: its labels, overlapping spans, or ``(none)``."""
    if position in vote.labels:
        return "+".join(vote.labels[position])
    layer, start, end = position
    overlapping = [
        f"other span {_quote(text, other)} {'+'.join(labels)}"
        for other, labels in sorted(vote.labels.items())
        if other[0] == layer and other[1] < end and start < other[2]
    ]
    return ", ".join(overlapping) or "(none)"


def _quote(text: str, position: Position) -> str:
    _, start, end = position
    return f'"{text[start:end]}" [{start}:{end}]'


def _origins(votes: Sequence[_Vote], position: Position, label: str) -> list[Origin | None]:
    """Where each annotator's span with this position and label came from (those who marked it)."""
    return [v.origins[(position, label)] for v in votes if (position, label) in v.origins]


def _still_ours(existing: dict[str, Any], votes: Sequence[dict[str, Any]], doc_id: str, me: int) -> bool:
    """Whether the adjudication may be replaced: an annotator changed since, and nobody edited it."""
    if existing.get("updated_by") not in (None, me):
        return False  # someone else saved it
    if max(annotation_order(vote)[0] for vote in votes) <= annotation_order(existing)[0]:
        return False  # the votes did not change, yet the merge differs: the adjudication was edited
    for item in existing.get("result") or []:
        if not isinstance(item, dict) or item.get("type") == "relation":
            continue
        value: dict[str, Any] = item.get("value") or {}
        layer = f"{item.get('from_name')}|{(value.get('labels') or [None])[0]}"
        if item.get("id") != region_id(doc_id, layer, value.get("start", -1), value.get("end", -1)):
            return False
    return True


def _read(
    task: dict[str, Any], annotation: dict[str, Any], schema: Schema, report: AdjudicationReport
) -> Document:
    """One annotation as a document; the spans that cannot be read go to ``report.problems``."""
    predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    parent = annotation.get("parent_prediction")
    predictions.sort(key=lambda p: parent is None or p.get("id") != parent)  # stable: parent first
    who = annotator_id(annotation)
    document, problems = result_to_document(
        task, list(annotation.get("result") or []), schema, annotator=who, predictions=predictions
    )
    prefix = f"annotation {annotation.get('id')} by annotator {who}: "
    report.problems += [replace(p, what=prefix + p.what) for p in problems]
    return document


def _user(annotation: dict[str, Any]) -> int | None:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("id")
    return who if type(who) is int else None


def _annotator_key(who: str) -> tuple[int, int, str]:
    return (0, int(who), "") if who.isdigit() else (1, 0, who)
