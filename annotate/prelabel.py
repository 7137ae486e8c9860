"""Pre-label articles: run the pipeline over a stream of articles and yield documents or tasks.

A chain of generators (read, ``nlp.pipe``, convert), so a large input is streamed, never held
whole. Articles go to spaCy in batches of at most ``batch_size`` articles and ``MAX_BATCH_CHARS``
characters (spaCy's memory grows with the characters it parses at once). An article longer than
``MAX_PIECE_CHARS`` (spaCy refuses texts over its ``max_length``, and its parser needs about
0.3 GB per 100,000 characters) is parsed in pieces cut at paragraph, line or sentence ends; the
spans of every piece are put back at their offsets in the whole text, so the document and its
task are those of the whole article.

With ``n_process`` > 1, forked workers each run the whole chain on batches of articles and send
back finished tasks (or Documents), not spaCy Docs: the main process only reads and writes, and
at most ``2 * n_process`` batches are in flight, so memory stays bounded.
"""

from __future__ import annotations

import multiprocessing
import re
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan

from annotate.articles import MAX_ARTICLE_CHARS, ReadReport, read_articles
from annotate.document import Argument, Article, Document, Event, Span
from annotate.errors import OutputError
from annotate.labelstudio import TaskBuilder, region_id
from annotate.labelstudio.labelconfig import ENTITY_CONTROL, EVENT_CONTROL
from annotate.pipeline import ENTITIES_KEY, EVENTS_KEY, build_nlp, model_version
from annotate.pipeline.mention import mention_of
from annotate.schema import Schema
from annotate.taskshards import ShardFormat, check_task_output, write_task_output
from annotate.workers import ordered_map

DEFAULT_BATCH_SIZE = 64
#: Longest text given to spaCy at once; longer articles are parsed in pieces.
MAX_PIECE_CHARS = 50_000
#: Most characters in one batch of articles (an article longer than this is a batch of its own).
MAX_BATCH_CHARS = 300_000
# Where a piece may end, best first: after a blank line, a line, a sentence, a space.
_CUTS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"[.!?][\"')\]]*\s"), re.compile(r"\s"))

T = TypeVar("T")
Convert = Callable[[Document], T]


def pieces(text: str, size: int = MAX_PIECE_CHARS) -> list[tuple[int, int]]:
    """``(start, end)`` of consecutive pieces of ``text`` of at most ``size`` characters that
    cover it, each cut after a blank line, else a line, a sentence or a space in its second half."""
    bounds: list[tuple[int, int]] = []
    start = 0
    while len(text) - start > size:
        window = text[start + size // 2 : start + size]
        end = start + size
        for cut in _CUTS:
            found = [match.end() for match in cut.finditer(window)]
            if found:
                end = start + size // 2 + found[-1]
                break
        bounds.append((start, end))
        start = end
    bounds.append((start, len(text)))
    return bounds


def doc_to_document(doc: Doc, article: Article, version: str, offset: int = 0) -> Document:
    """Convert a processed spaCy ``Doc`` of ``article`` into the internal ``Document``.

    ``offset``: where the doc's text starts in the article's text (a piece of a long article).
    """
    doc_id = article.id
    group = doc.spans.get(ENTITIES_KEY)
    scores = group.attrs.get("scores", []) if group is not None else []
    entities = {
        (span.start_char, span.end_char): _span(doc_id, ENTITY_CONTROL, span, score, offset)
        for span, score in zip(doc.ents, scores or [None] * len(doc.ents), strict=False)
    }
    events: list[Event] = []
    triggers = doc.spans.get(EVENTS_KEY)
    if triggers is not None:
        for trigger, score, arguments in zip(
            triggers, triggers.attrs["scores"], triggers.attrs["arguments"], strict=True
        ):
            event_args = []
            for role, start, end, arg_score, label in arguments:
                if (start, end) not in entities:  # an only-as-argument label or a nominal, used here
                    filler = doc.char_span(start, end, label=label)
                    assert filler is not None, "argument offsets come from token spans of this doc"
                    entities[(start, end)] = _span(doc_id, ENTITY_CONTROL, filler, arg_score, offset)
                event_args.append(Argument(role, entities[(start, end)].id, arg_score))
            trigger_span = _span(doc_id, EVENT_CONTROL, trigger, score, offset)
            events.append(Event(trigger_span.id, trigger.label_, trigger_span, event_args))
    ordered = sorted(entities.values(), key=lambda s: (s.start, s.end))
    for span in [*ordered, *(e.trigger for e in events)]:
        span.origin, span.model_version = "prediction", version
    return Document(article, ordered, events, model_version=version)


def _span(doc_id: str, layer: str, span: SpacySpan, score: float | None, offset: int) -> Span:
    start, end = span.start_char + offset, span.end_char + offset
    mention = mention_of(span) if layer == ENTITY_CONTROL else None
    return Span(
        region_id(doc_id, layer, start, end), start, end, span.label_, span.text, score, mention=mention
    )


def _merge(parts: list[Document]) -> Document:
    """One document from the documents of the pieces of one article, in order."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    entities = [span for part in parts for span in part.entities]
    events = [event for part in parts for event in part.events]
    return Document(first.article, entities, events, model_version=first.model_version)


def _batches(articles: Iterable[Article], batch_size: int) -> Iterator[list[Article]]:
    """Batches of at most ``batch_size`` articles and ``MAX_BATCH_CHARS`` characters."""
    batch: list[Article] = []
    chars = 0
    for article in articles:
        if batch and (len(batch) >= batch_size or chars + len(article.text) > MAX_BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(article)
        chars += len(article.text)
    if batch:
        yield batch


def _documents(nlp: Language, batch: list[Article], version: str) -> list[Document]:
    """The predicted documents of one batch of articles (long ones parsed in pieces)."""
    texts: list[str] = []
    owners: list[tuple[int, int]] = []  # (article in batch, offset of the piece)
    for number, article in enumerate(batch):
        for start, end in pieces(article.text):
            texts.append(article.text[start:end])
            owners.append((number, start))
    # A batch holds whole articles up to MAX_BATCH_CHARS; the pieces of a long one go a few at a time.
    per_call = len(texts) if len(texts) == len(batch) else max(1, MAX_BATCH_CHARS // MAX_PIECE_CHARS)
    parts: list[list[Document]] = [[] for _ in batch]
    for doc, (number, offset) in zip(nlp.pipe(texts, batch_size=per_call), owners, strict=True):
        parts[number].append(doc_to_document(doc, batch[number], version, offset))
    return [_merge(part) for part in parts]


def prelabel_documents(
    articles: Iterable[Article],
    schema: Schema,
    *,
    nlp: Language | None = None,
    model: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_process: int = 1,
) -> Iterator[Document]:
    """Yield one predicted ``Document`` per article, lazily, in input order."""
    nlp = nlp if nlp is not None else build_nlp(schema, model)
    yield from _run(nlp, model_version(nlp, schema), articles, _same, batch_size, n_process)


def _same(document: Document) -> Document:
    return document


def prelabel(
    articles: Iterable[Article],
    schema: Schema,
    *,
    nlp: Language | None = None,
    model: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_process: int = 1,
    validate: bool = True,
) -> Iterator[dict[str, Any]]:
    """Yield one Label Studio task (data + prediction) per article, lazily, in input order.

    Every task is checked against its text and the schema unless ``validate`` is off.
    """
    nlp = nlp if nlp is not None else build_nlp(schema, model)
    builder = TaskBuilder(schema)

    def convert(document: Document) -> dict[str, Any]:
        return builder.task(document, validate=validate)

    yield from _run(nlp, model_version(nlp, schema), articles, convert, batch_size, n_process)


def _run(
    nlp: Language,
    version: str,
    articles: Iterable[Article],
    convert: Convert[T],
    batch_size: int,
    n_process: int,
) -> Iterator[T]:
    """``convert(document)`` for every article, in input order, in this process or in workers."""
    batches = _batches(articles, batch_size)
    if n_process <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for batch in batches:
            yield from map(convert, _documents(nlp, batch, version))
        return
    _WORKER.update(nlp=nlp, convert=convert, version=version)
    try:
        for done in ordered_map(_work, batches, workers=n_process, start="fork", initializer=_quiet_worker):
            yield from done
    finally:
        _WORKER.clear()


# What forked workers inherit: the loaded pipeline and the conversion (no pickling of either).
_WORKER: dict[str, Any] = {}


def _quiet_worker() -> None:
    """Workers leave Ctrl-C and SIGTERM to the main process, which stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _work(batch: list[Article]) -> list[Any]:
    nlp, convert, version = _WORKER["nlp"], _WORKER["convert"], _WORKER["version"]
    return [convert(document) for document in _documents(nlp, batch, version)]


@dataclass
class PrelabelReport:
    """What ``prelabel_files`` did: tasks written and what the reader skipped or reported."""

    out: Path
    tasks: int
    model_version: str
    read: ReadReport = field(default_factory=ReadReport)


def prelabel_files(
    paths: Iterable[str | Path],
    out: str | Path,
    schema: Schema,
    *,
    model: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_process: int = 1,
    skip_invalid: bool = False,
    max_chars: int = MAX_ARTICLE_CHARS,
    shard_format: ShardFormat = "jsonl",
    on_task: Callable[[], None] | None = None,
) -> PrelabelReport:
    """Read articles from ``paths``, pre-label them and write the tasks to ``out`` atomically: one
    JSON task file, or ``shard_format`` shards when ``out`` is a folder or has no suffix
    (``annotate.taskshards``).

    Raises:
        OutputError: ``out`` cannot be written, is an input, or is a file annotate did not write
            (found before any work).
        ArticleError: bad input (unless ``skip_invalid``); nothing is written then.
        ModelError: the spaCy pipeline cannot be loaded.
    """
    inputs = [Path(p) for p in paths]
    if any(Path(out).resolve() == path.resolve() for path in inputs):
        raise OutputError(f"{out} is also an input; write the tasks to another file with --out")
    check_task_output(Path(out), shard_format)
    nlp = build_nlp(schema, model)
    report = ReadReport()
    articles = read_articles(inputs, skip_invalid=skip_invalid, report=report, max_chars=max_chars)
    tasks = prelabel(articles, schema, nlp=nlp, batch_size=batch_size, n_process=n_process)
    count = write_task_output(Path(out), tasks, shard_format=shard_format, on_task=on_task)
    return PrelabelReport(Path(out), count, model_version(nlp, schema), report)
