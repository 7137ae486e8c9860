"""Fine-tune the base pipeline's entity recognizer on gold names, without forgetting the rest.

spaCy's own training (``spacy.training.Example``, ``Language.resume_training``, ``nlp.update``)
updates the ``ner`` component of the base pipeline in place; the other components are left as
they are. The gold teaches names only: a gold entity counts when it is a name mention (its ``mention``,
else ``annotate.pipeline.mention.mention_of``): common nouns that fill roles ("people",
"officials") are left to the rules. Labels the gold never uses
(say, DATE in a corpus of people and places) come from the base model's own predictions on the
same texts, mixed into the examples (rehearsal), so the model does not unlearn them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Span as SpacySpan
from spacy.training import Example
from spacy.util import filter_spans, minibatch
from thinc.api import compounding, fix_random_seed

from annotate.document import Document
from annotate.pipeline.mention import mention_of
from annotate.schema import Schema

#: Training settings, written into the model folder's meta.
EPOCHS = 12
DROPOUT = 0.2


@dataclass(frozen=True)
class NerStats:
    """What the fine-tuning saw and did."""

    examples: int
    gold_names: int
    rehearsed: int
    epochs: int
    final_loss: float


def ner_labels(schema: Schema) -> list[str]:
    """The schema labels the recognizer may learn (not those given only as event arguments)."""
    return [label.name for label in schema.entities if not label.only_as_argument]


def train_ner(nlp: Language, gold: Sequence[Document], schema: Schema, *, seed: int = 0) -> NerStats:
    """Fine-tune ``nlp``'s ``ner`` on the names of ``gold`` (see the module doc); ``seed`` fixes
    every random choice, so the same gold gives the same model."""
    fix_random_seed(seed)
    labels = set(ner_labels(schema))
    label_map = {**{label: label for label in labels}, **schema.spacy_label_map}
    covered = {span.label for document in gold for span in document.entities if span.label in labels}
    texts = [document.article.text for document in gold]
    analysed = list(nlp.pipe(texts))  # tags for is_name and the base model's own entities
    examples: list[Example] = []
    names = rehearsed = 0
    for doc, document in zip(analysed, gold, strict=True):
        spans = []
        for entity in document.entities:
            span = doc.char_span(entity.start, entity.end, label=entity.label, alignment_mode="contract")
            if span is None or entity.label not in labels:
                continue
            if (entity.mention or mention_of(span)) == "name":
                spans.append(span)
        names += len(spans)
        for ent in doc.ents:
            label = label_map.get(ent.label_)
            if label is not None and label not in covered:
                spans.append(SpacySpan(doc, ent.start, ent.end, label=label))
                rehearsed += 1
        kept = filter_spans(spans)
        predicted = nlp.make_doc(doc.text)
        entities = [(span.start_char, span.end_char, span.label_) for span in kept]
        examples.append(Example.from_dict(predicted, {"entities": entities}))
    ner: Any = nlp.get_pipe("ner")
    for label in sorted(
        covered | {label_map[e.label_] for d in analysed for e in d.ents if e.label_ in label_map}
    ):
        ner.add_label(label)
    optimizer = nlp.resume_training()
    shuffle = random.Random(seed)
    loss = 0.0
    with nlp.select_pipes(enable=["ner"]):
        for _ in range(EPOCHS):
            shuffle.shuffle(examples)
            losses: dict[str, float] = {}
            for batch in minibatch(examples, size=compounding(4.0, 16.0, 1.5)):  # type: ignore[no-untyped-call]
                nlp.update(batch, drop=DROPOUT, sgd=optimizer, losses=losses)
            loss = losses.get("ner", 0.0)
    return NerStats(len(examples), names, rehearsed, EPOCHS, round(float(loss), 3))
