"""Link an event trigger to the entity spans that fill its roles, from the dependency parse.

The schema says, for each role, the syntactic *cues* where its filler sits (``subject``,
``object``, ``prep:with`` ...) and, for each event type, which entity labels a role accepts. A
filler found through a cue goes to the first role of the event type (in schema order) that lists
the cue and accepts the filler's label, so "Russia attacked Kyiv with drones" gives Attacker
(subject), Target (object) and Instrument (prep:with) without any rule naming those roles.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from spacy.tokens import Span, Token

from annotate.schema import EventType, Schema

# How much a cue is trusted, relative to the trigger's own score.
CUE_CONFIDENCE = {"direct": 0.85, "prep": 0.75, "inherited": 0.6, "sentence": 0.45}
_RELATIVE_PRONOUNS = {"that", "which", "who", "whom"}


@dataclass(frozen=True)
class Filler:
    """The entity spans that may fill one syntactic slot of a trigger, best first."""

    cue: str
    spans: tuple[Span, ...]
    confidence: float


@dataclass(frozen=True)
class Link:
    """A role filled by an entity span, with a confidence in [0, 1]."""

    role: str
    span: Span
    confidence: float


class EntityIndex:
    """Find the entity spans that could stand for a token: names, candidates, nominals.

    A token inside a named entity stands for it; else a token inside a gazetteer candidate
    (a title, a crime) stands for that; else a common noun listed as a schema ``nominal``
    ("soldiers", "building") stands for itself, with the nominal's label.
    """

    def __init__(self, entities: list[Span], candidates: list[Span], nominals: dict[str, str]) -> None:
        self.spans = entities
        self.nominals = nominals
        self.by_token: dict[int, list[Span]] = {}
        for span in [*entities, *candidates]:
            for i in range(span.start, span.end):
                self.by_token.setdefault(i, []).append(span)

    def alternatives(self, token: Token) -> tuple[Span, ...]:
        """Spans ``token`` may stand for, best first (also through an apposition or "city of X")."""
        found = list(self.by_token.get(token.i, ()))
        label = self.nominals.get(token.lemma_.lower()) if token.pos_ == "NOUN" else None
        if label is not None:
            found.append(Span(token.doc, token.i, token.i + 1, label=label))
        for child in token.children:
            if child.dep_ == "appos":
                found += self.by_token.get(child.i, ())
            elif child.dep_ == "prep" and child.lower_ == "of" and label is not None:
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        found = list(self.by_token.get(obj.i, ())) + found
        return tuple(found)


def fillers(trigger: Span, entities: EntityIndex) -> Iterator[Filler]:
    """Yield the candidate spans of every syntactic slot of ``trigger``, with the slot's cue."""
    head = trigger.root
    for cue, token, kind in _slots(head):
        for member in (token, *_conjuncts(token)):
            spans = tuple(s for s in entities.alternatives(member) if not (s.start <= head.i < s.end))
            if spans:
                yield Filler(cue, spans, CUE_CONFIDENCE[kind])


def _slots(head: Token) -> Iterator[tuple[str, Token, str]]:
    is_verbal = head.pos_ in ("VERB", "ADJ", "AUX")
    has_subject = False
    for child in head.children:
        dep = child.dep_
        if dep in ("nsubj", "csubj") and is_verbal:
            has_subject = True
            if child.lower_ in _RELATIVE_PRONOUNS and head.dep_ == "relcl":
                yield "subject", head.head, "direct"
            else:
                yield "subject", child, "direct"
        elif dep == "nsubjpass":
            has_subject = True
            yield "passive_subject", child, "direct"
        elif dep in ("dobj", "attr") and is_verbal:
            yield "object", child, "direct"
        elif dep == "agent":
            yield from (("agent", obj, "direct") for obj in child.children if obj.dep_ == "pobj")
        elif dep == "prep":
            cue = f"prep:{child.lower_}"
            yield from ((cue, obj, "prep") for obj in child.children if obj.dep_ == "pobj")
        elif dep == "poss":
            yield "possessor", child, "direct"
        elif dep in ("compound", "amod", "nmod", "npadvmod", "nummod"):
            yield "modifier", child, "direct"
    if is_verbal and not has_subject:
        if head.dep_ in ("conj", "xcomp", "advcl") and head.head.pos_ in ("VERB", "AUX"):
            # "Putin deserves to be sentenced": a passive trigger inherits a passive subject.
            passive = any(child.dep_ == "auxpass" for child in head.children)
            for child in head.head.children:
                if child.dep_ == "nsubj":
                    yield ("passive_subject" if passive else "subject"), child, "inherited"
        elif head.dep_ == "acl" and head.tag_ == "VBN":
            yield "passive_subject", head.head, "direct"
    if not is_verbal and head.dep_ in ("dobj", "nsubjpass") and head.head.pos_ == "VERB":
        # "Russia launched attacks on Kyiv": the subject of the light verb acts in the event.
        for child in head.head.children:
            if child.dep_ == "nsubj":
                yield "subject", child, "inherited"


def _conjuncts(token: Token) -> Iterator[Token]:
    for child in token.children:
        if child.dep_ == "conj":
            yield child
            yield from _conjuncts(child)


def link_arguments(trigger: Span, event: EventType, schema: Schema, entities: EntityIndex) -> list[Link]:
    """Assign the trigger's fillers to the event type's roles, one role per entity span."""
    links: list[Link] = []
    used: set[tuple[int, int]] = set()
    for filler in fillers(trigger, entities):
        for span in filler.spans:
            key = (span.start, span.end)
            role = None if key in used else _first_role(event, schema, filler.cue, span.label_)
            if role is not None:
                links.append(Link(role, span, filler.confidence))
                used.add(key)
                break
    filled = {link.role for link in links}
    for role, labels in event.roles.items():
        if role in filled or "sentence" not in schema.role(role).cues:
            continue
        nearest = _nearest(trigger, entities, set(labels), used)
        if nearest is not None:
            links.append(Link(role, nearest, CUE_CONFIDENCE["sentence"]))
            used.add((nearest.start, nearest.end))
    return links


def _first_role(event: EventType, schema: Schema, cue: str, label: str) -> str | None:
    for role, labels in event.roles.items():
        if label in labels and cue in schema.role(role).cues:
            return role
    return None


def _nearest(
    trigger: Span, entities: EntityIndex, labels: set[str], used: set[tuple[int, int]]
) -> Span | None:
    sentence = trigger.sent
    best: tuple[int, Span] | None = None
    for span in entities.spans:
        if span.label_ not in labels or (span.start, span.end) in used:
            continue
        if span.start < sentence.start or span.end > sentence.end:
            continue
        distance = min(abs(span.start - trigger.end), abs(trigger.start - span.end))
        if best is None or distance < best[0]:
            best = (distance, span)
    return best[1] if best else None
