"""Other formats of the same gold: spaCy DocBin (for ``spacy train``) and CoNLL-2003 style text.

DocBin files carry entities as ``doc.ents`` and triggers in ``doc.spans["events"]``; CoNLL files
are written from the ``tokens`` configuration, so tokens and tags are exactly the dataset's.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from datasets import DatasetDict
from spacy.language import Language
from spacy.tokens import DocBin, SpanGroup
from spacy.util import filter_spans

from annotate.atomic import atomic_writer
from annotate.document import Document

#: spaCy's conventional file names for the splits.
DOCBIN_NAMES = {
    "train": "train.spacy",
    "validation": "dev.spacy",
    "test": "test.spacy",
    "silver": "silver.spacy",
}


def write_docbins(documents: Mapping[str, list[Document]], out: Path, tokenizer: Language) -> None:
    """One ``.spacy`` file per split; spans that do not fit token boundaries are expanded to them."""
    out.mkdir(parents=True, exist_ok=True)
    for split, docs in documents.items():
        doc_bin = DocBin(store_user_data=False)
        for document in docs:
            doc = tokenizer.make_doc(document.article.text)
            ents = [
                doc.char_span(s.start, s.end, label=s.label, alignment_mode="expand")
                for s in document.entities
            ]
            doc.ents = filter_spans([span for span in ents if span is not None])
            triggers = [
                doc.char_span(e.trigger.start, e.trigger.end, label=e.type, alignment_mode="expand")
                for e in document.events
            ]
            doc.spans["events"] = SpanGroup(doc, name="events", spans=[t for t in triggers if t is not None])
            doc_bin.add(doc)
        doc_bin.to_disk(out / DOCBIN_NAMES.get(split, f"{split}.spacy"))


def write_conll(tokens: DatasetDict, out: Path) -> None:
    """``<split>.conll`` (entities) and ``<split>.triggers.conll``: ``token -X- _ TAG`` lines."""
    out.mkdir(parents=True, exist_ok=True)
    for split, part in tokens.items():
        for column, suffix in (("ner_tags", ""), ("trigger_tags", ".triggers")):
            names = part.features[column].feature.names
            with atomic_writer(out / f"{split}{suffix}.conll") as handle:
                previous = None
                for row in part:
                    if row["doc_id"] != previous:
                        handle.write("-DOCSTART- -X- O O\n\n")
                        previous = row["doc_id"]
                    for token, tag in zip(row["tokens"], row[column], strict=True):
                        handle.write(f"{token} -X- _ {names[tag]}\n")
                    handle.write("\n")
