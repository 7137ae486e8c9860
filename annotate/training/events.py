"""Train the event layers: a trigger classifier over candidate words and a role classifier over
(trigger, entity) pairs, from gold documents and the rules pipeline's processed ``Doc`` s.

Both are ``annotate.training.classifier.Classifier`` s over the features of
``annotate.pipeline.features``, so training and use describe a word or a pair the same way. Gold
triggers are matched to candidates by their head word; gold arguments to candidate entity spans
by their character offsets (a gold argument no candidate covers is added as a candidate, so the
classifier still learns from its position).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc

from annotate.document import Document
from annotate.pipeline.features import (
    NO_ROLE,
    OUTSIDE,
    Features,
    argument_candidates,
    argument_features,
    lexicon_of,
    rule_events,
    trigger_candidates,
    trigger_features,
)
from annotate.schema import Schema
from annotate.training.classifier import Classifier, fit


@dataclass
class EventSamples:
    """Feature rows and labels of both classifiers."""

    trigger_rows: list[Features]
    trigger_labels: list[str]
    argument_rows: list[Features]
    argument_labels: list[str]


def samples(docs: Sequence[Doc], gold: Sequence[Document], schema: Schema) -> EventSamples:
    """The training rows of ``docs`` (processed by the rules pipeline) labelled by ``gold``."""
    lexicon = lexicon_of(schema)
    found = EventSamples([], [], [], [])
    for doc, document in zip(docs, gold, strict=True):
        rules = rule_events(doc)
        rule_type = {event.span.root.i: event.type for event in rules}
        gold_type: dict[int, str] = {}
        for event in document.events:
            span = doc.char_span(event.trigger.start, event.trigger.end, alignment_mode="expand")
            if span is not None and event.type in schema.event_types:
                gold_type[span.root.i] = event.type
        for token in trigger_candidates(doc, rules):
            found.trigger_rows.append(trigger_features(token, lexicon, rule_type.get(token.i)))
            found.trigger_labels.append(gold_type.get(token.i, OUTSIDE))
        _argument_samples(doc, document, schema, rules, found)
    return found


def _argument_samples(
    doc: Doc, document: Document, schema: Schema, rules: list[Any], found: EventSamples
) -> None:
    by_id = {span.id: span for span in document.entities}
    rule_links = {(e.span.start, e.span.end, e.type): {(s, t): r for r, s, t in e.links} for e in rules}
    for event in document.events:
        if event.type not in schema.event_types:
            continue
        trigger = doc.char_span(
            event.trigger.start, event.trigger.end, label=event.type, alignment_mode="expand"
        )
        if trigger is None:
            continue
        roles = {}
        for argument in event.arguments:
            entity = by_id.get(argument.span_id)
            if entity is not None:
                roles[(entity.start, entity.end)] = argument.role
        candidates = {(s.start_char, s.end_char): s for s in argument_candidates(trigger, schema)}
        for start, end in roles:
            if (start, end) not in candidates:
                label = next(s.label for s in document.entities if (s.start, s.end) == (start, end))
                span = doc.char_span(start, end, label=label, alignment_mode="expand")
                if span is not None and span.sent == trigger.sent:
                    candidates[(start, end)] = span
        links = rule_links.get((trigger.start, trigger.end, event.type), {})
        for (start, end), span in candidates.items():
            found.argument_rows.append(argument_features(trigger, event.type, span, links.get((start, end))))
            found.argument_labels.append(roles.get((start, end), NO_ROLE))


def train_events(
    docs: Sequence[Doc], gold: Sequence[Document], schema: Schema
) -> tuple[Classifier | None, Classifier | None]:
    """The trigger and argument classifiers trained on ``gold`` (None for a layer with no data)."""
    found = samples(docs, gold, schema)
    return fit(found.trigger_rows, found.trigger_labels, OUTSIDE), fit(
        found.argument_rows, found.argument_labels, NO_ROLE
    )
