"""The ``annotate_learned_events`` component: event triggers and argument roles from trained classifiers.

It runs after ``annotate_events`` and rewrites ``doc.spans["events"]`` in the same format. Each
layer is either learned or left to the rules, as the promotion gate of ``annotate train``
decided:

- triggers (learned): every candidate of ``annotate.training.features`` is classified as an
  event type or as no event; a rule trigger whose head is kept keeps its span (multi-word
  triggers), otherwise the head word is the trigger;
- arguments (learned): every (trigger, entity) pair of a sentence gets a role the event type
  allows for the entity's label, or none; triggers' rule links are features, not answers.

Where a layer is rules, the rules' triggers (or links) are kept; a learned trigger the rules did
not find gets its links from the rules' linker. The classifiers (scikit-learn pipelines) and the
schema are saved inside the spaCy pipeline folder (``to_disk``/``from_disk``).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from annotate.pipeline.arguments import EntityIndex, link_arguments
from annotate.pipeline.entities import CANDIDATES_KEY
from annotate.pipeline.events import EVENTS_KEY
from annotate.pipeline.features import (
    NO_ROLE,
    OUTSIDE,
    argument_candidates,
    argument_features,
    lexicon_of,
    rule_events,
    trigger_candidates,
    trigger_features,
)
from annotate.pipeline.stored import save_schema, stored_schema
from annotate.schema import Schema, load_schema

_MODELS_FILE = "classifiers.pkl"


@Language.factory(
    "annotate_learned_events",
    default_config={"schema_path": None, "triggers": "rules", "arguments": "rules"},
)
def make_learned_events(
    nlp: Language, name: str, schema_path: str | None, triggers: str, arguments: str
) -> LearnedEvents:
    """Build the component (its classifiers and schema come from ``from_disk`` or ``set_models``)."""
    return LearnedEvents(load_schema(schema_path), triggers=triggers, arguments=arguments)


class LearnedEvents:
    """Replace the rules' triggers and links by the trained classifiers' where they won the gate."""

    def __init__(self, schema: Schema, *, triggers: str = "rules", arguments: str = "rules") -> None:
        self.schema = schema
        self.lexicon = lexicon_of(schema)
        self.layers = {"triggers": triggers, "arguments": arguments}
        self.trigger_model: Any = None
        self.argument_model: Any = None

    def set_models(self, trigger_model: Any, argument_model: Any, layers: dict[str, str]) -> None:
        """Install trained classifiers and which layers use them (``learned`` or ``rules``)."""
        self.trigger_model, self.argument_model = trigger_model, argument_model
        self.layers = dict(layers)

    def __call__(self, doc: Doc) -> Doc:
        rules = rule_events(doc)
        learned_triggers = self.layers["triggers"] == "learned" and self.trigger_model is not None
        triggers = self._triggers(doc, rules) if learned_triggers else [(e.span, e.score) for e in rules]
        by_span = {(e.span.start, e.span.end, e.type): e for e in rules}
        index: EntityIndex | None = None
        scores: list[float] = []
        arguments: list[list[list[Any]]] = []
        for span, score in triggers:
            if self.layers["arguments"] == "learned" and self.argument_model is not None:
                links = self._links(span, by_span)
            elif (span.start, span.end, span.label_) in by_span:
                links = _rule_links(doc, by_span[(span.start, span.end, span.label_)])
            else:
                if index is None:
                    index = _index(doc, self.schema)
                found = link_arguments(span, self.schema.event(span.label_), self.schema, index)
                links = [(link.role, link.span, link.confidence) for link in found]
            scores.append(round(score, 4))
            arguments.append(
                [
                    [role, s.start_char, s.end_char, round(conf * score, 4), s.label_]
                    for role, s, conf in links
                ]
            )
        spans = [span for span, _ in triggers]
        group = SpanGroup(doc, name=EVENTS_KEY, spans=spans, attrs={"scores": scores, "arguments": arguments})
        doc.spans[EVENTS_KEY] = group
        return doc

    def _triggers(self, doc: Doc, rules: list[Any]) -> list[tuple[Span, float]]:
        candidates = trigger_candidates(doc, rules)
        if not candidates:
            return []
        rule_of = {event.span.root.i: event for event in rules}
        rows = [
            trigger_features(t, self.lexicon, getattr(rule_of.get(t.i), "type", None)) for t in candidates
        ]
        probabilities = self.trigger_model.predict_proba(rows)
        found: list[tuple[Span, float]] = []
        for token, features, row in zip(candidates, rows, probabilities, strict=True):
            label, score = self.trigger_model.decide(features, row)
            if label == OUTSIDE:
                continue
            rule = rule_of.get(token.i)
            start, end = (rule.span.start, rule.span.end) if rule is not None else (token.i, token.i + 1)
            found.append((Span(doc, start, end, label=label), score))
        return found

    def _links(
        self, trigger: Span, by_span: dict[tuple[int, int, str], Any]
    ) -> list[tuple[str, Span, float]]:
        event = self.schema.event(trigger.label_)
        rule = by_span.get((trigger.start, trigger.end, trigger.label_))
        rule_roles = {(s, e): role for role, s, e in rule.links} if rule is not None else {}
        pairs = list(argument_candidates(trigger, self.schema))
        if not pairs:
            return []
        rows = [
            argument_features(trigger, trigger.label_, span, rule_roles.get((span.start_char, span.end_char)))
            for span in pairs
        ]
        probabilities = self.argument_model.predict_proba(rows)
        classes = list(self.argument_model.classes_)
        links: list[tuple[str, Span, float]] = []
        for span, features, row in zip(pairs, rows, probabilities, strict=True):
            allowed = [k for k, role in enumerate(classes) if span.label_ in event.roles.get(role, ())]
            role, score = self.argument_model.decide(features, row, allowed)
            if role != NO_ROLE:
                links.append((role, span, score))
        return _one_role_per_span(links)

    def to_disk(self, path: str | Path, *, exclude: tuple[str, ...] = ()) -> None:
        """Save the schema, the layer choice and the classifiers into ``path``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        save_schema(path, self.schema)
        saved = {"layers": self.layers, "triggers": self.trigger_model, "arguments": self.argument_model}
        with (path / _MODELS_FILE).open("wb") as handle:
            pickle.dump(saved, handle)

    def from_disk(self, path: str | Path, *, exclude: tuple[str, ...] = ()) -> LearnedEvents:
        """Load what ``to_disk`` saved."""
        path = Path(path)
        schema = stored_schema(path)
        if schema is not None:
            self.schema, self.lexicon = schema, lexicon_of(schema)
        with (path / _MODELS_FILE).open("rb") as handle:
            saved = pickle.load(handle)  # a model folder annotate wrote (like spaCy, trusted)
        self.set_models(saved["triggers"], saved["arguments"], saved["layers"])
        return self


def _rule_links(doc: Doc, rule: Any) -> list[tuple[str, Span, float]]:
    links = []
    group = doc.spans[EVENTS_KEY]
    for span, arguments in zip(group, group.attrs["arguments"], strict=True):
        if (span.start, span.end) == (rule.span.start, rule.span.end):
            for role, start, end, score, label in arguments:
                filler = doc.char_span(start, end, label=label)
                if filler is not None:
                    links.append((role, filler, float(score)))
    return links


def _index(doc: Doc, schema: Schema) -> EntityIndex:
    candidates = list(doc.spans[CANDIDATES_KEY]) if CANDIDATES_KEY in doc.spans else []
    return EntityIndex(list(doc.ents), candidates, schema.nominal_labels)


def _one_role_per_span(links: list[tuple[str, Span, float]]) -> list[tuple[str, Span, float]]:
    best: dict[tuple[int, int], tuple[str, Span, float]] = {}
    for link in links:
        key = (link[1].start, link[1].end)
        if key not in best or link[2] > best[key][2]:
            best[key] = link
    return sorted(best.values(), key=lambda link: link[1].start)
