"""The one internal model that flows through every stage: plain dataclasses, no SDK types.

Offsets are character offsets into ``Article.text`` (Unicode code points, end exclusive): the
same convention as Python ``str`` slicing, spaCy ``Span.start_char``/``end_char`` and Label
Studio ``value.start``/``value.end``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from annotate.offsets import OffsetMap

Origin = Literal["prediction", "edited", "manual"]
#: How an entity is mentioned (ACE's NAM and NOM): by a name ("Kyiv", "Zelensky", values such as
#: "Monday") or by a common noun ("the city", "officials", "drones").
Mention = Literal["name", "nominal"]
MENTIONS: tuple[Mention, ...] = ("name", "nominal")


@dataclass(frozen=True)
class Article:
    """One input article: normalised text, a stable id and string metadata.

    ``source`` says where the article came from (``file:line``) so that later errors can
    point back to the input; ``offsets`` maps offsets of ``text`` back to the input text
    (``annotate.offsets``; empty when they are the same).
    """

    id: str
    text: str
    meta: dict[str, str] = field(default_factory=dict)
    source: str = ""
    offsets: OffsetMap = field(default_factory=OffsetMap)


@dataclass
class Span:
    """A labelled character span of an article's text.

    Provenance: ``origin`` says whether a prediction was accepted unchanged (``prediction``),
    changed by an annotator (``edited``) or added by hand (``manual``); ``annotator`` who made the
    annotation, ``timestamp`` when (ISO 8601), ``model_version`` which run predicted the span.
    ``mention`` (entities only): ``name`` or ``nominal``; None when unknown.
    """

    id: str
    start: int
    end: int
    label: str
    text: str
    score: float | None = None
    origin: Origin | None = None
    annotator: str | None = None
    model_version: str | None = None
    timestamp: str | None = None
    mention: Mention | None = None


@dataclass
class Argument:
    """A role filled by an entity span (``span_id``) of the same document."""

    role: str
    span_id: str
    score: float | None = None


@dataclass
class Event:
    """An event mention: a typed trigger span and the entity spans filling its roles."""

    id: str
    type: str
    trigger: Span
    arguments: list[Argument] = field(default_factory=list)


@dataclass
class Document:
    """What the pre-annotator produces and what one gold annotation becomes.

    ``annotator``: whose annotation the document is (``majority`` for a merge of several), None
    for predictions.
    """

    article: Article
    entities: list[Span] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    model_version: str | None = None
    annotator: str | None = None

    def entity(self, span_id: str) -> Span:
        """Return the entity span with this id (``KeyError`` if there is none)."""
        for span in self.entities:
            if span.id == span_id:
                return span
        raise KeyError(span_id)


def names_only(document: Document) -> Document:
    """``document`` without its nominal entity mentions (and the arguments they fill)."""
    kept = [span for span in document.entities if span.mention != "nominal"]
    ids = {span.id for span in kept}
    events = [replace(e, arguments=[a for a in e.arguments if a.span_id in ids]) for e in document.events]
    return replace(document, entities=kept, events=events)
