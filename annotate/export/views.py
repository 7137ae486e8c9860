"""The two views of a ``Document`` in the dataset: a span row per article and BIO rows per sentence.

``document_row`` is lossless: every span, overlapping or not, with its provenance. The BIO rows
(``token_rows``, in ``annotate.export.tokenview``) cannot be; what they change or leave out is
reported as ``AlignmentIssue`` s. ``load_tokenizer`` gives the spaCy pipeline they are cut with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spacy.language import Language

from annotate.document import Document, Span
from annotate.errors import ExportError
from annotate.export.tokenview import AlignmentIssue, TagIds, iter_token_rows, token_rows
from annotate.pipeline import load_model

__all__ = ["AlignmentIssue", "TagIds", "document_row", "iter_token_rows", "load_tokenizer", "token_rows"]

SENTENCE_COMPONENT = "senter"
#: Columns of the ``documents`` configuration besides the metadata columns.
DOCUMENT_COLUMNS = ("id", "text", "annotator", "entities", "events")


def load_tokenizer(model: str | None = None) -> Language:
    """The pre-annotator's spaCy pipeline cut down to its tokenizer and sentence splitter.

    Loads ``model`` with ``annotate.pipeline.load_model`` (same default and fallback as the
    pre-annotator), keeps only ``senter`` (enabled; ``en_core_web_sm`` ships it disabled) and any
    embedding layer it listens to, and falls back to a rule-based ``sentencizer`` when the model
    has no ``senter``.

    Raises:
        ModelError: the model cannot be loaded.
    """
    nlp = load_model(model)
    keep = set()
    if SENTENCE_COMPONENT in nlp.component_names:
        keep.add(SENTENCE_COMPONENT)
        keep |= {
            name
            for name, component in nlp.components
            if SENTENCE_COMPONENT in getattr(component, "listening_components", ())
        }
    for name in list(nlp.component_names):
        if name not in keep:
            nlp.remove_pipe(name)
    if SENTENCE_COMPONENT in keep:
        if SENTENCE_COMPONENT in nlp.disabled:
            nlp.enable_pipe(SENTENCE_COMPONENT)
    else:
        nlp.add_pipe("sentencizer")
    return nlp


def document_row(doc: Document, meta_keys: Sequence[str]) -> dict[str, Any]:
    """One ``documents`` row: text, metadata, entities and events sorted by ``(start, end)``.

    Missing metadata and provenance become ``None``; labels stay names (``datasets`` encodes them
    with the ``ClassLabel`` s). Each argument carries its entity span's offsets and text.

    Raises:
        ExportError: a span's offsets fall outside the text or its text is not the text at its
            offsets, an argument points to an entity the document does not have, or a metadata
            key collides with a fixed column.
    """
    article = doc.article
    row: dict[str, Any] = {"id": article.id, "text": article.text, "annotator": doc.annotator}
    for key in meta_keys:
        if key in DOCUMENT_COLUMNS:
            raise ExportError(f"article metadata key {key!r} collides with the dataset column {key!r}")
        row[key] = article.meta.get(key)
    entities = sorted(doc.entities, key=lambda s: (s.start, s.end, s.label, s.id))
    row["entities"] = [
        {"id": s.id, **_offsets(doc, s, "entity"), "label": s.label, "mention": s.mention, **_provenance(s)}
        for s in entities
    ]
    events = sorted(doc.events, key=lambda e: (e.trigger.start, e.trigger.end, e.type, e.id))
    by_id = {span.id: span for span in doc.entities}
    row["events"] = []
    for event in events:
        arguments = []
        for argument in event.arguments:
            try:
                entity = by_id[argument.span_id]
            except KeyError:
                raise ExportError(
                    f"document {article.id!r}: event {event.id!r} has a {argument.role!r} argument "
                    f"pointing to entity {argument.span_id!r}, which the document does not have"
                ) from None
            arguments.append(
                {"role": argument.role, "entity_id": entity.id, **_offsets(doc, entity, "entity")}
            )
        arguments.sort(key=lambda a: (a["start"], a["end"], a["role"], a["entity_id"]))
        trigger = {
            **_offsets(doc, event.trigger, f"trigger of event {event.id!r}"),
            **_provenance(event.trigger),
        }
        row["events"].append({"id": event.id, "type": event.type, "trigger": trigger, "arguments": arguments})
    return row


def _offsets(doc: Document, span: Span, what: str) -> dict[str, Any]:
    text = doc.article.text
    if not 0 <= span.start < span.end <= len(text):
        raise ExportError(
            f"document {doc.article.id!r}: {what} {span.id!r} has offsets [{span.start}, {span.end}) "
            f"outside the text (length {len(text)})"
        )
    if text[span.start : span.end] != span.text:
        raise ExportError(
            f"document {doc.article.id!r}: {what} {span.id!r} has text {span.text!r} but the text at "
            f"[{span.start}, {span.end}) is {text[span.start : span.end]!r}"
        )
    return {"start": span.start, "end": span.end, "text": span.text}


def _provenance(span: Span) -> dict[str, str | None]:
    return {
        "origin": span.origin,
        "annotator": span.annotator,
        "timestamp": span.timestamp,
        "model_version": span.model_version,
    }
