"""The ``annotate_events`` component: find event triggers, type them by the schema, link arguments.

A token is a trigger candidate when its lemma (and part of speech) is one of an event type's
trigger words in the schema. Candidates are dropped when they sit inside a name ("Joint Strike
Fighter"), modify another noun ("attack helicopter") or lack a role their trigger ``requires``;
when a word fits several types, the best supported reading wins (trigger weight, required roles
filled, arguments found).

Results go to ``doc.spans["events"]``: one span per trigger, labelled with the event type, with
``attrs["scores"]`` (one float per trigger) and ``attrs["arguments"]`` (per trigger, a list of
``[role, start_char, end_char, score, label]``). Plain lists keep the Doc serialisable, so the component
works with ``nlp.pipe(n_process=...)``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from annotate.pipeline.arguments import EntityIndex, Link, link_arguments
from annotate.pipeline.entities import CANDIDATES_KEY
from annotate.pipeline.stored import SchemaStored
from annotate.schema import EventType, Schema, Trigger, load_schema

EVENTS_KEY = "events"
# Prior confidence that a lexicon match of this part of speech is an event mention at all.
POS_PRIOR = {"VERB": 0.85, "NOUN": 0.75, "PROPN": 0.6, "ADJ": 0.7}
_ARGUMENT_BONUS = 0.1
_NON_EVENT_DEPS = {"compound", "amod"}


@dataclass(frozen=True)
class _Entry:
    words: tuple[str, ...]
    event: EventType
    trigger: Trigger


@dataclass(frozen=True)
class _Reading:
    span: Span
    event: EventType
    score: float
    links: tuple[Link, ...]


@Language.factory("annotate_events", default_config={"schema_path": None})
def make_event_finder(nlp: Language, name: str, schema_path: str | None) -> EventFinder:
    """Build the component from a schema file (default: the packaged ``news`` schema)."""
    return EventFinder(load_schema(schema_path))


class EventFinder(SchemaStored):
    """Find and type event triggers and link their arguments, as the schema describes them."""

    def __init__(self, schema: Schema) -> None:
        self.configure(schema)

    def configure(self, schema: Schema) -> None:
        """Use ``schema``: its trigger lexicon, roles and labels."""
        self.schema = schema
        self.lexicon: dict[str, list[_Entry]] = defaultdict(list)
        for event in schema.events:
            for trigger in event.trigger_words:
                words = tuple(trigger.lemma.lower().split())
                self.lexicon[words[0]].append(_Entry(words, event, trigger))

    def __call__(self, doc: Doc) -> Doc:
        candidates = list(doc.spans[CANDIDATES_KEY]) if CANDIDATES_KEY in doc.spans else []
        entities = EntityIndex(list(doc.ents), candidates, self.schema.nominal_labels)
        named = {i for ent in doc.ents for i in range(ent.start, ent.end)}
        readings: list[_Reading] = []
        for token in doc:
            if token.i in named or (token.dep_ in _NON_EVENT_DEPS and token.pos_ == "NOUN"):
                continue
            best = self._best_reading(doc, token.i, entities)
            if best is not None:
                readings.append(best)
        doc.spans[EVENTS_KEY] = SpanGroup(
            doc,
            name=EVENTS_KEY,
            spans=[r.span for r in readings],
            attrs={
                "scores": [r.score for r in readings],
                "arguments": [
                    [
                        [
                            link.role,
                            link.span.start_char,
                            link.span.end_char,
                            round(link.confidence * r.score, 4),
                            link.span.label_,
                        ]
                        for link in r.links
                    ]
                    for r in readings
                ],
            },
        )
        return doc

    def _best_reading(self, doc: Doc, i: int, entities: EntityIndex) -> _Reading | None:
        token = doc[i]
        best: _Reading | None = None
        for entry in self.lexicon.get(token.lemma_.lower(), ()):
            end = i + len(entry.words)
            if end > len(doc) or any(doc[i + k].lemma_.lower() != w for k, w in enumerate(entry.words)):
                continue
            if token.pos_ not in entry.trigger.pos:
                continue
            span = Span(doc, i, end, label=entry.event.name)
            links = link_arguments(span, entry.event, self.schema, entities)
            if not set(entry.trigger.requires) <= {link.role for link in links}:
                continue
            score = entry.trigger.weight * POS_PRIOR.get(token.pos_, 0.6)
            if any(link.confidence > 0.5 for link in links):
                score = min(1.0, score + _ARGUMENT_BONUS)
            reading = _Reading(span, entry.event, round(score, 4), tuple(links))
            if best is None or (reading.score, len(reading.links)) > (best.score, len(best.links)):
                best = reading
        return best
