"""Whether an entity span is a name or a common noun (ACE's NAM / NOM), from its words.

A span is a name when it holds a proper noun, is a capitalised adjective ("Russian"), starts with
a capital letter anywhere but at the start of a sentence, or is a value (a date, time or amount);
otherwise it is a nominal mention ("officials", "the city", "drones").
"""

from __future__ import annotations

from spacy.tokens import Span

from annotate.document import Mention

_VALUE_LABELS = frozenset({"DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "CARDINAL", "ORDINAL"})


def mention_of(span: Span) -> Mention:
    """``name`` or ``nominal`` (see the module doc)."""
    if span.label_ in _VALUE_LABELS or any(token.pos_ == "PROPN" for token in span):
        return "name"
    first = span[0]
    if first.text[:1].isupper() and (span.root.pos_ == "ADJ" or not first.is_sent_start):
        return "name"
    return "nominal"
