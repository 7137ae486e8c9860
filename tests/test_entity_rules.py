"""Entity rules on hand-built Docs: names are not split by gazetteer words, companies keep their label."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from annotate.pipeline.entities import EntityFixer
from annotate.pipeline.mention import mention_of


def _analysed(nlp: Language, text: str, ents: list[tuple[str, str]]) -> Doc:
    """``text`` parsed by the base model, with the NER result replaced by ``ents``: (words, label),
    the words found after the previous entity."""
    with nlp.select_pipes(disable=["annotate_entities", "annotate_events"]):
        doc = nlp(text)
    spans = []
    after = 0
    for words, label in ents:
        start = text.index(words, after)
        after = start + len(words)
        span = doc.char_span(start, start + len(words), label=label)
        assert span is not None, words
        spans.append(span)
    doc.ents = spans
    return doc


def test_trim_never_splits_a_name_at_a_gazetteer_word(nlp: Language) -> None:
    """ "Van Morrison": "van" is a vehicle word, but only title words are trimmed off a name."""
    fixer = nlp.get_pipe("annotate_entities")
    assert isinstance(fixer, EntityFixer)
    doc = fixer(
        _analysed(nlp, "Van Morrison sang in Belfast.", [("Van Morrison", "PERSON"), ("Belfast", "GPE")])
    )
    assert ("Van Morrison", "PERSON") in {(e.text, e.label_) for e in doc.ents}
    titled = fixer(_analysed(nlp, "President Zelensky spoke.", [("President Zelensky", "PERSON")]))
    assert [(e.text, e.label_) for e in titled.ents if e.label_ == "PERSON"] == [("Zelensky", "PERSON")]


def test_lone_surname_of_a_company_keeps_its_label(nlp: Language) -> None:
    """ "Henry Ford ... Ford Motor Co. ... Ford said": the company stays ORG; a lone surname the
    model took for a place, with no organisation of that name, becomes PERSON."""
    fixer = nlp.get_pipe("annotate_entities")
    assert isinstance(fixer, EntityFixer)
    text = "Henry Ford built Ford Motor Co. Ford said profits rose. Georgia Smith spoke, and Smith left."
    ents = [
        ("Henry Ford", "PERSON"),
        ("Ford Motor Co.", "ORG"),
        ("Ford", "ORG"),
        ("Georgia Smith", "PERSON"),
        ("Smith", "GPE"),
    ]
    doc = fixer(_analysed(nlp, text, ents))
    labels = {(e.start_char, e.label_) for e in doc.ents}
    assert (text.index("Ford said"), "ORG") in labels  # the company
    assert (text.index("Smith left"), "PERSON") in labels  # the surname the model took for a place


def test_mention_of_names_and_common_nouns(nlp: Language) -> None:
    """Proper nouns, capitalised adjectives and values are names; common nouns are nominal."""
    with nlp.select_pipes(disable=["annotate_entities", "annotate_events"]):
        doc = nlp("Russian officials said drones hit Kyiv on Monday.")

    def span(words: str, label: str) -> Span:
        start = doc.text.index(words)
        found = doc.char_span(start, start + len(words), label=label)
        assert found is not None
        return found

    assert mention_of(span("Kyiv", "GPE")) == "name"
    assert mention_of(span("Russian", "NORP")) == "name"
    assert mention_of(span("Monday", "DATE")) == "name"
    assert mention_of(span("officials", "PERSON")) == "nominal"
    assert mention_of(span("drones", "WEAPON")) == "nominal"
