"""Pre-label articles: run the pipeline over a stream of articles and yield documents or tasks.

A chain of generators (read, ``nlp.pipe``, convert), so a large input is streamed, never held
whole. With ``n_process`` > 1, forked workers each run the whole chain on batches of articles and
send back finished tasks (or Documents), not spaCy Docs: the main process only reads and writes,
and at most ``2 * n_process`` batches are in flight, so memory stays bounded.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan

from annotate.articles import ReadReport, read_articles
from annotate.document import Argument, Article, Document, Event, Span
from annotate.labelconfig import ENTITY_CONTROL, EVENT_CONTROL
from annotate.labelstudio import TaskBuilder, region_id
from annotate.pipeline import ENTITIES_KEY, EVENTS_KEY, build_nlp, model_version
from annotate.schema import Schema
from annotate.taskfile import write_tasks

DEFAULT_BATCH_SIZE = 64

T = TypeVar("T")
Convert = Callable[[Doc, Article], T]


def doc_to_document(doc: Doc, article: Article, version: str) -> Document:
    """Convert a processed spaCy ``Doc`` of ``article`` into the internal ``Document``."""
    doc_id = article.id
    group = doc.spans.get(ENTITIES_KEY)
    scores = group.attrs.get("scores", []) if group is not None else []
    entities = {
        (span.start_char, span.end_char): _span(doc_id, ENTITY_CONTROL, span, score)
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
                    entities[(start, end)] = _span(doc_id, ENTITY_CONTROL, filler, arg_score)
                event_args.append(Argument(role, entities[(start, end)].id, arg_score))
            trigger_span = _span(doc_id, EVENT_CONTROL, trigger, score)
            events.append(Event(trigger_span.id, trigger.label_, trigger_span, event_args))
    ordered = sorted(entities.values(), key=lambda s: (s.start, s.end))
    for span in [*ordered, *(e.trigger for e in events)]:
        span.origin, span.model_version = "prediction", version
    return Document(article, ordered, events, model_version=version)


def _span(doc_id: str, layer: str, span: SpacySpan, score: float | None) -> Span:
    start, end = span.start_char, span.end_char
    return Span(region_id(doc_id, layer, start, end), start, end, span.label_, span.text, score)


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
    version = model_version(nlp, schema)

    def convert(doc: Doc, article: Article) -> Document:
        return doc_to_document(doc, article, version)

    yield from _run(nlp, articles, convert, batch_size, n_process)


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

    Every prediction is checked against the generated labeling config unless ``validate`` is off.
    """
    nlp = nlp if nlp is not None else build_nlp(schema, model)
    version = model_version(nlp, schema)
    builder = TaskBuilder(schema)

    def convert(doc: Doc, article: Article) -> dict[str, Any]:
        return builder.task(doc_to_document(doc, article, version), validate=validate)

    yield from _run(nlp, articles, convert, batch_size, n_process)


def _run(
    nlp: Language, articles: Iterable[Article], convert: Convert[T], batch_size: int, n_process: int
) -> Iterator[T]:
    """``convert(doc, article)`` for every article, in input order, in this process or in workers."""
    if n_process <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        stream = ((article.text, article) for article in articles)
        for doc, article in nlp.pipe(stream, as_tuples=True, batch_size=batch_size, n_process=n_process):
            yield convert(doc, article)
        return
    _WORKER.update(nlp=nlp, convert=convert, batch_size=batch_size)
    try:
        with multiprocessing.get_context("fork").Pool(n_process) as pool:
            pending: deque[Any] = deque()
            remaining = iter(articles)
            while batch := list(islice(remaining, batch_size)):
                pending.append(pool.apply_async(_work, (batch,)))
                if len(pending) >= 2 * n_process:
                    yield from pending.popleft().get()
            while pending:
                yield from pending.popleft().get()
    finally:
        _WORKER.clear()


# What forked workers inherit: the loaded pipeline and the conversion (no pickling of either).
_WORKER: dict[str, Any] = {}


def _work(batch: list[Article]) -> list[Any]:
    nlp, convert = _WORKER["nlp"], _WORKER["convert"]
    docs = nlp.pipe((article.text for article in batch), batch_size=_WORKER["batch_size"])
    return [convert(doc, article) for doc, article in zip(docs, batch, strict=True)]


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
    on_task: Callable[[], None] | None = None,
) -> PrelabelReport:
    """Read articles from ``paths``, pre-label them and write the tasks to ``out`` atomically.

    Raises:
        ArticleError: bad input (unless ``skip_invalid``); nothing is written then.
        ModelError: the spaCy pipeline cannot be loaded.
    """
    nlp = build_nlp(schema, model)
    report = ReadReport()
    articles = read_articles(paths, skip_invalid=skip_invalid, report=report)
    tasks = prelabel(articles, schema, nlp=nlp, batch_size=batch_size, n_process=n_process)
    count = write_tasks(out, tasks, on_task=on_task)
    return PrelabelReport(Path(out), count, model_version(nlp, schema), report)
