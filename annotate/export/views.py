"""The two views of a ``Document`` in the dataset: a span row per article and BIO rows per sentence.

``document_row`` is lossless: every span, overlapping or not, with its provenance. ``token_rows``
cannot be: BIO holds at most one span per token and layer, and only spans on token boundaries
inside one sentence. What it has to change or leave out is returned as ``AlignmentIssue`` s,
never silently lost:

* a span whose offsets are not token boundaries is *snapped* to the tokens lying wholly inside it
  when those cover at least half of its characters, else *dropped*;
* of two overlapping spans of one layer, the longer is kept (ties: the one starting first, then
  the one listed first) and the other is dropped;
* a span crossing a sentence boundary is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan

from annotate.document import Document, Span
from annotate.errors import ExportError
from annotate.export.features import DOCUMENT_COLUMNS, OUTSIDE
from annotate.pipeline import load_model

SENTENCE_COMPONENT = "senter"
#: A snapped span must keep at least this share of the characters of the annotated span.
MIN_SNAP_COVERAGE = 0.5


@dataclass(frozen=True)
class AlignmentIssue:
    """A span that ``token_rows`` snapped to token boundaries or left out of the BIO tags.

    ``layer`` is ``"entities"`` or ``"triggers"``; for triggers ``span_id`` is the event id.
    ``what`` starts with ``"snapped to"`` or ``"dropped:"`` and says why.
    """

    doc_id: str
    span_id: str
    layer: str
    what: str


@dataclass(frozen=True)
class _Aligned:
    span_id: str
    label: str
    tokens: tuple[int, ...]  # indices of the non-whitespace spaCy tokens the span covers
    start: int
    end: int
    order: int


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
    row: dict[str, Any] = {"id": article.id, "text": article.text}
    for key in meta_keys:
        if key in DOCUMENT_COLUMNS:
            raise ExportError(f"article metadata key {key!r} collides with the dataset column {key!r}")
        row[key] = article.meta.get(key)
    entities = sorted(doc.entities, key=lambda s: (s.start, s.end, s.label, s.id))
    row["entities"] = [
        {"id": s.id, **_offsets(doc, s, "entity"), "label": s.label, **_provenance(s)} for s in entities
    ]
    events = sorted(doc.events, key=lambda e: (e.trigger.start, e.trigger.end, e.type, e.id))
    row["events"] = []
    for event in events:
        arguments = []
        for argument in event.arguments:
            try:
                entity = doc.entity(argument.span_id)
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


def token_rows(
    docs: Iterable[Document], nlp_tokenizer: Language
) -> tuple[list[dict[str, Any]], list[AlignmentIssue]]:
    """``tokens`` rows (one per sentence, BIO tag names) and the spans that did not fit as they were.

    Sentences and tokens come from ``nlp_tokenizer`` (see ``load_tokenizer``). Whitespace-only
    tokens are left out of ``tokens``, ``token_starts`` and the tags alike; sentences left empty
    are skipped, and ``sent_id`` counts the remaining sentences of a document from 0.
    ``token_starts`` are character (code point) offsets into the article text.
    """
    documents = list(docs)
    rows: list[dict[str, Any]] = []
    issues: list[AlignmentIssue] = []
    texts = (document.article.text for document in documents)
    for document, sdoc in zip(documents, nlp_tokenizer.pipe(texts), strict=True):
        text = document.article.text  # == sdoc.text, which spaCy rebuilds from every token per call
        sentence_of = [0] * len(sdoc)
        for index, sentence in enumerate(sdoc.sents):
            for token in sentence:
                sentence_of[token.i] = index
        layers = (
            ("entities", [(s.id, s.label, s) for s in document.entities]),
            ("triggers", [(e.id, e.type, e.trigger) for e in document.events]),
        )
        tags: dict[str, list[str]] = {}
        for layer, spans in layers:
            aligned = []
            for order, (span_id, label, span) in enumerate(spans):
                found, issue = _align(
                    sdoc, text, sentence_of, _Aligned(span_id, label, (), span.start, span.end, order)
                )
                if issue is not None:
                    issues.append(AlignmentIssue(document.article.id, span_id, layer, issue))
                if found is not None:
                    aligned.append(found)
            kept, dropped = _without_overlaps(aligned, text)
            issues += [AlignmentIssue(document.article.id, span_id, layer, what) for span_id, what in dropped]
            tags[layer] = _bio(kept, len(sdoc))
        sent_id = 0
        for sentence in sdoc.sents:
            tokens = [token for token in sentence if not token.is_space]
            if not tokens:
                continue
            rows.append(
                {
                    "doc_id": document.article.id,
                    "sent_id": sent_id,
                    "tokens": [token.text for token in tokens],
                    "token_starts": [token.idx for token in tokens],
                    "ner_tags": [tags["entities"][token.i] for token in tokens],
                    "trigger_tags": [tags["triggers"][token.i] for token in tokens],
                }
            )
            sent_id += 1
    return rows, issues


def _align(
    sdoc: Doc, text: str, sentence_of: list[int], span: _Aligned
) -> tuple[_Aligned | None, str | None]:
    """The span on token boundaries (``None`` if dropped) and the issue, if any, to report.

    ``text`` is ``sdoc.text``, passed in: ``Doc.text`` rebuilds the string from every token.
    """
    where = f"[{span.start}, {span.end})"
    if not 0 <= span.start < span.end <= len(text):
        return None, f"dropped: offsets {where} fall outside the text (length {len(text)})"
    quoted = f"{where} {text[span.start : span.end]!r}"
    issue = None
    tokens: SpacySpan | None = sdoc.char_span(span.start, span.end, alignment_mode="strict")
    if tokens is None:
        tokens = sdoc.char_span(span.start, span.end, alignment_mode="contract")
        covered = 0 if tokens is None else tokens.end_char - tokens.start_char
        if tokens is None or len(tokens) == 0 or covered < MIN_SNAP_COVERAGE * (span.end - span.start):
            return None, (
                f"dropped: {quoted} does not start and end on token boundaries, and the tokens "
                f"wholly inside it cover less than {MIN_SNAP_COVERAGE:.0%} of it"
            )
        issue = (
            f"snapped to [{tokens.start_char}, {tokens.end_char}) {tokens.text!r}: {quoted} "
            "does not start and end on token boundaries"
        )
    indices = tuple(token.i for token in tokens if not token.is_space)
    if not indices:
        return None, f"dropped: {quoted} covers only whitespace"
    if sentence_of[indices[0]] != sentence_of[indices[-1]]:
        return None, f"dropped: {quoted} crosses a sentence boundary"
    start, end = sdoc[indices[0]].idx, sdoc[indices[-1]].idx + len(sdoc[indices[-1]])
    return replace(span, tokens=indices, start=start, end=end), issue


def _without_overlaps(spans: list[_Aligned], text: str) -> tuple[list[_Aligned], list[tuple[str, str]]]:
    """Keep the longer of overlapping spans (ties: earlier start, then listed first)."""
    owner: dict[int, _Aligned] = {}
    kept: list[_Aligned] = []
    dropped: list[tuple[str, str]] = []
    for span in sorted(spans, key=lambda s: (s.start - s.end, s.start, s.order)):
        clash = next((owner[i] for i in span.tokens if i in owner), None)
        if clash is None:
            kept.append(span)
            owner.update(dict.fromkeys(span.tokens, span))
            continue
        dropped.append(
            (
                span.span_id,
                f"dropped: [{span.start}, {span.end}) {text[span.start : span.end]!r} ({span.label}) "
                f"overlaps {clash.span_id!r} [{clash.start}, {clash.end}) "
                f"{text[clash.start : clash.end]!r} ({clash.label}), which is kept as the longer "
                "or earlier span (BIO tags hold one span per token)",
            )
        )
    return kept, dropped


def _bio(spans: Iterable[_Aligned], length: int) -> list[str]:
    tags = [OUTSIDE] * length
    for span in spans:
        first, *rest = span.tokens
        tags[first] = f"B-{span.label}"
        for index in rest:
            tags[index] = f"I-{span.label}"
    return tags
