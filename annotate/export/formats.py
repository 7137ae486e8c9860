"""Other formats of the same gold: spaCy DocBin (for ``spacy train``) and CoNLL-2003 style text.

Both are fed the rows of the dataset as the export writes them, split by split (``DocBins`` the
``documents`` rows, ``Conll`` the ``tokens`` rows), so their content is exactly the dataset's.
DocBin files carry entities as ``doc.ents`` and triggers in ``doc.spans["events"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
from spacy.language import Language
from spacy.tokens import DocBin, Span, SpanGroup

from annotate.document import Article, Document, Event
from annotate.document import Span as DocSpan
from annotate.export.features import bio_names
from annotate.export.tokenview import token_spans
from annotate.schema import Schema

#: spaCy's conventional file names for the splits.
DOCBIN_NAMES = {
    "train": "train.spacy",
    "validation": "dev.spacy",
    "test": "test.spacy",
    "silver": "silver.spacy",
}


class DocBins:
    """One ``.spacy`` file per split; entities and triggers as the ``tokens`` configuration tags
    them (``token_spans``: snapped to tokens, overlaps and sentence-crossing spans left out, each
    change reported once, in the export report's alignment issues)."""

    def __init__(self, out: Path, tokenizer: Language, schema: Schema, *, names_only: bool = False) -> None:
        self.out, self.tokenizer, self.names_only = out, tokenizer, names_only
        self.labels, self.types = list(schema.entity_labels), list(schema.event_types)
        self.bins: dict[str, DocBin] = {}

    def __call__(self, config: str, split: str, rows: pa.Table) -> None:
        """Add ``documents`` rows (with their ``_entity_order`` and ``_event_order``) to ``split``."""
        if config != "documents":
            return
        doc_bin = self.bins.setdefault(split, DocBin(store_user_data=False))
        columns = ["id", "text", "entities", "events", "_entity_order", "_event_order"]
        texts = rows.column("text").to_pylist()
        for row, doc in zip(rows.select(columns).to_pylist(), self.tokenizer.pipe(texts), strict=True):
            entities, triggers = token_spans(self._document(row), doc)
            doc.ents = [Span(doc, first, end, label=label) for first, end, label in entities]
            events = [Span(doc, first, end, label=label) for first, end, label in triggers]
            doc.spans["events"] = SpanGroup(doc, name="events", spans=events)
            doc_bin.add(doc)

    def _document(self, row: dict[str, Any]) -> Document:
        """The spans of a spilled ``documents`` row, in their original order, as a ``Document``."""
        entities = [row["entities"][position] for position in row["_entity_order"]]
        if self.names_only:
            entities = [e for e in entities if e.get("mention") != "nominal"]
        text = row["text"]
        spans = [
            DocSpan(e["id"], e["start"], e["end"], self.labels[e["label"]], text[e["start"] : e["end"]])
            for e in entities
        ]
        events = []
        for e in (row["events"][position] for position in row["_event_order"]):
            start, end = e["trigger"]["start"], e["trigger"]["end"]
            trigger = DocSpan(e["id"], start, end, self.types[e["type"]], text[start:end])
            events.append(Event(e["id"], self.types[e["type"]], trigger))
        return Document(Article(str(row["id"]), text), spans, events)

    def close(self, splits: Sequence[str]) -> None:
        """Write the file of every split."""
        self.out.mkdir(parents=True, exist_ok=True)
        for split in splits:
            doc_bin = self.bins.pop(split, None) or DocBin(store_user_data=False)
            doc_bin.to_disk(self.out / DOCBIN_NAMES.get(split, f"{split}.spacy"))


class Conll:
    """``<split>.conll`` (entities) and ``<split>.triggers.conll``: ``token -X- _ TAG`` lines."""

    COLUMNS = (("ner_tags", ""), ("trigger_tags", ".triggers"))

    def __init__(self, out: Path, schema: Schema) -> None:
        self.out = out
        self.names = {
            "ner_tags": bio_names(schema.entity_labels),
            "trigger_tags": bio_names(schema.event_types),
        }
        self.files: dict[tuple[str, str], TextIO] = {}
        self.previous: dict[tuple[str, str], str] = {}

    def __call__(self, config: str, split: str, rows: pa.Table) -> None:
        """Append ``tokens`` rows to the files of ``split``."""
        if config != "tokens":
            return
        rows_list = rows.select(["doc_id", "tokens", "ner_tags", "trigger_tags"]).to_pylist()
        for column, suffix in self.COLUMNS:
            handle = self._file(split, suffix)
            names = self.names[column]
            for row in rows_list:
                if row["doc_id"] != self.previous.get((split, suffix)):
                    handle.write("-DOCSTART- -X- O O\n\n")
                    self.previous[split, suffix] = row["doc_id"]
                for token, tag in zip(row["tokens"], row[column], strict=True):
                    handle.write(f"{token} -X- _ {names[tag]}\n")
                handle.write("\n")

    def close(self, splits: Sequence[str]) -> None:
        """Close every file (a split without sentences gets empty ones)."""
        for split in splits:
            for _, suffix in self.COLUMNS:
                self._file(split, suffix)
        for handle in self.files.values():
            handle.close()
        self.files.clear()

    def _file(self, split: str, suffix: str) -> TextIO:
        handle = self.files.get((split, suffix))
        if handle is None:
            self.out.mkdir(parents=True, exist_ok=True)
            handle = self.files[split, suffix] = (self.out / f"{split}{suffix}.conll").open(
                "w", encoding="utf-8"
            )
        return handle
