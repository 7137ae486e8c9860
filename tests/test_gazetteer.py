"""The schema gazetteer: phrases on lower-case words and lemmas, token patterns, overlaps kept."""

from __future__ import annotations

from spacy.language import Language

from annotate.pipeline.gazetteer import Gazetteer
from annotate.schema import Schema


def _found(nlp: Language, schema: Schema, text: str) -> set[tuple[str, str]]:
    doc = nlp(text)
    return {(label, doc[start:end].text) for label, start, end in Gazetteer(nlp.vocab, schema)(doc)}


def test_gazetteer_matches_phrase_case_insensitively_and_plural_by_lemma(
    nlp: Language, news_schema: Schema
) -> None:
    """The pattern 'ballistic missile' matches 'Ballistic missile' and, by the lemma, 'ballistic missiles'."""
    found = _found(
        nlp, news_schema, "Ballistic missile debris fell. They fired ballistic missiles and a drone."
    )
    assert ("WEAPON", "Ballistic missile") in found
    assert ("WEAPON", "ballistic missiles") in found
    assert ("WEAPON", "drone") in found


def test_gazetteer_keeps_nested_matches_for_the_caller(nlp: Language, news_schema: Schema) -> None:
    """Both 'ballistic missile' and the token pattern 'missile' inside it are reported."""
    doc = nlp("They launched a ballistic missile.")
    matches = Gazetteer(nlp.vocab, news_schema)(doc)
    spans = [(label, doc[start:end].text) for label, start, end in matches]
    assert spans[0] == ("WEAPON", "ballistic missile")  # longest first at one start
    assert len(matches) == len(set(matches))


def test_gazetteer_token_patterns_respect_part_of_speech(nlp: Language, news_schema: Schema) -> None:
    """'rocket' the noun is a WEAPON; 'rocketed' the verb (prices rocketed) is not."""
    assert ("WEAPON", "rocket") in _found(nlp, news_schema, "A rocket hit the school.")
    assert not any(
        text.startswith("rocket") for _, text in _found(nlp, news_schema, "Prices rocketed in May.")
    )
