"""The ``annotate_entities`` component: map a spaCy NER onto the schema and fix what news breaks.

It runs after ``ner`` and works first in the model's own label set (OntoNotes for the
``en_core_web_sm`` family), because the fixes are knowledge about that model's habits, then maps
the result onto the schema's labels:

- trim: possessive endings ("Kyiv’s"), trailing numbers ("Kherson 16"), punctuation and leading
  words the schema's gazetteers know as something else (titles: "President Zelensky");
- agree: one surface form gets one label per article, by a vote in which a mention in a place
  context ("in Kyiv", "city of Kherson") counts for a place label;
- names: a lone surname ("Popko") takes the label of the full name seen in the same article;
- spread: untagged repeats of a capitalised name tagged elsewhere in the article get its label;
- gazetteer: the schema's ``patterns`` (weapons, vehicles, titles, crimes ...), widened over
  their compound modifiers ("Shahed drones", "ballistic missiles").

Entities go to ``doc.ents`` (schema labels) and to ``doc.spans["entities"]`` with
``attrs["scores"]``; labels marked ``only_as_argument`` go to ``doc.spans["entity_candidates"]``
for the event component to use. Each improvement is measured by ``annotate evaluate``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup, Token
from spacy.util import filter_spans

from annotate.pipeline.gazetteer import Gazetteer
from annotate.pipeline.stored import SchemaStored
from annotate.schema import Schema, load_schema

ENTITIES_KEY = "entities"
CANDIDATES_KEY = "entity_candidates"
ALL_FIXES = ("trim", "agree", "names", "spread", "gazetteer")
#: The fixes on by default: each one helps on every dev corpus in the ablation of
#: ``bench/entity_fixes.py`` (README "Quality, measured"); ``spread`` lowers MEANTIME's F1, so it is
#: available (``--fixes``) but off.
DEFAULT_FIXES = ("trim", "agree", "names", "gazetteer")
# Confidence of each source: spaCy's NER gives no probabilities, so these are calibrated by hand
# against MEANTIME precision (see README "Quality").
SCORES = {"ner": 0.8, "agree": 0.7, "names": 0.75, "spread": 0.65, "gazetteer": 0.7}

# Model-side knowledge (OntoNotes labels of the spaCy NER), not schema labels.
_NAME_LABELS = ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW")
_PLACE_PREPS = {"in", "at", "on", "near", "into", "across", "throughout", "outside", "inside", "around"}
_PLACE_NOUNS = {"city", "town", "village", "region", "province", "capital", "port", "country", "state"}
_HONORIFICS = {"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "sir", "dame", "lord", "lady"}
_POSSESSIVES = {"'s", "’s", "'", "’"}


@dataclass
class _Mention:
    start: int
    end: int
    label: str
    source: str


@Language.factory(
    "annotate_entities",
    default_config={"schema_path": None, "fixes": list(DEFAULT_FIXES)},
)
def make_entity_fixer(nlp: Language, name: str, schema_path: str | None, fixes: list[str]) -> EntityFixer:
    """Build the component from a schema file (default: the packaged ``news`` schema)."""
    return EntityFixer(nlp, load_schema(schema_path), fixes=fixes)


class EntityFixer(SchemaStored):
    """Turn raw NER output into schema-labelled, article-consistent entity spans."""

    def __init__(self, nlp: Language, schema: Schema, fixes: Iterable[str] = DEFAULT_FIXES) -> None:
        self.fixes = frozenset(fixes)
        unknown = self.fixes - set(ALL_FIXES)
        if unknown:
            raise ValueError(f"unknown entity fixes {sorted(unknown)}; known: {list(ALL_FIXES)}")
        self.vocab = nlp.vocab
        self.configure(schema)

    def configure(self, schema: Schema) -> None:
        """Use ``schema``: its label mapping, argument-only labels and gazetteer."""
        self.schema = schema
        self.label_map = {**{label: label for label in schema.entity_labels}, **schema.spacy_label_map}
        self.candidate_labels = {label.name for label in schema.entities if label.only_as_argument}
        self.gazetteer = Gazetteer(self.vocab, schema)

    def __call__(self, doc: Doc) -> Doc:
        mentions = [_Mention(e.start, e.end, e.label_, "ner") for e in doc.ents]
        named = {i for m in mentions for i in range(m.start, m.end)}
        gazetteer = self._gazetteer(doc, named) if "gazetteer" in self.fixes else []
        if "trim" in self.fixes:
            # Leading words a name may lose are titles (argument-only gazetteer labels such as
            # JOB_TITLE: "President Zelensky"), never a weapon or vehicle word inside a name ("Van Morrison").
            titles = [m for m in gazetteer if m.label in self.candidate_labels]
            title_tokens = {i for m in titles for i in range(m.start, m.end)}
            mentions = [m for m in (_trim(doc, m, title_tokens) for m in mentions) if m is not None]
        if "names" in self.fixes:
            _resolve_surnames(doc, mentions)
        if "agree" in self.fixes:
            _agree(doc, mentions)
        if "spread" in self.fixes:
            mentions += _spread(doc, mentions)
        mapped = [m for m in mentions if m.label in self.label_map]
        for m in mapped:
            m.label = self.label_map[m.label]
        entities = [m for m in mapped if m.label not in self.candidate_labels]
        candidates = [m for m in gazetteer if m.label in self.candidate_labels]
        entities += [m for m in gazetteer if m.label not in self.candidate_labels]
        spans = filter_spans([self._span(doc, m) for m in entities])
        doc.ents = spans
        scores = [SCORES[str(span.id_)] if span.id_ else SCORES["ner"] for span in spans]
        doc.spans[ENTITIES_KEY] = SpanGroup(doc, name=ENTITIES_KEY, spans=spans, attrs={"scores": scores})
        doc.spans[CANDIDATES_KEY] = SpanGroup(
            doc, name=CANDIDATES_KEY, spans=[self._span(doc, m) for m in candidates]
        )
        return doc

    @staticmethod
    def _span(doc: Doc, mention: _Mention) -> Span:
        return Span(doc, mention.start, mention.end, label=mention.label, span_id=mention.source)

    def _gazetteer(self, doc: Doc, named: set[int]) -> list[_Mention]:
        found = []
        for label, start, end in self.gazetteer(doc):
            start = _widen_left(doc, start, end, named)
            found.append(Span(doc, start, end, label=label))
        return [_Mention(s.start, s.end, s.label_, "gazetteer") for s in filter_spans(found)]


def _widen_left(doc: Doc, start: int, end: int, named: set[int]) -> int:
    """Extend a gazetteer match over the noun compounds of its head ("Shahed drones").

    Adjectives ("alleged drones") and names the NER found ("Russian missiles") stay outside.
    """
    while start > 0:
        prev = doc[start - 1]
        if prev.i in named:
            break
        if prev.dep_ == "compound" and start <= prev.head.i < end and not prev.is_punct:
            start -= 1
        elif (
            prev.text == "-"
            and start > 1
            and doc[start - 2].i not in named
            and doc[start - 2].dep_ in ("compound", "amod", "nmod")
        ):
            start -= 2
        else:
            break
    return start


def _trim(doc: Doc, m: _Mention, title_tokens: set[int]) -> _Mention | None:
    start, end = m.start, m.end
    while end > start and (doc[end - 1].text in _POSSESSIVES or doc[end - 1].is_punct):
        end -= 1
    if m.label in _NAME_LABELS:
        while end - 1 > start and doc[end - 1].like_num:
            end -= 1
        while start < end - 1 and (start in title_tokens or doc[start].lower_ in _HONORIFICS):
            start += 1
    while start < end and doc[start].is_punct:
        start += 1
    if start >= end:
        return None
    return _Mention(start, end, m.label, m.source)


def _surface(doc: Doc, m: _Mention) -> str:
    return doc[m.start : m.end].text


def _is_place_context(head: Token) -> bool:
    """Whether a name's head word sits where places sit: "in Kyiv", "city of Kherson", "Kyiv city"."""
    if head.dep_ == "pobj" and head.head.lower_ in _PLACE_PREPS:
        return True
    if head.dep_ == "pobj" and head.head.lower_ == "of" and head.head.head.lemma_.lower() in _PLACE_NOUNS:
        return True
    return head.dep_ in ("compound", "amod") and head.head.lemma_.lower() in _PLACE_NOUNS


def _agree(doc: Doc, mentions: list[_Mention]) -> None:
    """Give every mention of one surface form the label most of its mentions vote for.

    A place context ("in Kyiv"), tagged or not, votes twice for GPE against a PERSON reading;
    a lone word tagged PERSON that never appears inside a longer PERSON name votes only half.
    """
    votes: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    full_names = {w for m in mentions if m.label == "PERSON" and m.end - m.start > 1 for w in _words(doc, m)}
    for m in mentions:
        if m.label in _NAME_LABELS:
            lone_person = m.label == "PERSON" and m.end - m.start == 1 and _surface(doc, m) not in full_names
            votes[_surface(doc, m)][m.label] += 0.5 if lone_person else 1
    for token in doc:
        ballot = votes.get(token.text)
        if ballot is not None and "PERSON" in ballot and _is_place_context(token):
            ballot["GPE"] += 2
    for m in mentions:
        ballot = votes.get(_surface(doc, m))
        if ballot and len(ballot) > 1:
            winner = max(ballot, key=lambda label: (ballot[label], label == m.label))
            if winner != m.label:
                m.label, m.source = winner, "agree"


def _words(doc: Doc, m: _Mention) -> list[str]:
    return [t.text for t in doc[m.start : m.end]]


def _resolve_surnames(doc: Doc, mentions: list[_Mention]) -> None:
    """Label a one-word mention like the multi-word PERSON whose last word it is, unless the
    article also names an organisation that starts with that word ("Henry Ford" ... "Ford Motor
    Co." ... "Ford said": a company named after its founder stays a company)."""
    surnames = {doc[m.end - 1].text for m in mentions if m.label == "PERSON" and m.end - m.start > 1}
    companies = {doc[m.start].text for m in mentions if m.label == "ORG" and m.end - m.start > 1}
    for m in mentions:
        word = doc[m.start].text
        if m.end - m.start == 1 and m.label != "PERSON" and word in surnames and word not in companies:
            m.label, m.source = "PERSON", "names"


def _spread(doc: Doc, mentions: list[_Mention]) -> list[_Mention]:
    """Tag untagged repeats of a capitalised name that the article tags elsewhere."""
    labels: dict[tuple[str, ...], str] = {}
    for m in mentions:
        words = tuple(t.text for t in doc[m.start : m.end])
        if m.label in _NAME_LABELS and words[0][:1].isupper() and len("".join(words)) > 1:
            labels.setdefault(words, m.label)
    taken = {i for m in mentions for i in range(m.start, m.end)}
    added: list[_Mention] = []
    by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for words in labels:
        by_first[words[0]].append(words)
    for token in doc:
        for words in by_first.get(token.text, ()):
            end = token.i + len(words)
            found = end <= len(doc) and tuple(t.text for t in doc[token.i : end]) == words
            if found and not taken.intersection(range(token.i, end)):
                added.append(_Mention(token.i, end, labels[words], "spread"))
                taken.update(range(token.i, end))
    return added
