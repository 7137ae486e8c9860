"""Read Label Studio results back into the internal model (the reading side of ``labelstudio``).

Regions of the ``entity`` control become entities, regions of the ``event`` control become event
triggers (the label is the event type), and relations from an event region to an entity region
become arguments (the relation label is the role). Span ids in the ``Document`` are the region ids.

Every span is checked, and whatever fails a check is left out of the document and listed as a
``SpanProblem``, never dropped silently and never repaired by guessing:

- offsets are integers with ``0 <= start < end <= len(text)``; the span text is recomputed as
  ``text[start:end]`` (Label Studio may lose whitespace in ``value.text``: a ``value.text`` that
  differs from the recomputed text only in whitespace is accepted, any other difference is not);
- a region has exactly one label, one the schema has for its control; an unknown ``from_name``
  is a problem; two regions with the same id, or the same span and label twice, are problems;
- a relation has exactly one role label; both its ends exist; it goes from an event region to an
  entity region (``direction: "left"`` draws the arrow from ``to_id`` to ``from_id``, so the ends
  are read in that order); the role is one the event type allows, and accepts the entity's label.
  A relation to a region that was left out is listed as well. Identical relations are kept once.

Provenance of a span: the region's ``origin`` (``prediction`` → ``prediction``,
``prediction-changed`` → ``edited``, ``manual`` → ``manual``); without one, the region is compared
with the task's predictions: same id and same value (control, offsets, labels) → ``prediction``,
same id but another value → ``edited``, otherwise ``origin_default`` (``manual``).
``model_version`` is that of the prediction the region came from.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from annotate.articles import text_hash
from annotate.document import MENTIONS, Argument, Article, Document, Event, Origin, Span
from annotate.errors import ExportError
from annotate.labelstudio.labelconfig import (
    ENTITY_CONTROL,
    EVENT_CONTROL,
    MENTION_CONTROL,
    RESERVED_DATA_KEYS,
)
from annotate.offsets import OffsetMap
from annotate.schema import Schema

_ORIGINS: dict[str, Origin] = {"prediction": "prediction", "prediction-changed": "edited", "manual": "manual"}

#: Decides (origin, model_version) of one region item.
Provenance = Callable[[dict[str, Any]], tuple[Origin, str | None]]


@dataclass(frozen=True)
class SpanProblem:
    """A region or relation that could not be read, left out of the document."""

    task_id: int | None
    doc_id: str
    region_id: str | None
    what: str


def task_article(task: dict[str, Any]) -> Article:
    """The article of a task: ``data.text``, ``data.doc_id`` and the other data keys as metadata.

    A task without ``doc_id`` (not made by annotate) gets the id annotate would give its text.

    Raises:
        ExportError: the task has no text.
    """
    data = task.get("data")
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(text, str):
        raise ExportError(
            f"task {task.get('id')}: no data.text; is this a snapshot written by `annotate pull`?"
        )
    doc_id = data.get("doc_id")
    meta: dict[str, str] = {}
    for key, value in data.items():
        if key in RESERVED_DATA_KEYS or value is None:
            continue
        original = key.removeprefix("meta_")
        text_value = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        meta[original if original in RESERVED_DATA_KEYS else key] = text_value
    article_id = str(doc_id) if doc_id not in (None, "") else text_hash(text)
    offsets = data.get("source_offsets")
    mapping = OffsetMap()
    if isinstance(offsets, list) and all(
        isinstance(p, list) and len(p) == 2 and all(type(v) is int for v in p) for p in offsets
    ):
        mapping = OffsetMap.from_list(offsets)
    return Article(article_id, text, meta, source=f"task {task.get('id')}", offsets=mapping)


def result_to_document(
    task: dict[str, Any],
    result: list[dict[str, Any]],
    schema: Schema,
    *,
    annotator: str | None = None,
    timestamp: str | None = None,
    predictions: Sequence[dict[str, Any]] = (),
    origin_default: Origin = "manual",
) -> tuple[Document, list[SpanProblem]]:
    """Read one annotation ``result`` of ``task`` into a ``Document`` and the problems found.

    Args:
        task: The task (its ``data`` gives the article).
        result: The annotation's result list (regions and relations).
        schema: The schema the labels and roles are checked against.
        annotator: Who made the annotation, set on every span.
        timestamp: When (ISO 8601), set on every span.
        predictions: Predictions to compare regions without an ``origin`` field with; searched in
            the given order (put the annotation's parent prediction first), the first match wins.
        origin_default: Origin of a region without ``origin`` field that matches no prediction.

    Raises:
        ExportError: the task has no text.
    """

    by_id: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for prediction in predictions:
        for region in _regions(prediction):
            by_id.setdefault(str(region.get("id")), []).append((prediction, region))

    def provenance(item: dict[str, Any]) -> tuple[Origin, str | None]:
        same_id = by_id.get(str(item.get("id")), [])
        identical = [prediction for prediction, region in same_id if _same_value(region, item)]
        origin = _ORIGINS.get(str(item.get("origin")))
        if origin is None:
            origin = "prediction" if identical else "edited" if same_id else origin_default
        if origin == "manual":
            return origin, None
        sources = identical or [prediction for prediction, _ in same_id]
        if not sources:  # marked as predicted, but no prediction has its id: find it by its value
            sources = [p for p in predictions for r in _regions(p) if _same_value(r, item)]
        return origin, _version(sources[0] if sources else None)

    return _read(task, result, schema, provenance, annotator=annotator, timestamp=timestamp)


def prediction_to_document(
    task: dict[str, Any], prediction: dict[str, Any], schema: Schema, *, exact_text: bool = False
) -> tuple[Document, list[SpanProblem]]:
    """Read a prediction (silver data): every span has origin ``prediction``, scores are kept.

    With ``exact_text``, a region's ``value.text`` must equal the text at its offsets exactly
    (predictions are written by a program; annotations may lose whitespace in the editor).

    Raises:
        ExportError: the task has no text.
    """
    version = _version(prediction)
    document, problems = _read(
        task,
        list(prediction.get("result") or []),
        schema,
        lambda _: ("prediction", version),
        scores=True,
        exact_text=exact_text,
    )
    document.model_version = version
    return document, problems


def _regions(prediction: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in prediction.get("result") or [] if isinstance(r, dict) and r.get("type") != "relation"]


def _same_value(a: dict[str, Any], b: dict[str, Any]) -> bool:
    va, vb = a.get("value") or {}, b.get("value") or {}
    keys = ("start", "end", "labels")
    return bool(a.get("from_name") == b.get("from_name") and all(va.get(k) == vb.get(k) for k in keys))


def _version(prediction: dict[str, Any] | None) -> str | None:
    version = (prediction or {}).get("model_version")
    return str(version) if version else None


def _score(item: dict[str, Any]) -> float | None:
    score = item.get("score")
    return float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None


def _check_region(item: dict[str, Any], text: str, schema: Schema, exact_text: bool) -> Span | str:
    """The span of a region item (its text recomputed), or what is wrong with it."""
    layer, value = item.get("from_name"), item.get("value")
    if layer not in (ENTITY_CONTROL, EVENT_CONTROL):
        return f"unknown control from_name {layer!r}; expected {ENTITY_CONTROL!r} or {EVENT_CONTROL!r}"
    if not isinstance(value, dict):
        return "region without a value"
    start, end = value.get("start"), value.get("end")
    if type(start) is not int or type(end) is not int:
        return f"offsets must be integers, got start={start!r} end={end!r}"
    if not 0 <= start < end <= len(text):
        return f"offsets [{start}:{end}] do not fit a text of {len(text)} characters with start < end"
    given, actual = value.get("text"), text[start:end]
    if exact_text and given != actual:
        return f"value.text {given!r} is not the text at [{start}:{end}], {actual!r}"
    if isinstance(given, str) and given != actual and "".join(given.split()) != "".join(actual.split()):
        return f"value.text {given!r} does not match text[{start}:{end}] {actual!r}"
    labels = value.get("labels")
    if not isinstance(labels, list) or len(labels) != 1:
        return f"a region needs exactly one label, got {labels!r}"
    allowed = schema.entity_labels if layer == ENTITY_CONTROL else schema.event_types
    if labels[0] not in allowed:
        return f"label {labels[0]!r} is not in the schema's {layer} labels"
    return Span(str(item["id"]), start, end, str(labels[0]), actual)


def _check_relation(
    item: dict[str, Any], regions: dict[str, tuple[str, Span]], left_out: set[str], schema: Schema
) -> Argument | str:
    """The argument a relation item makes (``from_id``/``to_id`` already oriented), or what is wrong."""
    from_id, to_id, labels = str(item["from_id"]), str(item["to_id"]), item.get("labels")
    if not isinstance(labels, list) or len(labels) != 1:
        return f"a relation needs exactly one role label, got {labels!r}"
    role = str(labels[0])
    for end in (from_id, to_id):
        if end not in regions:
            return f"relation {role!r}: region {end} " + (
                "was left out (see its problem)" if end in left_out else "does not exist"
            )
    (from_layer, trigger), (to_layer, entity) = regions[from_id], regions[to_id]
    if (from_layer, to_layer) != (EVENT_CONTROL, ENTITY_CONTROL):
        return (
            f"relation {role!r} goes from an {from_layer} region to an {to_layer} region; "
            "an argument goes from an event trigger to an entity"
        )
    roles = schema.event(trigger.label).roles
    if role not in roles:
        return f"role {role!r} is not a role of {trigger.label} (roles: {', '.join(roles)})"
    if entity.label not in roles[role]:
        accepts = ", ".join(roles[role])
        return f"role {role!r} of {trigger.label} does not accept a {entity.label} (accepts: {accepts})"
    return Argument(role, to_id, _score(item))


def _apply_mention(
    item: dict[str, Any], regions: dict[str, tuple[str, Span]], left_out: set[str]
) -> str | None:
    """Set the mention type an item gives its entity region; what is wrong with it, if anything."""
    rid = str(item.get("id"))
    value = item.get("value")
    choices = value.get("choices") if isinstance(value, dict) else None
    if not isinstance(choices, list) or len(choices) != 1 or choices[0] not in MENTIONS:
        return f"a mention is one of {', '.join(MENTIONS)}, got {choices!r}"
    if rid in left_out:
        return None  # its region's own problem is listed
    layer, span = regions.get(rid, ("", None))
    if span is None or layer != ENTITY_CONTROL:
        return "a mention choice belongs to an entity region of the same id, and there is none"
    span.mention = choices[0]
    return None


def _read(
    task: dict[str, Any],
    result: list[dict[str, Any]],
    schema: Schema,
    provenance: Provenance,
    *,
    annotator: str | None = None,
    timestamp: str | None = None,
    scores: bool = False,
    exact_text: bool = False,
) -> tuple[Document, list[SpanProblem]]:
    article = task_article(task)
    task_id = task.get("id") if type(task.get("id")) is int else None
    problems: list[SpanProblem] = []
    items = [item for item in result if isinstance(item, dict)]
    mentions = [item for item in items if item.get("from_name") == MENTION_CONTROL]
    region_items = [
        item for item in items if item.get("type") != "relation" and item.get("from_name") != MENTION_CONTROL
    ]
    counts = Counter(str(item.get("id")) for item in region_items)
    regions: dict[str, tuple[str, Span]] = {}
    left_out: set[str] = set()
    seen: dict[tuple[str, int, int, str], str] = {}
    for item in region_items:
        rid = str(item["id"]) if item.get("id") not in (None, "") else None
        found = _check_region(item, article.text, schema, exact_text) if rid else "region without an id"
        if rid is not None and counts[rid] > 1:
            found = f"{counts[rid]} regions share this id"
        elif isinstance(found, Span):
            key = (str(item["from_name"]), found.start, found.end, found.label)
            if key in seen:
                found = f"the same {key[0]} span and label as region {seen[key]}"
            else:
                seen[key] = found.id
        if isinstance(found, str):
            if rid is None or rid not in left_out:
                problems.append(SpanProblem(task_id, article.id, rid, found))
            left_out.add(rid or "")
            continue
        found.origin, found.model_version = provenance(item)
        found.annotator, found.timestamp = annotator, timestamp
        found.score = _score(item) if scores else None
        regions[found.id] = (str(item["from_name"]), found)
    for item in mentions:
        problem = _apply_mention(item, regions, left_out)
        if problem is not None:
            problems.append(SpanProblem(task_id, article.id, str(item.get("id")), problem))
    arguments: dict[str, list[Argument]] = {}
    for item in items:
        if item.get("type") != "relation":
            continue
        from_id, to_id = item.get("from_id"), item.get("to_id")
        if item.get("direction") == "left":  # the arrow is drawn from to_id to from_id
            from_id, to_id = to_id, from_id
        item = {**item, "from_id": from_id, "to_id": to_id}
        argument = _check_relation(item, regions, left_out, schema)
        if isinstance(argument, str):
            problems.append(SpanProblem(task_id, article.id, f"{from_id}->{to_id}", argument))
        elif argument not in arguments.setdefault(str(from_id), []):
            arguments[str(from_id)].append(argument)
    spans = sorted(regions.values(), key=lambda pair: (pair[1].start, pair[1].end, pair[1].label))
    entities = [span for layer, span in spans if layer == ENTITY_CONTROL]
    events = [
        Event(span.id, span.label, span, arguments.get(span.id, []))
        for layer, span in spans
        if layer == EVENT_CONTROL
    ]
    return Document(article, entities, events), problems
