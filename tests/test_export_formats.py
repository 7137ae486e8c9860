"""The spaCy DocBin of an export holds the spans its ``tokens`` configuration tags, no others."""

from __future__ import annotations

import json
from pathlib import Path

from spacy.tokens import DocBin

from annotate.export.build import REPORT_FILE, export, read_snapshot
from annotate.labelstudio.labelconfig import ENTITY_CONTROL, TEXT_NAME
from annotate.pipeline import load_model
from annotate.schema import Schema

TEXT = "Rebels attacked Kabul on Monday. Police arrested John Smith in Paris."
# Offsets by hand: Monday 25-31, John 49, Smith 54-59, Paris 63-68.


def _region(number: int, start: int, end: int, label: str) -> dict[str, object]:
    value = {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]}
    return {
        "id": f"r{number}",
        "from_name": ENTITY_CONTROL,
        "to_name": TEXT_NAME,
        "type": "labels",
        "value": value,
    }


def test_docbin_keeps_what_the_token_view_keeps(tmp_path: Path, news_schema: Schema) -> None:
    """An overlapped span and one inside a token are left out of the DocBin (not widened, not
    silently dropped): both are in the report's alignment issues, as the token view leaves them out."""
    regions = [
        _region(1, 25, 31, "DATE"),  # Monday
        _region(2, 49, 59, "PERSON"),  # John Smith
        _region(3, 54, 59, "ORG"),  # Smith: overlaps the longer John Smith
        _region(4, 63, 67, "GPE"),  # "Pari": no whole token inside it
    ]
    annotation = {"id": 1, "completed_by": 1, "result": regions, "updated_at": "2026-11-28T10:00:00Z"}
    task = {"id": 1, "data": {"text": TEXT, "doc_id": "d1"}, "annotations": [annotation]}
    snapshot = tmp_path / "snapshot.jsonl"
    snapshot.write_text(json.dumps(task) + "\n", encoding="utf-8")
    out = tmp_path / "export"
    export(read_snapshot(snapshot), out, news_schema, formats=["hf", "spacy"], ratios={"train": 1.0})
    (doc,) = DocBin().from_disk(out / "spacy" / "train.spacy").get_docs(load_model().vocab)
    assert [(e.text, e.label_) for e in doc.ents] == [("Monday", "DATE"), ("John Smith", "PERSON")]
    issues = json.loads((out / REPORT_FILE).read_text(encoding="utf-8"))["alignment"]
    assert sorted(issue["span_id"] for issue in issues) == ["r3", "r4"]
    assert all(issue["what"].startswith("dropped:") for issue in issues)
