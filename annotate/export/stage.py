"""Pass 1 of the export: a chunk of tasks -> gold documents -> rows, spilled to Arrow files.

A chunk (a list of tasks, or a byte range of a snapshot) gives its gold documents
(``select_gold``) and, with ``silver``, the predictions of its unannotated tasks. Their rows of
both configurations, labels already encoded as ``ClassLabel`` ids, go to two Arrow IPC files in
the spill folder; what the export needs of every document at once (ids and shingle signatures
for the splits, counts, problems and alignment issues for the report, and when asked the quality
report's counts for the card) comes back as a ``StagedChunk``. Chunks are independent of each
other, so ``annotate.export.parallel`` stages them in several processes.

Spilled ``documents`` rows carry the local document number (``_doc``), the metadata as JSON
(``_meta``: its columns are known only once every chunk is read) and, for the DocBin writer, the
row positions of the entities and events in their original order (``_entity_order``,
``_event_order``); spilled ``tokens`` rows carry ``_doc``.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from spacy.language import Language

from annotate.document import Document, names_only
from annotate.errors import ExportError
from annotate.export.gold import select_gold, silver_documents
from annotate.export.splits import Signature, shingle_signature
from annotate.export.tokenview import bio_names
from annotate.export.views import AlignmentIssue, TagIds, document_row, iter_token_rows, load_tokenizer
from annotate.labelstudio.reader import SpanProblem
from annotate.quality.report import ReportAccumulator
from annotate.schema import Schema

if TYPE_CHECKING:
    from datasets import Features

#: Names of the spill files of chunk ``n`` (``{config}-{n:06d}.arrow``).
SPILL_NAME = "{config}-{number:06d}.arrow"


@dataclass(frozen=True)
class StageOptions:
    """What every chunk is staged with (sent to each worker process once)."""

    schema: Schema
    policy: str
    silver: bool
    model: str | None
    spill: Path
    spill_schemas: dict[str, pa.Schema]  # configuration -> ``spill_schema``
    names_only: bool = False  # the token view tags name mentions only
    quality: bool = False  # also count the quality report's figures (``ReportAccumulator``)


@dataclass
class StagedChunk:
    """What the export keeps of one staged chunk; its rows are in the spill files."""

    number: int
    lines: int = 0  # snapshot lines read (byte ranges only)
    ids: list[str] = field(default_factory=list)  # gold documents, in order
    sources: list[str] = field(default_factory=list)  # their tasks, parallel to ids
    signatures: list[Signature] = field(default_factory=list)  # parallel to ids
    silver: int = 0  # silver documents, numbered after the gold ones
    problems: list[SpanProblem] = field(default_factory=list)
    silver_problems: list[SpanProblem] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)
    annotators: set[str] = field(default_factory=set)
    issues: list[tuple[int, AlignmentIssue]] = field(default_factory=list)  # (document, issue)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (document, why it has no row)
    meta_keys: set[str] = field(default_factory=set)
    model_versions: set[str] = field(default_factory=set)
    quality: ReportAccumulator | None = None  # the chunk's quality figures, when asked for

    @property
    def documents(self) -> int:
        return len(self.ids) + self.silver


def spill_path(spill: Path, config: str, number: int) -> Path:
    """The spill file of ``config`` for chunk ``number``."""
    return spill / SPILL_NAME.format(config=config, number=number)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: staging a chunk makes millions of objects that live
    until the chunk is done, and the collector would scan them again and again (it doubled the
    time of a JSON parse); they are freed by reference counting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def stage_chunk(tasks: Sequence[dict[str, Any]], number: int, options: StageOptions) -> StagedChunk:
    """Select the gold of ``tasks``, write its rows to the spill files of chunk ``number``.

    Raises:
        ExportError: a task has no text (problems and invalid rows are reported, not raised).
    """
    with gc_paused():
        return _stage(tasks, number, options)


def _stage(tasks: Sequence[dict[str, Any]], number: int, options: StageOptions) -> StagedChunk:
    selection = select_gold(tasks, options.schema, options.policy, keep_unannotated=options.silver)
    staged = StagedChunk(number, problems=selection.problems, left_out=selection.left_out)
    staged.annotators = selection.annotators
    if options.quality:
        staged.quality = ReportAccumulator(options.schema)
        for task in tasks:
            staged.quality.add(task)
    docs: list[Document] = selection.documents
    if options.silver:
        silver = silver_documents(
            selection.unannotated_tasks, options.schema, problems=staged.silver_problems
        )
        staged.silver = len(silver)
        docs = docs + silver
    encoders = _encoders(options.schema)
    document_rows: list[dict[str, Any]] = []
    for index, doc in enumerate(docs):
        if index < len(selection.documents):
            staged.ids.append(doc.article.id)
            staged.sources.append(doc.article.source)
            staged.signatures.append(shingle_signature(doc.article.text))
        staged.meta_keys.update(doc.article.meta)
        staged.model_versions.update(_model_versions(doc))
        try:
            document_rows.append(_document_row(index, doc, encoders))
        except ExportError as error:
            staged.errors.append((index, str(error)))
    token_rows: list[dict[str, Any]] = []
    tokenizer = stage_tokenizer(options.model)
    tagged = [names_only(doc) for doc in docs] if options.names_only else docs
    for index, (rows, issues) in enumerate(iter_token_rows(tagged, tokenizer, encoders.tags)):
        for row in rows:
            row["_doc"] = index
        token_rows += rows
        staged.issues += [(index, issue) for issue in issues]
    for config, rows in (("documents", document_rows), ("tokens", token_rows)):
        table = pa.Table.from_pylist(rows, schema=options.spill_schemas[config])
        path = spill_path(options.spill, config, number)
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    return staged


def spill_schema(config: str, features: Features) -> pa.Schema:
    """The Arrow schema of the spill files of ``config`` of ``features`` (without metadata
    columns; see the module doc)."""
    if config == "tokens":
        return features.arrow_schema.insert(0, pa.field("_doc", pa.int32()))
    fields = list(features.arrow_schema)
    return pa.schema(
        [
            pa.field("_doc", pa.int32()),
            *fields[:2],
            pa.field("_meta", pa.string()),
            *fields[2:],
            pa.field("_entity_order", pa.list_(pa.int32())),
            pa.field("_event_order", pa.list_(pa.int32())),
        ]
    )


@dataclass(frozen=True)
class _Encoders:
    entities: dict[str, int]
    events: dict[str, int]
    roles: dict[str, int]
    tags: TagIds


def _encoders(schema: Schema) -> _Encoders:
    def ids(names: Sequence[str]) -> dict[str, int]:
        return {name: number for number, name in enumerate(names)}

    return _Encoders(
        ids(schema.entity_labels),
        ids(schema.event_types),
        ids(schema.role_names),
        (ids(bio_names(schema.entity_labels)), ids(bio_names(schema.event_types))),
    )


@cache
def stage_tokenizer(model: str | None) -> Language:
    """``load_tokenizer(model)``, loaded once per process."""
    return load_tokenizer(model)


def _document_row(index: int, doc: Document, encoders: _Encoders) -> dict[str, Any]:
    """The spilled ``documents`` row of ``doc``, labels as ids (see the module doc)."""
    row = document_row(doc, [])
    what = ""
    try:
        for entity in row["entities"]:
            what = f"entity label {entity['label']!r}"
            entity["label"] = encoders.entities[entity["label"]]
        for event in row["events"]:
            what = f"event type {event['type']!r}"
            event["type"] = encoders.events[event["type"]]
            for argument in event["arguments"]:
                what = f"argument role {argument['role']!r}"
                argument["role"] = encoders.roles[argument["role"]]
    except KeyError:
        raise ExportError(f"document {doc.article.id!r}: {what} is not in the schema") from None
    row["_doc"] = index
    row["_meta"] = json.dumps(doc.article.meta, ensure_ascii=False) if doc.article.meta else None
    row["_entity_order"] = _positions(
        [(s.start, s.end, s.label, s.id) for s in doc.entities],
    )
    row["_event_order"] = _positions(
        [(e.trigger.start, e.trigger.end, e.type, e.id) for e in doc.events],
    )
    return row


def _positions(keys: list[tuple[int, int, str, str]]) -> list[int]:
    """Where each item lands when sorted by ``keys`` (stably), in the items' own order."""
    positions = [0] * len(keys)
    for position, item in enumerate(sorted(range(len(keys)), key=keys.__getitem__)):
        positions[item] = position
    return positions


def _model_versions(doc: Document) -> set[str]:
    versions = {span.model_version for span in doc.entities if span.model_version}
    return versions | {e.trigger.model_version for e in doc.events if e.trigger.model_version}
