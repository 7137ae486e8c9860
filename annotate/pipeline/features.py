"""What the learned event layers look at: candidates and their features, the same in training and use.

Trigger candidates are the content words of a processed ``Doc`` outside names, and every trigger
the rules found; each is described by its word, lemma, part of speech, dependency, its head and
children, its neighbours, the event types the schema's lexicon gives its lemma, the type the
rules gave it, and the model's contextual vector of the token (``doc.tensor``).

Argument candidates of a trigger are the entity spans of its sentence (names, the rules'
argument candidates and the schema's nominal nouns); a pair is described by the event type, the
entity label, the dependency path between trigger and entity, their distance and order, the
words on the way, and the role the rules gave the pair, if any.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from annotate.pipeline.arguments import EntityIndex
from annotate.pipeline.entities import CANDIDATES_KEY
from annotate.schema import Schema

OUTSIDE = "O"
NO_ROLE = "NONE"
_CONTENT = {"VERB", "NOUN", "ADJ", "PROPN"}
_VECTOR_DIMS = 96  # first dimensions of doc.tensor used (en_core_web_sm has 96)
#: Weight of the contextual vector features against the sparse ones (it is a strong, dense signal
#: that a few hundred examples over-fit at full scale).
#: (0.3 chosen once by cross-validation on WikiEvents dev: 0.1 and 1.0 scored lower.)
VECTOR_SCALE = 0.3
Features = dict[str, float | str]


@dataclass(frozen=True)
class RuleEvent:
    """A trigger the rules found: its span, type, score and links ``(role, start_char, end_char)``."""

    span: Span
    type: str
    score: float
    links: tuple[tuple[str, int, int], ...]


def rule_events(doc: Doc) -> list[RuleEvent]:
    """The triggers in ``doc.spans["events"]`` as the rules left them."""
    group = doc.spans.get("events")
    if group is None:
        return []
    arguments = group.attrs.get("arguments", [[] for _ in group])
    scores = group.attrs.get("scores", [1.0 for _ in group])
    return [
        RuleEvent(span, span.label_, float(score), tuple((str(a[0]), int(a[1]), int(a[2])) for a in links))
        for span, score, links in zip(group, scores, arguments, strict=True)
    ]


def trigger_candidates(doc: Doc, rules: list[RuleEvent]) -> list[Token]:
    """Content words outside names, and the head of every rule trigger, in document order."""
    named = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    heads = {event.span.root.i for event in rules}
    return [t for t in doc if t.i in heads or (t.pos_ in _CONTENT and t.i not in named and t.is_alpha)]


def trigger_features(token: Token, lexicon: dict[str, tuple[str, ...]], rule_type: str | None) -> Features:
    """The features of one trigger candidate."""
    doc = token.doc
    lemma = token.lemma_.lower()
    found: Features = {
        "lemma=" + lemma: 1.0,
        "lower=" + token.lower_: 1.0,
        "pos=" + token.pos_: 1.0,
        "tag=" + token.tag_: 1.0,
        "dep=" + token.dep_: 1.0,
        "head=" + token.head.lemma_.lower(): 1.0,
        "head_pos=" + token.head.pos_: 1.0,
        "rule=" + (rule_type or OUTSIDE): 1.0,
        "title": float(token.is_title),
    }
    for event_type in lexicon.get(lemma, ()):
        found["lex=" + event_type] = 1.0
        found["lex_pos=" + event_type + "|" + token.pos_] = 1.0
    for child in token.children:
        found["child_dep=" + child.dep_] = 1.0
        if child.dep_ == "prep":
            found["prep=" + child.lower_] = 1.0
        if child.ent_type_:
            found["child_ent=" + child.dep_ + "|" + child.ent_type_] = 1.0
    for offset in (-2, -1, 1, 2):
        i = token.i + offset
        word = doc[i].lemma_.lower() if 0 <= i < len(doc) else "<edge>"
        found[f"w{offset:+d}=" + word] = 1.0
    if doc.tensor is not None and doc.tensor.shape[0] == len(doc) and doc.tensor.shape[1] >= _VECTOR_DIMS:
        for k, value in enumerate(doc.tensor[token.i][:_VECTOR_DIMS]):
            found[f"v{k}"] = VECTOR_SCALE * float(value)
    return found


def lexicon_of(schema: Schema) -> dict[str, tuple[str, ...]]:
    """Lemma -> the event types whose trigger words list it (first word of phrases)."""
    found: dict[str, list[str]] = {}
    for event in schema.events:
        for trigger in event.trigger_words:
            found.setdefault(trigger.lemma.lower().split()[0], []).append(event.name)
    return {lemma: tuple(dict.fromkeys(types)) for lemma, types in found.items()}


def argument_candidates(trigger: Span, schema: Schema) -> Iterator[Span]:
    """Entity spans of the trigger's sentence that could fill one of its roles (not overlapping it)."""
    doc = trigger.doc
    candidates = list(doc.spans[CANDIDATES_KEY]) if CANDIDATES_KEY in doc.spans else []
    index = EntityIndex(list(doc.ents), candidates, schema.nominal_labels)
    sentence = trigger.sent
    seen: set[tuple[int, int, str]] = set()
    for token in sentence:
        for span in index.alternatives(token):
            key = (span.start, span.end, span.label_)
            if key in seen or span.end <= sentence.start or span.start >= sentence.end:
                continue
            if span.start < trigger.end and trigger.start < span.end:
                continue
            seen.add(key)
            yield span


def argument_features(trigger: Span, event_type: str, entity: Span, rule_role: str | None) -> Features:
    """The features of one (trigger, entity) pair."""
    head, root = trigger.root, entity.root
    path = _path(head, root)
    distance = entity.start - trigger.start
    found: Features = {
        "type=" + event_type: 1.0,
        "label=" + entity.label_: 1.0,
        "type_label=" + event_type + "|" + entity.label_: 1.0,
        "path=" + path: 1.0,
        "type_path=" + event_type + "|" + path: 1.0,
        "dist=" + _bucket(abs(distance)): 1.0,
        "after": float(distance > 0),
        "rule=" + (rule_role or NO_ROLE): 1.0,
        "type_rule=" + event_type + "|" + (rule_role or NO_ROLE): 1.0,
        "entity_lemma=" + root.lemma_.lower(): 1.0,
        "trigger_lemma=" + head.lemma_.lower(): 1.0,
    }
    for word in _prepositions(root):
        found["prep=" + word] = 1.0
        found["type_prep=" + event_type + "|" + word] = 1.0
    return found


def _path(a: Token, b: Token, limit: int = 4) -> str:
    """Dependencies from ``a`` up to the lowest common ancestor and down to ``b`` ("nsubj^|dobj")."""
    up_a, up_b = [a, *a.ancestors], [b, *b.ancestors]
    common = next((t for t in up_a if t in up_b), None)
    if common is None:
        return "none"
    rise = [t.dep_ + "^" for t in up_a[: up_a.index(common)]]
    fall = [t.dep_ for t in reversed(up_b[: up_b.index(common)])]
    steps = rise + fall
    return "|".join(steps[:limit]) + ("|..." if len(steps) > limit else "")


def _prepositions(token: Token) -> list[str]:
    """The prepositions among the three nearest heads of ``token`` ("with" in "attacked with X")."""
    found = []
    for step, ancestor in enumerate(token.ancestors):
        if step >= 3:
            break
        if ancestor.dep_ == "prep":
            found.append(ancestor.lower_)
    return found


def _bucket(distance: int) -> str:
    for bound in (1, 2, 4, 8, 16):
        if distance <= bound:
            return str(bound)
    return "far"
