"""Translate the internal model to Label Studio task JSON (the one module that builds ``result`` lists).

Region ids are derived from the document id, the layer and the offsets, so a re-run of the same
model over the same article produces the same ids; an argument is a relation from the trigger
region to the entity region, labelled with the role.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from annotate.articles import text_hash
from annotate.document import Document, Origin, Span
from annotate.errors import AlignmentError
from annotate.labelstudio.labelconfig import (
    ENTITY_CONTROL,
    EVENT_CONTROL,
    MENTION_CONTROL,
    RESERVED_DATA_KEYS,
    TEXT_NAME,
)
from annotate.labelstudio.validation import task_problems
from annotate.schema import Schema


def region_id(doc_id: str, layer: str, start: int, end: int) -> str:
    """Stable, unique id of a region: the same span of the same document always gets it."""
    digest = hashlib.sha1(f"{doc_id}|{layer}|{start}|{end}".encode()).hexdigest()[:10]
    return f"{layer[:2]}{digest}"


def task_data(document: Document, schema: Schema) -> dict[str, Any]:
    """The ``data`` of a task: text, identity (doc id + text hash), schema version and metadata."""
    article = document.article
    data: dict[str, Any] = {
        "text": article.text,
        "doc_id": article.id,
        "text_hash": text_hash(article.text),
        "schema_version": schema.version,
    }
    if article.offsets.points:  # the input's offsets, for mapping spans back to it
        data["source_offsets"] = article.offsets.as_list()
    for key, value in article.meta.items():
        data[f"meta_{key}" if key in RESERVED_DATA_KEYS else key] = value
    return data


class TaskBuilder:
    """Build Label Studio tasks with predictions from documents, checked against text and schema."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def prediction(self, document: Document) -> dict[str, Any]:
        """The prediction of one document: its regions, relations, score and model version."""
        doc_id, text = document.article.id, document.article.text
        result: list[dict[str, Any]] = []
        ids: dict[str, str] = {}
        for layer, spans in (
            (ENTITY_CONTROL, document.entities),
            (EVENT_CONTROL, [event.trigger for event in document.events]),
        ):
            for span in spans:
                ids[span.id] = region_id(doc_id, layer, span.start, span.end)
                result.append(_region(ids[span.id], layer, span, text, doc_id))
                if layer == ENTITY_CONTROL and span.mention is not None:
                    result.append(mention_item(ids[span.id], span))
        for event in document.events:
            for argument in event.arguments:
                result.append(relation_item(ids[event.trigger.id], ids[argument.span_id], argument.role))
        scores = [r["score"] for r in result if "score" in r]
        return {
            "model_version": document.model_version or "",
            "score": round(sum(scores) / len(scores), 4) if scores else 0.0,
            "result": result,
        }

    def task(self, document: Document, *, validate: bool = True) -> dict[str, Any]:
        """A Label Studio task for ``document`` with its prediction.

        Raises:
            AlignmentError: a region does not fit the text, or a label or role is not the schema's
                (``annotate.labelstudio.validation``).
        """
        task = {"data": task_data(document, self.schema), "predictions": [self.prediction(document)]}
        if validate:
            problems = task_problems(task, self.schema)
            if problems:
                raise AlignmentError(
                    f"article {document.article.id} ({document.article.source}): the prediction does not "
                    f"fit the text and the schema: {'; '.join(problems)}"
                )
        return task


def relation_item(from_id: str, to_id: str, role: str) -> dict[str, Any]:
    """An argument: a relation from the trigger region to the entity region, labelled with the role."""
    return {"type": "relation", "from_id": from_id, "to_id": to_id, "direction": "right", "labels": [role]}


def labels_item(
    doc_id: str,
    layer: str,
    label: str,
    start: int,
    end: int,
    text: str,
    origins: Iterable[Origin | None] = (),
) -> dict[str, Any]:
    """A labelled region of an annotation (id ``region_id(doc_id, "layer|label", ...)``), its
    ``origin`` told by where its annotators' spans came from: every one a prediction accepted as it
    was → ``prediction``; some predicted, some not or edited → ``prediction-changed``; none
    predicted → ``manual`` (what Label Studio writes, and ``annotate.labelstudio.reader`` reads)."""
    found = set(origins)
    predicted = found & {"prediction", "edited"}
    origin = "manual" if not predicted else "prediction" if found == {"prediction"} else "prediction-changed"
    return {
        "id": region_id(doc_id, f"{layer}|{label}", start, end),
        "from_name": layer,
        "to_name": TEXT_NAME,
        "type": "labels",
        "origin": origin,
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }


def mention_item(region: str, span: Span) -> dict[str, Any]:
    """The per-region choice that says whether an entity region is a name or a nominal mention."""
    value = {"start": span.start, "end": span.end, "text": span.text, "choices": [span.mention]}
    return {
        "id": region,
        "from_name": MENTION_CONTROL,
        "to_name": TEXT_NAME,
        "type": "choices",
        "value": value,
    }


def _region(region: str, layer: str, span: Span, text: str, doc_id: str) -> dict[str, Any]:
    if not (0 <= span.start < span.end <= len(text)) or text[span.start : span.end] != span.text:
        raise AlignmentError(
            f"article {doc_id}: span {span.id} [{span.start}:{span.end}] {span.text!r} does not match "
            f"the text there ({text[span.start : span.end]!r}); offsets must index the normalised text"
        )
    item: dict[str, Any] = {
        "id": region,
        "from_name": layer,
        "to_name": TEXT_NAME,
        "type": "labels",
        "value": {"start": span.start, "end": span.end, "text": span.text, "labels": [span.label]},
    }
    if span.score is not None:
        item["score"] = span.score
    return item
