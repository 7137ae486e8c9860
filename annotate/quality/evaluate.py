"""Score the pre-annotator against a gold corpus, next to a keyword-matching baseline.

``evaluate`` reads a gold corpus (MEANTIME or WikiEvents JSON lines), pre-labels its texts with
the real pipeline and returns entity P/R/F1 per label and the four standard event measures.
The baseline tags every token whose word or lemma is a schema trigger word with the first event
type listing it, ignoring part of speech and context: what the pipeline must beat.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from annotate.document import Document, Event, Span, names_only
from annotate.errors import EvaluationError
from annotate.pipeline import build_nlp, model_version
from annotate.pipeline.entities import DEFAULT_FIXES
from annotate.prelabel import doc_to_document
from annotate.quality.corpora import GoldCorpus, load_meantime, load_wikievents
from annotate.quality.goldformats import load_conll, load_export
from annotate.quality.metrics import PRF, UNSCORED_PREFIX, score_entities, score_events, trigger_precision
from annotate.schema import Schema

FORMATS: dict[str, Callable[[str | Path, str | Path | None], GoldCorpus]] = {
    "meantime": lambda path, _mapping: load_meantime(path),
    "wikievents": load_wikievents,
    "oneie": load_wikievents,  # the same JSON lines; pass --mapping for labels other than KAIROS
    "conll": load_conll,
    "annotate": lambda path, _mapping: load_export(path),
}


@dataclass
class Evaluation:
    """Figures of one evaluation run, for the terminal, JSON and the README."""

    corpus: str
    path: str
    documents: int
    model_version: str
    fixes: list[str]
    skipped: Counter[str] = field(default_factory=Counter)
    entities: dict[str, PRF] = field(default_factory=dict)
    events: dict[str, PRF] = field(default_factory=dict)
    baseline_events: dict[str, PRF] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with precision, recall, F1 and counts for every figure."""

        def table(scores: dict[str, PRF]) -> dict[str, dict[str, float]]:
            return {
                name: {
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "f1": round(s.f1, 4),
                    "tp": s.tp,
                    "fp": s.fp,
                    "fn": s.fn,
                }
                for name, s in scores.items()
            }

        return {
            "corpus": self.corpus,
            "path": self.path,
            "documents": self.documents,
            "model_version": self.model_version,
            "fixes": self.fixes,
            "skipped": dict(self.skipped),
            "entities": table(self.entities),
            "events": table(self.events),
            "baseline_events": table(self.baseline_events),
        }


def keyword_baseline(doc: Doc, document: Document, schema: Schema) -> Document:
    """Tag each token whose word or lemma is a trigger word, with the first type that lists it."""
    lexicon: dict[str, str] = {}
    for event in schema.events:
        for trigger in event.trigger_words:
            if " " not in trigger.lemma:
                lexicon.setdefault(trigger.lemma.lower(), event.name)
    events = []
    for token in doc:
        event_type = lexicon.get(token.lower_) or lexicon.get(token.lemma_.lower())
        if event_type is not None:
            start, end = token.idx, token.idx + len(token)
            span = Span(f"k{start}", start, end, event_type, token.text)
            events.append(Event(span.id, event_type, span))
    return Document(document.article, document.entities, events)


def _keep_roles(document: Document, roles: set[str]) -> Document:
    events = [
        Event(e.id, e.type, e.trigger, [a for a in e.arguments if a.role in roles]) for e in document.events
    ]
    return Document(document.article, document.entities, events, document.model_version)


def evaluate(
    gold: str | Path,
    corpus_format: str,
    schema: Schema,
    *,
    model: str | None = None,
    fixes: Iterable[str] = DEFAULT_FIXES,
    nlp: Language | None = None,
    mapping: str | Path | None = None,
) -> Evaluation:
    """Pre-label the gold corpus's texts and score the predictions against its annotations.

    ``corpus_format`` is one of ``FORMATS``: ``meantime``, ``wikievents`` / ``oneie`` (JSON lines
    with entity and event mentions), ``conll`` (CoNLL-2003 BIO) or ``annotate`` (an export folder);
    ``mapping`` is a label mapping file for corpora whose labels differ from the schema's.

    Raises:
        EvaluationError: unknown format, or the corpus cannot be read.
    """
    if corpus_format not in FORMATS:
        raise EvaluationError(f"unknown gold format {corpus_format!r}; use one of {', '.join(FORMATS)}")
    corpus = FORMATS[corpus_format](gold, mapping)
    fixes = list(fixes)
    nlp = nlp if nlp is not None else build_nlp(schema, model, fixes=fixes)
    version = model_version(nlp, schema)
    predicted: list[Document] = []
    baseline: list[Document] = []
    articles = [doc.article for doc in corpus.documents]
    for spacy_doc, article in nlp.pipe(((a.text, a) for a in articles), as_tuples=True):
        document = doc_to_document(spacy_doc, article, version)
        predicted.append(document)
        baseline.append(keyword_baseline(spacy_doc, document, schema))
    if corpus.names_only:  # the gold marks names only: nominal mentions are not the pre-annotator's errors
        predicted = [names_only(document) for document in predicted]
    report = Evaluation(corpus_format, str(gold), len(articles), version, fixes, corpus.skipped)
    gold_labels = {
        s.label for d in corpus.documents for s in d.entities if not s.label.startswith(UNSCORED_PREFIX)
    }
    report.entities = score_entities(predicted, corpus.documents, gold_labels, corpus.equivalent)
    gold_types = {e.type for d in corpus.documents for e in d.events}
    # Roles the corpus never annotates (WikiEvents has no Time) are left out of the predictions too.
    gold_roles = {a.role for d in corpus.documents for e in d.events for a in e.arguments}
    predicted = [_keep_roles(document, gold_roles) for document in predicted]
    if not gold_types:  # an entity-only corpus (CoNLL): no event figures
        pass
    elif gold_types <= {"EVENT"}:  # MEANTIME: every event word, untyped; only precision is meaningful
        report.events = {"trigger_precision": trigger_precision(predicted, corpus.documents)}
        report.baseline_events = {"trigger_precision": trigger_precision(baseline, corpus.documents)}
    else:
        report.events = score_events(predicted, corpus.documents, gold_types)
        report.baseline_events = score_events(baseline, corpus.documents, gold_types)
    return report
