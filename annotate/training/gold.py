"""Gold to learn from: an export folder, snapshots, or external corpora, several at once.

Every source becomes ``Document`` s in the schema's labels: entities whose label the schema lacks
are left out with the arguments that point to them, events of a type it lacks are left out, and
so are roles an event type does not have. An article that two sources (or two annotators) hold is
kept once, from the first. The set's ``identity`` is a hash of what is learned from (texts and
spans), written into the model folder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annotate.document import Argument, Document, Event
from annotate.errors import EvaluationError
from annotate.export.gold import select_gold
from annotate.export.snapshot import read_snapshot
from annotate.quality.corpora import GoldCorpus
from annotate.quality.evaluate import FORMATS
from annotate.schema import Schema


@dataclass(frozen=True)
class GoldSource:
    """One place gold comes from: ``kind`` is ``export``, ``snapshot`` or an ``evaluate`` format."""

    path: Path
    kind: str
    mapping: Path | None = None

    def describe(self) -> str:
        return f"{self.kind}:{self.path}"


@dataclass
class GoldSet:
    """The documents to learn from, where they came from and what was left out."""

    documents: list[Document] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)
    #: How the gold is scored: labels that count as one (MEANTIME's LOC for GPE/LOC/FAC), and
    #: whether it marks names only (then predicted nominal mentions are not errors).
    equivalent: tuple[tuple[str, ...], ...] = ()
    names_only: bool = False

    @property
    def identity(self) -> str:
        """A hash of the texts and spans learned from."""
        digest = hashlib.sha256()
        for document in sorted(self.documents, key=lambda d: d.article.id):
            digest.update(json.dumps(_canonical(document), sort_keys=True).encode("utf-8"))
        return digest.hexdigest()[:16]


def load_gold(sources: Sequence[GoldSource], schema: Schema) -> GoldSet:
    """Read every source, keep what fits the schema, each article once.

    Raises:
        EvaluationError: a source cannot be read, or its kind is unknown.
    """
    gold = GoldSet()
    seen: set[str] = set()
    names_only: list[bool] = []
    for source in sources:
        corpus = _read(source, schema)
        names_only.append(corpus.names_only)
        gold.equivalent = tuple(dict.fromkeys([*gold.equivalent, *corpus.equivalent]))
        for document in corpus.documents:
            if document.article.id in seen:
                gold.left_out["article already read from another source"] = (
                    gold.left_out.get("article already read from another source", 0) + 1
                )
                continue
            seen.add(document.article.id)
            gold.documents.append(_fit(document, schema, gold.left_out))
        gold.sources.append(source.describe())
    gold.names_only = bool(names_only) and all(names_only)
    return gold


def _read(source: GoldSource, schema: Schema) -> GoldCorpus:
    if source.kind == "snapshot":
        return GoldCorpus(
            select_gold(read_snapshot(source.path), schema, "latest", keep_unannotated=False).documents
        )
    kind = "annotate" if source.kind == "export" else source.kind
    if kind not in FORMATS:
        known = ", ".join(["export", "snapshot", *FORMATS])
        raise EvaluationError(f"unknown gold format {source.kind!r}; use one of {known}")
    return FORMATS[kind](source.path, source.mapping)


def _fit(document: Document, schema: Schema, left_out: dict[str, int]) -> Document:
    """``document`` with only the labels, types and roles the schema has."""
    labels = set(schema.entity_labels)
    entities = [span for span in document.entities if span.label in labels]
    _count(left_out, "entity label not in the schema", len(document.entities) - len(entities))
    kept = {span.id for span in entities}
    events = []
    for event in document.events:
        if event.type not in schema.event_types:
            _count(left_out, "event type not in the schema", 1)
            continue
        roles = schema.event(event.type).roles
        arguments = [
            Argument(a.role, a.span_id) for a in event.arguments if a.span_id in kept and a.role in roles
        ]
        _count(left_out, "argument not in the schema", len(event.arguments) - len(arguments))
        events.append(Event(event.id, event.type, event.trigger, arguments))
    return Document(document.article, entities, events, annotator=document.annotator)


def _count(left_out: dict[str, int], reason: str, number: int) -> None:
    if number:
        left_out[reason] = left_out.get(reason, 0) + number


def _canonical(document: Document) -> list[object]:
    spans = sorted((s.start, s.end, s.label) for s in document.entities)
    events = sorted(
        (e.trigger.start, e.trigger.end, e.type, sorted((a.role, a.span_id) for a in e.arguments))
        for e in document.events
    )
    return [document.article.id, document.article.text, spans, events]
