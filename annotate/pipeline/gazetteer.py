"""The schema's gazetteers: find its ``patterns`` (weapons, vehicles, titles, crimes ...) in a Doc.

A string pattern is a phrase matched on lower-case words, its last word also on the lemma
("ballistic missile" matches "Ballistic missiles"); it is looked up in a dict keyed by word
tuples, one probe per token and phrase length. A list pattern is a spaCy ``Matcher`` token
pattern and goes to a ``Matcher``. (Two hundred phrases as ``Matcher`` patterns cost as much as
the NER itself: the Matcher tests every pattern's first token at every position.)
"""

from __future__ import annotations

from collections import defaultdict

from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from annotate.schema import Schema

Match = tuple[str, int, int]
"""A schema label and the token offsets ``start``, ``end`` (exclusive) it was found at."""


class Gazetteer:
    """Every occurrence of the schema's entity patterns in a Doc, overlaps included."""

    def __init__(self, vocab: Vocab, schema: Schema) -> None:
        self._by_lower: dict[tuple[str, ...], list[str]] = defaultdict(list)
        self._by_lemma: dict[tuple[str, ...], list[str]] = defaultdict(list)
        self._matcher = Matcher(vocab)
        for label in schema.entities:
            for pattern in label.patterns:
                if isinstance(pattern, str):
                    words = tuple(pattern.lower().split())
                    if words:
                        _add(self._by_lower, words, label.name)
                        _add(self._by_lemma, words, label.name)
                else:
                    self._matcher.add(label.name, [pattern])
        self._lengths = sorted({len(words) for words in self._by_lower}, reverse=True)

    def __len__(self) -> int:
        """Number of distinct phrases and token patterns."""
        return len(self._by_lower) + len(self._matcher)

    def __call__(self, doc: Doc) -> list[Match]:
        """Every match, in document order (longest first at one start), without duplicates."""
        found: dict[Match, None] = {}
        if self._lengths:
            lower = [token.lower_ for token in doc]
            lemma = [_lemma_key(token.lemma_) for token in doc]
            for start in range(len(doc)):
                for length in self._lengths:
                    end = start + length
                    if end > len(doc):
                        continue
                    words = tuple(lower[start:end])
                    labels = self._by_lower.get(words, [])
                    last = lemma[end - 1]
                    if last is not None and last != words[-1]:
                        labels = labels + self._by_lemma.get((*words[:-1], last), [])
                    for label in labels:
                        found[(label, start, end)] = None
        if len(self._matcher):
            for match_id, start, end in self._matcher(doc):
                found[(doc.vocab.strings[match_id], start, end)] = None
        return sorted(found, key=lambda m: (m[1], -m[2]))


def _add(table: dict[tuple[str, ...], list[str]], words: tuple[str, ...], label: str) -> None:
    if label not in table[words]:
        table[words].append(label)


def _lemma_key(lemma: str) -> str | None:
    """A lemma as it matches a pattern's lower-case last word: as written or title-cased only."""
    lowered = lemma.lower()
    return lowered if lemma in (lowered, lowered.title()) else None
