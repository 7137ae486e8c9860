"""Gold sets in other formats, for ``annotate evaluate``: CoNLL-2003 BIO files and exports of annotate.

(MEANTIME and WikiEvents/OneIE-style JSON lines are read by ``annotate.quality.corpora``.)
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from annotate.document import Argument, Article, Document, Event, Span
from annotate.errors import EvaluationError
from annotate.quality.corpora import GoldCorpus

#: CoNLL-2003's labels onto the news schema; override with a mapping file (``entities: {TAG: LABEL}``).
CONLL_MAPPING = {"PER": "PERSON", "ORG": "ORG", "LOC": "LOC", "MISC": None}
CONLL_EQUIVALENT = (("GPE", "LOC", "FAC"),)


def _conll_mapping(mapping: str | Path | None) -> dict[str, str | None]:
    if mapping is None:
        return dict(CONLL_MAPPING)
    try:
        data = yaml.safe_load(Path(mapping).read_text(encoding="utf-8"))
        entities = data["entities"]
        if not isinstance(entities, dict):
            raise TypeError("entities must map tags to labels")
        return {str(k): (None if v is None else str(v)) for k, v in entities.items()}
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise EvaluationError(
            f"{mapping}: not a label mapping ({error}); write 'entities: {{PER: PERSON, ...}}'"
        ) from None


def load_conll(path: str | Path, mapping: str | Path | None = None) -> GoldCorpus:
    """Read a CoNLL-2003 style file (token first, BIO/IOB tag last; ``-DOCSTART-`` between documents).

    The text of a document is its tokens joined by spaces, one sentence per line, so offsets are
    exact for the rebuilt text. Tags whose type maps to nothing are skipped and counted.
    """
    path = Path(path)
    labels = _conll_mapping(mapping)
    corpus = GoldCorpus([], equivalent=CONLL_EQUIVALENT, names_only=True)  # CoNLL-2003 tags names
    sentences: list[list[tuple[str, str]]] = [[]]
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise EvaluationError(f"{path}: cannot read the CoNLL file ({error})") from None
    for number, line in enumerate([*lines, "-DOCSTART-"], start=1):
        fields = line.split()
        if fields and fields[0] == "-DOCSTART-":
            if any(sentences):
                corpus.documents.append(
                    _conll_document(f"{path.stem}-{len(corpus.documents)}", sentences, labels, corpus.skipped)
                )
            sentences = [[]]
        elif not fields:
            if sentences[-1]:
                sentences.append([])
        elif len(fields) < 2:
            raise EvaluationError(f"{path}:{number}: expected a token and a tag, got {line!r}")
        else:
            sentences[-1].append((fields[0], fields[-1]))
    return corpus


def _conll_document(
    doc_id: str, sentences: list[list[tuple[str, str]]], labels: dict[str, str | None], skipped: Counter[str]
) -> Document:
    lines: list[str] = []
    found: list[tuple[int, int, str]] = []
    offset = 0
    for sentence in (s for s in sentences if s):
        current: tuple[int, int, str] | None = None
        position = offset
        for token, tag in sentence:
            kind, _, label = tag.partition("-")
            continues = current is not None and kind == "I" and label == current[2]
            if current is not None and not continues:
                found.append(current)
                current = None
            if continues and current is not None:
                current = (current[0], position + len(token), label)
            elif kind in ("B", "I"):
                current = (position, position + len(token), label)
            position += len(token) + 1
        if current is not None:
            found.append(current)
        lines.append(" ".join(token for token, _ in sentence))
        offset += len(lines[-1]) + 1
    text = "\n".join(lines)
    spans = []
    for start, end, tag in found:
        mapped = labels.get(tag)
        if mapped is None:
            skipped[f"entity:type={tag}"] += 1
            continue
        spans.append(Span(f"{doc_id}-{start}", start, end, mapped, text[start:end]))
    return Document(Article(doc_id, text), spans)


def load_export(path: str | Path) -> GoldCorpus:
    """Read the ``documents`` configuration of an ``annotate export`` (all splits but ``silver``)."""
    import datasets

    try:
        loaded = datasets.load_dataset(str(path), "documents")
    except Exception as error:
        raise EvaluationError(f"{path}: not an annotate export ({type(error).__name__}: {error})") from None
    corpus = GoldCorpus([])
    for split, part in loaded.items():
        if split == "silver":
            continue
        label = part.features["entities"].feature["label"]
        event_type = part.features["events"].feature["type"]
        role = part.features["events"].feature["arguments"].feature["role"]
        for row in part:
            article = Article(row["id"], row["text"])
            entities = [
                Span(e["id"], e["start"], e["end"], label.int2str(e["label"]), e["text"])
                for e in row["entities"]
            ]
            events = []
            for e in row["events"]:
                trigger = Span(
                    e["id"],
                    e["trigger"]["start"],
                    e["trigger"]["end"],
                    event_type.int2str(e["type"]),
                    e["trigger"]["text"],
                )
                arguments = [Argument(role.int2str(a["role"]), a["entity_id"]) for a in e["arguments"]]
                events.append(Event(e["id"], trigger.label, trigger, arguments))
            corpus.documents.append(Document(article, entities, events))
    return corpus
