"""The ``tokens`` view of a ``Document``: BIO rows per sentence, and what did not fit.

``token_rows`` cannot be lossless: BIO holds at most one span per token and layer, and only spans
on token boundaries inside one sentence. What it has to change or leave out is returned as
``AlignmentIssue`` s, never silently lost:

* a span whose offsets are not token boundaries is *snapped* to the tokens lying wholly inside it
  when those cover at least half of its characters, else *dropped*;
* of two overlapping spans of one layer, the longer is kept (ties: the one starting first, then
  the one listed first) and the other is dropped;
* a span crossing a sentence boundary is dropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from spacy.attrs import IDX, IS_SPACE, LENGTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from annotate.document import Document

#: The BIO tag of a token outside every span.
OUTSIDE = "O"
#: Texts per ``nlp.pipe`` batch: small batches keep the senter's arrays in the CPU cache.
PIPE_BATCH = 32
#: Tag name -> ``ClassLabel`` id, for the entity tags and for the trigger tags.
TagIds = tuple[dict[str, int], dict[str, int]]
_COLUMNS = [SENT_START, IS_SPACE, IDX, LENGTH]
#: A snapped span must keep at least this share of the characters of the annotated span.
MIN_SNAP_COVERAGE = 0.5


def bio_names(labels: Sequence[str]) -> list[str]:
    """BIO tag names for ``labels``: ``["O", "B-L1", "I-L1", "B-L2", "I-L2", ...]``.

    Label ``k`` (0-based) gets ids ``2k + 1`` (B) and ``2k + 2`` (I), so appending a label to the
    schema appends two tags and moves no existing id.
    """
    names = [OUTSIDE]
    for label in labels:
        names += [f"B-{label}", f"I-{label}"]
    return names


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


def token_rows(
    docs: Iterable[Document], nlp_tokenizer: Language
) -> tuple[list[dict[str, Any]], list[AlignmentIssue]]:
    """``tokens`` rows (one per sentence, BIO tag names) and the spans that did not fit as they were.

    Sentences and tokens come from ``nlp_tokenizer`` (see ``load_tokenizer``). Whitespace-only
    tokens are left out of ``tokens``, ``token_starts`` and the tags alike; sentences left empty
    are skipped, and ``sent_id`` counts the remaining sentences of a document from 0.
    ``token_starts`` are character (code point) offsets into the article text.
    """
    rows: list[dict[str, Any]] = []
    issues: list[AlignmentIssue] = []
    for found_rows, found_issues in iter_token_rows(docs, nlp_tokenizer):
        rows += found_rows
        issues += found_issues
    return rows, issues


def iter_token_rows(
    docs: Iterable[Document], nlp_tokenizer: Language, tag_ids: TagIds | None = None
) -> Iterator[tuple[list[dict[str, Any]], list[AlignmentIssue]]]:
    """``token_rows`` document by document: the rows and the issues of each, in order.

    With ``tag_ids`` (entity tag ids, trigger tag ids: tag name -> ``ClassLabel`` id) the tags
    are ids instead of names.
    """
    documents, texts = itertools.tee(docs)
    pipe = nlp_tokenizer.pipe((document.article.text for document in texts), batch_size=PIPE_BATCH)
    for document, sdoc in zip(documents, pipe, strict=True):
        yield _document_token_rows(document, sdoc, tag_ids)


def token_spans(
    document: Document, sdoc: Doc
) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """The entities and the triggers of ``document`` exactly as its ``tokens`` rows tag them: each
    ``(first token, end token, label)`` of ``sdoc`` (made by the tokenizer of ``token_rows``),
    snapped, and with overlaps and sentence-crossing spans left out, the same way; what changed
    is what ``token_rows`` reports as issues."""
    kept, _ = _kept_spans(document, _tokens(document, sdoc))
    entities, triggers = ([(s.tokens[0], s.tokens[-1] + 1, s.label) for s in layer] for layer in kept)
    return entities, triggers


def _tokens(document: Document, sdoc: Doc) -> _Tokens:
    text = document.article.text  # == sdoc.text, which spaCy rebuilds from every token per call
    columns: list[list[int]] = []
    if len(sdoc):
        columns = cast(list[list[int]], sdoc.to_array(_COLUMNS).astype(np.int64).tolist())
    sentence_of: list[int] = []
    space: list[int] = []
    starts: list[int] = []
    lengths: list[int] = []
    sentence = -1
    for i, (sent_start, is_space, idx, length) in enumerate(columns):
        sentence += i == 0 or sent_start == 1  # as Doc.sents: token 0 always starts a sentence
        sentence_of.append(sentence)
        space.append(is_space)
        starts.append(idx)
        lengths.append(length)
    first_of = dict(zip(starts, range(len(starts)), strict=True))
    last_of = {start + length: i for i, (start, length) in enumerate(zip(starts, lengths, strict=True))}
    return _Tokens(sdoc, text, sentence_of, space, starts, lengths, first_of, last_of)


def _kept_spans(document: Document, tokens: _Tokens) -> tuple[list[list[_Aligned]], list[AlignmentIssue]]:
    """Per layer (entities, triggers) the spans on token boundaries without overlaps, and the issues."""
    layers = (
        ("entities", [(s.id, s.label, s) for s in document.entities]),
        ("triggers", [(e.id, e.type, e.trigger) for e in document.events]),
    )
    issues: list[AlignmentIssue] = []
    kept_layers: list[list[_Aligned]] = []
    for layer, spans in layers:
        aligned = []
        for order, (span_id, label, span) in enumerate(spans):
            found, issue = _align(tokens, _Aligned(span_id, label, (), span.start, span.end, order))
            if issue is not None:
                issues.append(AlignmentIssue(document.article.id, span_id, layer, issue))
            if found is not None:
                aligned.append(found)
        kept, dropped = _without_overlaps(aligned, tokens.text)
        issues += [AlignmentIssue(document.article.id, span_id, layer, what) for span_id, what in dropped]
        kept_layers.append(kept)
    return kept_layers, issues


def _document_token_rows(
    document: Document, sdoc: Doc, tag_ids: TagIds | None
) -> tuple[list[dict[str, Any]], list[AlignmentIssue]]:
    tokens = _tokens(document, sdoc)
    kept, issues = _kept_spans(document, tokens)
    text, sentence_of, space = tokens.text, tokens.sentence_of, tokens.space
    starts, lengths = tokens.starts, tokens.lengths
    tags: list[list[Any]] = []
    for number, layer_spans in enumerate(kept):
        layer_tags = _bio(layer_spans, len(starts))
        tags.append(layer_tags if tag_ids is None else [tag_ids[number][tag] for tag in layer_tags])
    rows: list[dict[str, Any]] = []
    first = 0
    for last in range(1, len(starts) + 1):
        if last < len(starts) and sentence_of[last] == sentence_of[first]:
            continue
        kept_tokens = [i for i in range(first, last) if not space[i]]
        first = last
        if not kept_tokens:
            continue
        rows.append(
            {
                "doc_id": document.article.id,
                "sent_id": len(rows),
                "tokens": [text[starts[i] : starts[i] + lengths[i]] for i in kept_tokens],
                "token_starts": [starts[i] for i in kept_tokens],
                "ner_tags": [tags[0][i] for i in kept_tokens],
                "trigger_tags": [tags[1][i] for i in kept_tokens],
            }
        )
    return rows, issues


@dataclass(frozen=True)
class _Tokens:
    """A tokenized text and its per-token columns (Python lists: faster than ``Token`` objects)."""

    sdoc: Doc
    text: str
    sentence_of: list[int]
    space: list[int]
    starts: list[int]
    lengths: list[int]
    first_of: dict[int, int]  # character offset -> token starting there
    last_of: dict[int, int]  # character offset -> token ending there


def _align(tokens: _Tokens, span: _Aligned) -> tuple[_Aligned | None, str | None]:
    """The span on token boundaries (``None`` if dropped) and the issue, if any, to report.

    A span starting at a token's first character and ending at a token's last one covers those
    tokens (``Doc.char_span`` in ``strict`` mode, without making a ``Span``); any other is
    contracted to the tokens wholly inside it (``alignment_mode="contract"``).
    """
    text = tokens.text
    where = f"[{span.start}, {span.end})"
    if not 0 <= span.start < span.end <= len(text):
        return None, f"dropped: offsets {where} fall outside the text (length {len(text)})"
    issue = None
    first, last = tokens.first_of.get(span.start), tokens.last_of.get(span.end)
    if first is None or last is None:
        found = tokens.sdoc.char_span(span.start, span.end, alignment_mode="contract")
        covered = 0 if found is None else found.end_char - found.start_char
        quoted = f"{where} {text[span.start : span.end]!r}"
        if found is None or len(found) == 0 or covered < MIN_SNAP_COVERAGE * (span.end - span.start):
            return None, (
                f"dropped: {quoted} does not start and end on token boundaries, and the tokens "
                f"wholly inside it cover less than {MIN_SNAP_COVERAGE:.0%} of it"
            )
        issue = (
            f"snapped to [{found.start_char}, {found.end_char}) {found.text!r}: {quoted} "
            "does not start and end on token boundaries"
        )
        first, last = found.start, found.end - 1
    space = tokens.space
    indices = tuple(i for i in range(first, last + 1) if not space[i])
    if not indices:
        return None, f"dropped: {where} {text[span.start : span.end]!r} covers only whitespace"
    if tokens.sentence_of[indices[0]] != tokens.sentence_of[indices[-1]]:
        return None, f"dropped: {where} {text[span.start : span.end]!r} crosses a sentence boundary"
    start, end = tokens.starts[indices[0]], tokens.starts[indices[-1]] + tokens.lengths[indices[-1]]
    return _Aligned(span.span_id, span.label, indices, start, end, span.order), issue


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
