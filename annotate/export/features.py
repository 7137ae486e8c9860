"""The Hugging Face ``Features`` of the two dataset configurations, generated from the schema.

No label is written here by hand: every ``ClassLabel`` takes its names from the schema, in schema
order, so a label keeps its integer id for as long as the schema only appends labels.

* ``documents``: one row per article (``documents_features``);
* ``tokens``: one row per sentence, tags in BIO (``tokens_features``).

Lists of records use ``datasets.List`` (not ``Sequence``, which would turn a list of dicts into a
dict of lists).
"""

from __future__ import annotations

from collections.abc import Sequence

from datasets import ClassLabel, Features, List, Value

from annotate.errors import ExportError
from annotate.export.tokenview import OUTSIDE, bio_names
from annotate.export.views import DOCUMENT_COLUMNS
from annotate.schema import Schema

__all__ = ["DOCUMENT_COLUMNS", "OUTSIDE", "bio_names", "documents_features", "tokens_features"]


def _string() -> Value:
    return Value("string")


def _offset() -> Value:
    return Value("int32")


def documents_features(schema: Schema, meta_keys: Sequence[str]) -> Features:
    """Features of the ``documents`` configuration: one row per article.

    Args:
        schema: gives the entity label, event type and role names (in schema order).
        meta_keys: article metadata keys; each becomes a string column, in the given order,
            between ``annotator`` (whose annotation the row is) and ``entities``.

    Raises:
        ExportError: a metadata key is empty, repeated, or collides with a fixed column.
    """
    _check_meta_keys(meta_keys)
    provenance = {
        "origin": _string(),
        "annotator": _string(),
        "timestamp": _string(),
        "model_version": _string(),
    }
    entity = {
        "id": _string(),
        "start": _offset(),
        "end": _offset(),
        "text": _string(),
        "label": ClassLabel(names=list(schema.entity_labels)),
        "mention": _string(),
        **provenance,
    }
    trigger = {"start": _offset(), "end": _offset(), "text": _string(), **provenance}
    argument = {
        "role": ClassLabel(names=list(schema.role_names)),
        "entity_id": _string(),
        "start": _offset(),
        "end": _offset(),
        "text": _string(),
    }
    event = {
        "id": _string(),
        "type": ClassLabel(names=list(schema.event_types)),
        "trigger": trigger,
        "arguments": List(argument),
    }
    columns: dict[str, object] = {"id": _string(), "text": _string(), "annotator": _string()}
    columns.update({key: _string() for key in meta_keys})
    columns["entities"] = List(entity)
    columns["events"] = List(event)
    return Features(columns)


def tokens_features(schema: Schema) -> Features:
    """Features of the ``tokens`` configuration: one row per sentence, tags in BIO.

    ``token_starts`` holds the character offset (code points) of each token in the article text,
    so a tag can be mapped back to the ``documents`` configuration.
    """
    return Features(
        {
            "doc_id": _string(),
            "sent_id": Value("int32"),
            "tokens": List(_string()),
            "token_starts": List(_offset()),
            "ner_tags": List(ClassLabel(names=bio_names(schema.entity_labels))),
            "trigger_tags": List(ClassLabel(names=bio_names(schema.event_types))),
        }
    )


def _check_meta_keys(meta_keys: Sequence[str]) -> None:
    seen: set[str] = set()
    for key in meta_keys:
        if not key:
            raise ExportError("an article metadata key is empty; give every metadata field a name")
        if key in DOCUMENT_COLUMNS:
            raise ExportError(
                f"article metadata key {key!r} collides with the dataset column of the same name; "
                f"rename it in the input articles (reserved: {', '.join(DOCUMENT_COLUMNS)})"
            )
        if key in seen:
            raise ExportError(f"article metadata key {key!r} is listed twice")
        seen.add(key)
