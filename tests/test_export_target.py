"""Export writes only into what it owns, and every gold policy survives load_dataset."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import datasets
import pytest

from annotate.document import Span
from annotate.errors import ExportError, OutputError
from annotate.export.build import export, read_snapshot
from annotate.export.target import MARKER, folder_name
from annotate.schema import Schema

from .conftest import REPO
from .fixtures.readonly import read_only
from .fixtures.synthetic import gold_article, write_snapshot

SNAPSHOT = REPO / "tests" / "data" / "snapshot.jsonl"


def _documents(out: Path) -> dict[str, list[tuple[str, str]]]:
    loaded = datasets.load_dataset(str(out), "documents", cache_dir=str(out.parent / f".cache-{out.name}"))
    return {split: sorted((row["id"], row["annotator"]) for row in part) for split, part in loaded.items()}


@pytest.mark.parametrize(
    ("policy", "rows"),
    [
        # Read off the stored snapshot by hand: "seed" has annotations by users 13 and 14 (and one
        # cancelled by 15), 14's the latest; "unicode" has 13's marked ground truth and 14's newer.
        ("latest", [("seed", "14"), ("unicode", "13")]),
        ("majority", [("seed", "majority"), ("unicode", "majority")]),
        ("per-annotator", [("seed", "13"), ("seed", "14"), ("unicode", "13"), ("unicode", "14")]),
    ],
)
def test_export_every_policy_through_load_dataset(
    tmp_path: Path, news_schema: Schema, policy: str, rows: list[tuple[str, str]]
) -> None:
    """Each policy's rows come back keyed by (document, annotator); an article's rows share a split."""
    out = tmp_path / policy
    export(read_snapshot(SNAPSHOT), out, news_schema, policy=policy, ratios={"train": 0.5, "test": 0.5})
    loaded = _documents(out)
    assert sorted(row for part in loaded.values() for row in part) == rows
    for doc_id in {doc_id for doc_id, _ in rows}:
        assert sum(any(row[0] == doc_id for row in part) for part in loaded.values()) == 1, doc_id


def test_export_refuses_a_folder_with_other_files(tmp_path: Path, news_schema: Schema) -> None:
    """--out holding files annotate did not write: refused before any work, files and mode untouched."""
    out = tmp_path / "mine"
    out.mkdir(mode=0o755)
    out.chmod(0o755)
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputError, match=f"{MARKER}.*move those files away yourself"):
        export(read_snapshot(SNAPSHOT), out, news_schema)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


def test_export_refuses_to_replace_an_export_holding_the_snapshot(
    tmp_path: Path, news_schema: Schema
) -> None:
    """An earlier export with the snapshot copied into it is not replaced: the snapshot survives."""
    out = tmp_path / "news"
    export(read_snapshot(SNAPSHOT), out, news_schema)
    inside = out / "snapshot.jsonl"
    shutil.copy(SNAPSHOT, inside)
    with pytest.raises(OutputError, match=r"also holds files it did not write \(snapshot\.jsonl\)"):
        export(read_snapshot(inside), out, news_schema)
    assert inside.read_bytes() == SNAPSHOT.read_bytes()


def test_export_replaces_its_own_export_and_keeps_the_folder_mode(
    tmp_path: Path, news_schema: Schema
) -> None:
    """An empty folder and an earlier export are written over; the folder keeps its mode."""
    out = tmp_path / "news"
    out.mkdir()
    out.chmod(0o750)
    export(read_snapshot(SNAPSHOT), out, news_schema)
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert "README.md" in marker["files"] and "export_report.json" in marker["files"]
    export(read_snapshot(SNAPSHOT), out, news_schema, policy="majority")
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    assert {row[1] for part in _documents(out).values() for row in part} == {"majority"}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".news")] == []  # no leftovers


def test_export_split_names_cannot_leave_the_folder(tmp_path: Path, news_schema: Schema) -> None:
    """--splits "../../evil=1.0" is refused before anything is written, inside or outside --out."""
    out = tmp_path / "a" / "b" / "news"
    with pytest.raises(ExportError, match=r"split names '\.\./\.\./evil' are not allowed"):
        export(read_snapshot(SNAPSHOT), out, news_schema, ratios={"../../evil": 1.0})
    assert list(tmp_path.rglob("*")) == []


def test_folder_name_of_a_project_title_stays_in_exports() -> None:
    """Project titles become plain folder names: no parent references, separators or hidden names."""
    assert folder_name("../victim") == "victim"
    assert folder_name("a/../../b") == "a-..-..-b"
    assert folder_name("News 2024: Ukraine") == "News-2024-Ukraine"
    assert folder_name("..") == folder_name("/") == "dataset"


def test_export_to_a_read_only_folder_fails_before_any_work(tmp_path: Path, news_schema: Schema) -> None:
    """A read-only place for --out is a clear error before the snapshot is read."""
    with (
        read_only(tmp_path / "ro") as folder,
        pytest.raises(OutputError, match=r"cannot write .*(read-only|permission)"),
    ):
        export(read_snapshot(tmp_path / "missing.jsonl"), folder / "news", news_schema)


def test_export_names_only_leaves_nominals_out_of_name_level_views(
    tmp_path: Path, news_schema: Schema
) -> None:
    """--names-only: documents keep every entity with its mention type, tokens tag names only."""
    documents = []
    for number in range(3):
        document = gold_article(number)
        for span in document.entities:
            span.mention = "name"
        officials = document.article.text.index("officials")
        document.entities.append(
            Span("nom", officials, officials + 9, "PERSON", "officials", mention="nominal")
        )
        documents.append(document)
    snapshot = tmp_path / "snapshot.jsonl"
    write_snapshot(snapshot, documents, news_schema)
    out = tmp_path / "news"
    export(read_snapshot(snapshot), out, news_schema, names_only=True, ratios={"train": 1.0})
    rows = datasets.load_dataset(str(out), "documents", cache_dir=str(tmp_path / "c1"))["train"]
    mentions = {(e["text"], e["mention"]) for row in rows for e in row["entities"]}
    assert ("officials", "nominal") in mentions and ("Russia", "name") in mentions
    tokens = datasets.load_dataset(str(out), "tokens", cache_dir=str(tmp_path / "c2"))["train"]
    tags = tokens.features["ner_tags"].feature
    tagged = {
        token: tags.int2str(tag)
        for row in tokens
        for token, tag in zip(row["tokens"], row["ner_tags"], strict=True)
    }
    assert tagged["officials"] == "O" and tagged["Russia"] == "B-GPE"
