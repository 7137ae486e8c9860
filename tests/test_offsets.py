"""Normalisation never moves offsets silently: every span maps back onto the input text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from spacy.language import Language

from annotate.articles import read_articles
from annotate.offsets import OffsetMap, normalize_text, normalize_with_offsets
from annotate.prelabel import prelabel
from annotate.schema import Schema

INPUTS = {
    "leading and trailing white space": "  \n Rebels attacked Kabul on Monday.  \n",
    "CRLF line ends": "Rebels attacked Kabul.\r\nPolice arrested two men in Herat.\r\n",
    "decomposed accents (NFC)": "Jose\u0301 Marti\u0301 met Zelenskyi\u0301 in Kyiv.",
    "BOM, controls, line separator": "\ufeffRebels\x07 attacked\u2028Kabul.",
}


@pytest.mark.parametrize("raw", INPUTS.values(), ids=list(INPUTS))
def test_offset_map_maps_every_word_back(raw: str) -> None:
    """Each word of the normalised text maps to the input characters it came from."""
    text, offsets = normalize_with_offsets(raw)
    assert text == normalize_text(raw)
    for word in re.finditer(r"\w+", text):
        start, end = offsets.to_source(word.start(), word.end())
        assert normalize_text(raw[start:end]) == word.group()
        assert not raw[start].isspace() and not raw[end - 1].isspace()  # nothing removed around it


def test_offset_map_is_empty_for_normal_text_and_round_trips_json() -> None:
    """Already normal text needs no map; a map survives JSON as the task carries it."""
    assert normalize_with_offsets("Rebels attacked Kabul.")[1] == OffsetMap()
    _, offsets = normalize_with_offsets(INPUTS["CRLF line ends"])
    assert OffsetMap.from_list(json.loads(json.dumps(offsets.as_list()))) == offsets
    assert offsets.to_source(0, 6) == (0, 6)
    assert offsets.to_source(23, 29) == (24, 30)  # "Police", after one CRLF (checked by hand)


def test_prelabel_spans_map_back_to_the_input(tmp_path: Path, nlp: Language, news_schema: Schema) -> None:
    """Pre-labelled spans of whitespace-led, CRLF and NFC input land on the input's own text."""
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(json.dumps({"id": k, "text": v}) for k, v in INPUTS.items()), encoding="utf-8")
    tasks = list(prelabel(read_articles([path]), news_schema, nlp=nlp))
    assert [t["data"]["doc_id"] for t in tasks] == list(INPUTS)
    checked = 0
    for task in tasks:
        raw = INPUTS[task["data"]["doc_id"]]
        offsets = OffsetMap.from_list(task["data"].get("source_offsets", []))
        assert bool(offsets.points)  # every input here needed normalising
        for region in task["predictions"][0]["result"]:
            if region["type"] != "labels":
                continue
            start, end = offsets.to_source(region["value"]["start"], region["value"]["end"])
            assert normalize_text(raw[start:end]) == region["value"]["text"]
            checked += 1
    assert checked >= 8
