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
    """An entity span found in one syntactic slot of a trigger."""

    cue: str
    span: Span
    confidence: float


@dataclass(frozen=True)
class Link:
    """A role filled by an entity span, with a confidence in [0, 1]."""

    role: str
    span: Span
    confidence: float


class EntityIndex:
    """Find the entity span (regular or candidate) that covers a token."""

    def __init__(self, spans: list[Span]) -> None:
        self.by_token: dict[int, Span] = {}
        for span in spans:
            for i in range(span.start, span.end):
                current = self.by_token.get(i)
                if current is None or len(span) > len(current):
                    self.by_token[i] = span
        self.spans = spans

    def covering(self, token: Token) -> Span | None:
        """The entity covering ``token``, else one reached through an apposition or "of" ("city of X")."""
        span = self.by_token.get(token.i)
        if span is not None:
            return span
        for child in token.children:
            if child.dep_ == "appos" and child.i in self.by_token:
                return self.by_token[child.i]
            if child.dep_ == "prep" and child.lower_ == "of":
                for obj in child.children:
                    if obj.dep_ == "pobj" and obj.i in self.by_token:
                        return self.by_token[obj.i]
        return None


def fillers(trigger: Span, entities: EntityIndex) -> Iterator[Filler]:
    """Yield every entity span in a syntactic slot of ``trigger``, with the slot's cue."""
    head = trigger.root
    for cue, token, kind in _slots(head):
        for member in (token, *_conjuncts(token)):
            span = entities.covering(member)
            if span is not None and not (span.start <= head.i < span.end):
                yield Filler(cue, span, CUE_CONFIDENCE[kind])


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


def link_arguments(
    trigger: Span, event: EventType, schema: Schema, entities: EntityIndex
) -> list[Link]:
    """Assign the trigger's fillers to the event type's roles, one role per entity span."""
    links: list[Link] = []
    used: set[tuple[int, int]] = set()
    for filler in fillers(trigger, entities):
        key = (filler.span.start, filler.span.end)
        if key in used:
            continue
        role = _first_role(event, schema, filler.cue, filler.span.label_)
        if role is not None:
            links.append(Link(role, filler.span, filler.confidence))
            used.add(key)
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
