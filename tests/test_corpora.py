"""Tests of annotate.quality.corpora on small literal files and on the real gold corpora."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from annotate.document import Document
from annotate.errors import EvaluationError
from annotate.quality.corpora import (
    detokenize,
    load_meantime,
    load_wikievents,
    read_meantime,
    read_wikievents,
)

#: Eight MEANTIME documents (CC BY 4.0; see tests/data/ATTRIBUTION.md).
MEANTIME_SLICE = Path(__file__).parent / "data" / "meantime_slice.jsonl"

# Headline (sentence 0), dateline (1), one sentence (2) with an event split by other words.
MEANTIME_TOKENS = [
    "Apple", "sues", "Nokia",  # 0-2
    "May", "1", ",", "2010",  # 3-6
    "Apple", "Inc.", "'s", "boss", "Steve", "Jobs", "said", '"', "we", "took", "it", "back", '"',  # 7-19
    "in", "New", "York", "(", "US", ")", ".",  # 20-26
]  # fmt: skip
MEANTIME_RECORD: dict[str, Any] = {
    "doc_id": "42",
    "url": "http://example.org/42",
    "tokens": MEANTIME_TOKENS,
    "sentence_ids": [0] * 3 + [1] * 4 + [2] * 20,
    "entity_mentions": [
        {"m_id": "1", "token_start": 0, "token_end": 1, "contiguous": True, "syntactic_type": "NAM",
         "ent_type": "ORG", "text": "Apple"},
        {"m_id": "2", "token_start": 7, "token_end": 9, "contiguous": True, "syntactic_type": "PRE.NAM",
         "ent_type": "ORG", "text": "Apple Inc."},
        {"m_id": "3", "token_start": 10, "token_end": 11, "contiguous": True, "syntactic_type": "NOM",
         "ent_type": "PER", "text": "boss"},
        {"m_id": "4", "token_start": 11, "token_end": 13, "contiguous": True, "syntactic_type": "NAM",
         "ent_type": "PER", "text": "Steve Jobs"},
        {"m_id": "5", "token_start": 21, "token_end": 23, "contiguous": True, "syntactic_type": "NAM",
         "ent_type": "LOC", "text": "New York"},
        {"m_id": "6", "token_start": 2, "token_end": 3, "contiguous": True, "syntactic_type": "NAM",
         "ent_type": "FIN", "text": "Nokia"},
        {"m_id": "7", "token_start": 21, "token_end": 25, "contiguous": False, "syntactic_type": None,
         "ent_type": "LOC", "text": "New York US"},
    ],
    "event_mentions": [
        {"m_id": "8", "token_start": 1, "token_end": 2, "text": "sues"},
        {"m_id": "9", "token_start": 16, "token_end": 19, "text": "took back"},
    ],
}  # fmt: skip

# Two sentences; the `text` field drops the space between them, so it drifts from the offsets.
WIKI_WORDS = [
    [["Bomb", 0, 4], ["kills", 5, 10], ["John", 11, 15], ["Smith", 16, 21], ["in", 22, 24],
     ["Kabul", 25, 30]],
    [["Police", 32, 38], ["saw", 39, 42], ["3", 43, 44], ["cars", 45, 49], [".", 49, 50]],
]  # fmt: skip
WIKI_RECORD: dict[str, Any] = {
    "doc_id": "w1",
    "tokens": [word for sentence in WIKI_WORDS for word, _, _ in sentence],
    "text": "Bomb kills John Smith in KabulPolice saw 3 cars.",
    "sentences": [[WIKI_WORDS[0], "Bomb kills John Smith in Kabul"], [WIKI_WORDS[1], "Police saw 3 cars."]],
    "entity_mentions": [
        {"id": "w1-T1", "start": 0, "end": 1, "entity_type": "WEA", "text": "Bomb"},
        {"id": "w1-T2", "start": 2, "end": 4, "entity_type": "PER", "text": "John Smith"},
        {"id": "w1-T3", "start": 5, "end": 6, "entity_type": "GPE", "text": "Kabul"},
        {"id": "w1-T4", "start": 6, "end": 7, "entity_type": "ORG", "text": "Police"},
        {"id": "w1-T5", "start": 8, "end": 9, "entity_type": "VAL", "text": "3"},
        {"id": "w1-T6", "start": 9, "end": 10, "entity_type": "COM", "text": "cars"},
    ],
    "event_mentions": [
        {"id": "w1-E1", "event_type": "Life.Die.Unspecified",
         "trigger": {"start": 1, "end": 2, "text": "kills"},
         "arguments": [{"entity_id": "w1-T2", "role": "Victim"}, {"entity_id": "w1-T3", "role": "Place"},
                       {"entity_id": "w1-T1", "role": "Instrument"},
                       {"entity_id": "w1-T6", "role": "MedicalIssue"}]},
        {"id": "w1-E2", "event_type": "Cognitive.Inspection.SensoryObserve",
         "trigger": {"start": 7, "end": 8, "text": "saw"},
         "arguments": [{"entity_id": "w1-T4", "role": "Observer"},
                       {"entity_id": "w1-T6", "role": "ObservedEntity"}]},
        {"id": "w1-E3", "event_type": "Conflict.Attack.DetonateExplode",
         "trigger": {"start": 0, "end": 1, "text": "Bomb"},
         "arguments": [{"entity_id": "w1-T1", "role": "ExplosiveDevice"},
                       {"entity_id": "w1-T5", "role": "Target"}]},
    ],
}  # fmt: skip


def _write(tmp_path: Path, *records: dict[str, Any]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def _spans(doc: Document) -> list[tuple[str, int, int, str]]:
    return [(s.id, s.start, s.end, s.text) for s in [*doc.entities, *(e.trigger for e in doc.events)]]


def test_detokenize_spacing_and_offsets() -> None:
    """Punctuation, clitics, brackets, currency and straight quotes get natural spacing."""
    tokens = ["Apple", "'s", "CEO", "said", '"', "we", "did", "n't", "sell", "(", "much", ")", '"', "for",
              "$", "5", ",", "or", "3", "%", "."]  # fmt: skip
    text, offsets = detokenize(tokens)
    assert text == "Apple's CEO said \"we didn't sell (much)\" for $5, or 3%."
    assert [text[start:end] for start, end in offsets] == tokens


def test_detokenize_headline_and_dateline_on_own_lines() -> None:
    """Headline and dateline end with a line break; later sentences are joined by one space."""
    text, _ = detokenize(
        ["Big", "news", "May", "1", "It", "rained", ".", "Fine", "."], [0, 0, 1, 1, 2, 2, 2, 3, 3]
    )
    assert text == "Big news\nMay 1\nIt rained. Fine."


def test_read_meantime_builds_text_entities_and_triggers(tmp_path: Path) -> None:
    """Named mentions with mapped types become entities; every span slices its own text."""
    corpus = load_meantime(_write(tmp_path, MEANTIME_RECORD))
    (doc,) = corpus.documents
    assert doc.article.id == "meantime-42"
    assert doc.article.text == (
        "Apple sues Nokia\n"
        'May 1, 2010\nApple Inc.\'s boss Steve Jobs said "we took it back" in New York (US).'
    )
    assert doc.article.meta == {"title": "Apple sues Nokia", "url": "http://example.org/42"}
    assert [(s.text, s.label) for s in doc.entities] == [
        ("Apple", "ORG"), ("Apple Inc.", "ORG"), ("Steve Jobs", "PERSON"), ("New York", "LOC")
    ]  # fmt: skip
    assert all(doc.article.text[start:end] == text for _, start, end, text in _spans(doc))
    assert corpus.equivalent == (("GPE", "LOC", "FAC"),)


def test_read_meantime_counts_skipped_mentions(tmp_path: Path) -> None:
    """Nominal, unmapped-type and non-contiguous mentions are skipped and counted."""
    skipped = load_meantime(_write(tmp_path, MEANTIME_RECORD)).skipped
    assert skipped["entity:syntactic_type=NOM"] == 1
    assert skipped["entity:type=FIN"] == 1
    assert skipped["entity:non-contiguous"] == 1


def test_read_meantime_splits_non_contiguous_event(tmp_path: Path) -> None:
    """'took ... back' becomes two EVENT triggers; 'sues' stays one."""
    corpus = load_meantime(_write(tmp_path, MEANTIME_RECORD))
    (doc,) = corpus.documents
    assert [(e.id, e.type, e.trigger.text) for e in doc.events] == [
        ("evt-8", "EVENT", "sues"), ("evt-9.0", "EVENT", "took"), ("evt-9.1", "EVENT", "back")
    ]  # fmt: skip
    assert all(not e.arguments for e in doc.events)
    assert corpus.skipped["event:non-contiguous (split)"] == 1


def test_read_wikievents_rebuilds_text_from_offsets(tmp_path: Path) -> None:
    """The text comes from the word offsets, not the drifting `text` field."""
    (doc,) = read_wikievents(_write(tmp_path, WIKI_RECORD))
    assert doc.article.id == "wikievents-w1"
    assert doc.article.text == "Bomb kills John Smith in Kabul  Police saw 3 cars."
    words = [str(word) for sentence in WIKI_WORDS for word, _, _ in sentence]
    expected = {m["id"]: " ".join(words[m["start"] : m["end"]]) for m in WIKI_RECORD["entity_mentions"]}
    expected |= {e["id"]: e["trigger"]["text"] for e in WIKI_RECORD["event_mentions"]}
    for span_id, start, end, text in _spans(doc):
        assert doc.article.text[start:end] == text == expected[span_id]


def test_read_wikievents_maps_types_and_roles(tmp_path: Path) -> None:
    """KAIROS types and roles become ACE ones; unmapped events and roles are dropped."""
    (doc,) = read_wikievents(_write(tmp_path, WIKI_RECORD))
    events = {e.id: (e.type, [(a.role, a.span_id) for a in e.arguments]) for e in doc.events}
    assert events == {
        "w1-E1": ("Life:Die", [("Victim", "w1-T2"), ("Place", "w1-T3"), ("Instrument", "w1-T1")]),
        "w1-E3": ("Conflict:Attack", [("Instrument", "w1-T1"), ("Target", "w1-T5")]),
    }


def test_read_wikievents_keeps_unmapped_fillers_as_x_labels(tmp_path: Path) -> None:
    """An unmapped-type argument filler stays as X-<type>; an unmapped non-filler is dropped."""
    (doc,) = read_wikievents(_write(tmp_path, WIKI_RECORD))
    assert [(s.id, s.label) for s in doc.entities] == [
        ("w1-T1", "WEAPON"), ("w1-T2", "PERSON"), ("w1-T3", "GPE"), ("w1-T4", "ORG"), ("w1-T5", "X-VAL")
    ]  # fmt: skip


def test_load_wikievents_counts_exclusions(tmp_path: Path) -> None:
    """Excluded entity types, event types, roles and orphaned arguments are all counted."""
    skipped = load_wikievents(_write(tmp_path, WIKI_RECORD)).skipped
    assert skipped == {
        "entity:type=VAL": 1,
        "entity:type=COM": 1,
        "event:type=Cognitive.Inspection.SensoryObserve": 1,
        "argument:of excluded event": 2,
        "argument:role=Life.Die.Unspecified/MedicalIssue": 1,
    }


def test_read_wikievents_bad_json_names_file_and_line(tmp_path: Path) -> None:
    """A line that is not JSON raises EvaluationError naming file:line."""
    path = _write(tmp_path, WIKI_RECORD)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    with pytest.raises(EvaluationError, match=re.escape(f"{path}:2:")):
        list(read_wikievents(path))


def test_read_meantime_malformed_record_names_file_and_line(tmp_path: Path) -> None:
    """A record without tokens raises EvaluationError naming file:line."""
    path = _write(tmp_path, {"doc_id": "1"})
    with pytest.raises(EvaluationError, match=re.escape(f"{path}:1: malformed record")):
        list(read_meantime(path))


def test_read_meantime_missing_file_raises_at_once(tmp_path: Path) -> None:
    """A missing file raises EvaluationError naming it before any iteration."""
    with pytest.raises(EvaluationError, match=r"absent\.jsonl"):
        read_meantime(tmp_path / "absent.jsonl")


def test_real_meantime_spans_slice_their_text() -> None:
    """Every span of eight real MEANTIME documents equals its text slice and has no outer space."""
    meantime = list(read_meantime(MEANTIME_SLICE))
    assert len(meantime) == 8
    assert sum(len(doc.entities) for doc in meantime) > 50  # not a vacuous loop
    for doc in meantime:
        for _, start, end, text in _spans(doc):
            assert doc.article.text[start:end] == text
            assert text == text.strip() and text
        for event in doc.events:
            assert all(doc.entity(argument.span_id) for argument in event.arguments)
