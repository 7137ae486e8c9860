"""Export of the stored real-server snapshot: round trip through load_dataset, formats, atomicity."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import datasets
import pyarrow.parquet as pq
import pytest
import yaml
from spacy.tokens import DocBin
from typer.testing import CliRunner

from annotate.cli import app
from annotate.errors import ExportError
from annotate.export import parallel
from annotate.export.build import REPORT_FILE, build_dataset, export, read_snapshot
from annotate.pipeline import load_model
from annotate.schema import Schema

from .conftest import REPO

SNAPSHOT = REPO / "tests" / "data" / "snapshot.jsonl"
ANN2 = "14"  # completed_by of the second simulated annotator in the stored snapshot


def _load(out: Path, config: str) -> datasets.DatasetDict:
    """load_dataset with a cache of its own, so that no earlier export can be served from cache."""
    return datasets.load_dataset(str(out), config, cache_dir=str(out.parent / f".cache-{out.name}"))


def _rows(out: Path, config: str) -> dict[str, list[dict[str, Any]]]:
    loaded = _load(out, config)
    return {split: list(part) for split, part in loaded.items()}


def _by_id(out: Path) -> tuple[dict[str, dict[str, Any]], datasets.Features]:
    loaded = _load(out, "documents")
    rows = {row["id"]: row for part in loaded.values() for row in part}
    return rows, next(iter(loaded.values())).features


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, news_schema: Schema) -> Path:
    """The stored snapshot exported once in every format."""
    out = tmp_path_factory.mktemp("export") / "news"
    export(read_snapshot(SNAPSHOT), out, news_schema, formats=["hf", "spacy", "conll"])
    return out


def test_export_round_trip_latest_policy(exported: Path, news_schema: Schema) -> None:
    """The latest annotation's corrections come back from load_dataset character for character."""
    rows, features = _by_id(exported)
    assert set(rows) == {"seed", "unicode"}  # "third" has no annotation: not gold
    label = features["entities"].feature["label"]
    seed = rows["seed"]
    entities = {(e["start"], e["end"]): e for e in seed["entities"]}
    for e in seed["entities"]:
        assert seed["text"][e["start"] : e["end"]] == e["text"]
    text = seed["text"]
    icc = text.index("International Criminal Court")
    moved = entities[(icc, icc + len("International Criminal Court"))]
    assert (label.int2str(moved["label"]), moved["origin"], moved["annotator"]) == ("ORG", "edited", ANN2)
    odesa = text.index("Odesa")
    manual = entities[(odesa, odesa + 5)]
    assert (label.int2str(manual["label"]), manual["origin"], manual["model_version"]) == (
        "GPE",
        "manual",
        None,
    )
    kremlin = text.index("Kremlin")
    assert label.int2str(entities[(kremlin, kremlin + 7)]["label"]) == "FAC"
    assert not any(e["text"] == "Iran" for e in seed["entities"])
    struck = text.index("struck")
    [event] = [e for e in seed["events"] if e["trigger"]["start"] == struck]
    roles = features["events"].feature["arguments"].feature["role"]
    places = [a for a in event["arguments"] if roles.int2str(a["role"]) == "Place"]
    assert [(a["start"], a["end"], a["text"], a["entity_id"]) for a in places] == [
        (odesa, odesa + 5, "Odesa", "manual-odesa")
    ]
    assert manual["id"] == "manual-odesa"


def test_export_round_trip_ground_truth_and_unicode(exported: Path) -> None:
    """The ground-truth annotation wins over a later one; offsets hold after emoji and CJK."""
    rows, features = _by_id(exported)
    label = features["entities"].feature["label"]
    unicode = rows["unicode"]
    text = unicode["text"]
    assert text.startswith("😀 Breaking")
    kherson = text.index("Kherson")
    found = {(e["start"], e["end"]): label.int2str(e["label"]) for e in unicode["entities"]}
    assert found[(kherson, kherson + 7)] == "GPE"  # ann2 relabelled it LOC later, but ann1's is ground truth
    assert all(text[e["start"] : e["end"]] == e["text"] for e in unicode["entities"])
    origins = {e["text"]: e["origin"] for e in unicode["entities"]}
    assert origins.pop("Kherson") == "edited"
    assert set(origins.values()) == {"prediction"}
    assert unicode["title"] == "Unicode test"


def test_export_tokens_config_has_bio_classlabels(exported: Path, news_schema: Schema) -> None:
    """The tokens config loads with ClassLabel BIO tags in schema order and maps back to the text."""
    loaded = _load(exported, "tokens")
    part = next(iter(loaded.values()))
    names = part.features["ner_tags"].feature.names
    assert names[:3] == ["O", f"B-{news_schema.entity_labels[0]}", f"I-{news_schema.entity_labels[0]}"]
    documents, _ = _by_id(exported)
    sentences = [row for split in loaded.values() for row in split if row["doc_id"] == "seed"]
    text = documents["seed"]["text"]
    tagged = {
        (row["token_starts"][i], tok, names[row["ner_tags"][i]])
        for row in sentences for i, tok in enumerate(row["tokens"])
    }  # fmt: skip
    odesa = text.index("Odesa")
    assert (odesa, "Odesa", "B-GPE") in tagged
    icc = text.index("International Criminal Court")
    assert (icc - len("the "), "the", "O") in tagged
    assert (icc, "International", "B-ORG") in tagged
    assert all(text[start : start + len(tok)] == tok for start, tok, _ in tagged)


def test_export_card_declares_both_configs(exported: Path, news_schema: Schema) -> None:
    """README.md declares the configurations and their ClassLabel names, and reports the run."""
    card = (exported / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---")[1])
    assert {c["config_name"] for c in header["configs"]} == {"documents", "tokens"}
    assert f"version `{news_schema.version}`" in card
    assert "Gold selection policy: `latest`" in card
    assert "no annotation: 1" in card
    report = json.loads((exported / REPORT_FILE).read_text(encoding="utf-8"))
    assert report["left_out"] == {"no annotation": 1}


def test_cli_export_card_has_the_hub_metadata_and_guidelines(tmp_path: Path, news_schema: Schema) -> None:
    """--license, creators, size, task ids and the schema's definitions reach the card; annotators
    are counted, never named; the datasets version it needs is stated."""
    out = tmp_path / "hub"
    args = ["export", "--from", str(SNAPSHOT), "--out", str(out), "--no-quality", "--license", "cc-by-4.0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    card = (out / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---")[1])
    assert header["license"] == "cc-by-4.0"
    assert header["annotations_creators"] == ["machine-generated", "expert-generated"]
    assert header["size_categories"] == ["n<1K"] and header["source_datasets"] == ["original"]
    assert header["task_categories"] == ["token-classification"]
    assert header["task_ids"] == ["named-entity-recognition"]
    person = next(label for label in news_schema.entities if label.name == "PERSON")
    attack = news_schema.event("Conflict:Attack")
    assert f"| PERSON | {person.description} |" in card
    assert f"| Conflict:Attack | {attack.description} |" in card
    assert "datasets>=4" in card and "Annotators: 2 people" in card and "names are not published" in card


def test_cli_export_to_the_hub_needs_a_license(tmp_path: Path) -> None:
    """--push-to-hub without --license is refused before anything is read or written."""
    out = tmp_path / "hub"
    args = ["export", "--from", str(SNAPSHOT), "--out", str(out), "--push-to-hub", "me/news"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "needs the data's licence: pass --license" in result.output
    assert not out.exists()


def test_export_spacy_and_conll_formats(exported: Path) -> None:
    """DocBin files load in spaCy with the gold entities; CoNLL lines carry the same tags."""
    nlp = load_model()
    files = sorted(p.name for p in (exported / "spacy").iterdir())
    docs = [
        doc for name in files for doc in DocBin().from_disk(exported / "spacy" / name).get_docs(nlp.vocab)
    ]
    ents = {(e.text, e.label_) for doc in docs for e in doc.ents}
    assert ("Odesa", "GPE") in ents
    assert ("International Criminal Court", "ORG") in ents
    conll = "".join(
        p.read_text(encoding="utf-8")
        for p in (exported / "conll").glob("*.conll")
        if "triggers" not in p.name
    )
    assert "Odesa -X- _ B-GPE\n" in conll
    assert conll.startswith("-DOCSTART- -X- O O\n")


def _broken_snapshot(tmp_path: Path) -> Path:
    tasks = [json.loads(line) for line in SNAPSHOT.read_text(encoding="utf-8").splitlines()]
    seed = next(t for t in tasks if t["data"]["doc_id"] == "unicode")
    region = next(r for r in seed["annotations"][0]["result"] if r["type"] == "labels")
    region["value"]["labels"] = ["NOT_A_LABEL"]
    path = tmp_path / "broken.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    return path


def test_export_invalid_span_fails_and_keeps_previous_export(tmp_path: Path, news_schema: Schema) -> None:
    """An invalid span stops the export with its task and region, leaving the last export intact."""
    out = tmp_path / "news"
    export(read_snapshot(SNAPSHOT), out, news_schema)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(ExportError, match=r"(?s)1 invalid spans.*task .* \(unicode\) region .*NOT_A_LABEL"):
        export(read_snapshot(_broken_snapshot(tmp_path)), out, news_schema)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_allow_invalid_lists_what_it_left_out(tmp_path: Path, news_schema: Schema) -> None:
    """With allow_invalid the bad span is left out and listed in the report."""
    out = tmp_path / "news"
    report = export(read_snapshot(_broken_snapshot(tmp_path)), out, news_schema, allow_invalid=True)
    [problem] = report.problems
    assert problem["doc_id"] == "unicode"
    assert "NOT_A_LABEL" in problem["what"]
    assert json.loads((out / REPORT_FILE).read_text(encoding="utf-8"))["problems"] == report.problems


def test_export_silver_split_is_marked(tmp_path: Path, news_schema: Schema) -> None:
    """With silver, the unannotated task's predictions form a separate 'silver' split."""
    out = tmp_path / "news"
    export(read_snapshot(SNAPSHOT), out, news_schema, silver=True)
    rows = _rows(out, "documents")
    assert [row["id"] for row in rows["silver"]] == ["third"]
    assert "silver" not in {row["id"] for split, part in rows.items() if split != "silver" for row in part}
    assert all(e["origin"] == "prediction" for e in rows["silver"][0]["entities"])
    assert "NOT gold" in (out / "README.md").read_text(encoding="utf-8")


def test_cli_export_from_snapshot(tmp_path: Path) -> None:
    """`annotate export --from` writes a loadable dataset and says where."""
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        app, ["export", "--from", str(SNAPSHOT), "--out", str(out), "--policy", "majority"]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    assert set(_by_id(out)[0]) == {"seed", "unicode"}
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "## Quality" in card
    assert '"spans_accepted_unchanged": "178/182"' in card  # 4 corrected entity spans, see test_report


def test_cli_export_no_quality_says_so_in_the_card(tmp_path: Path) -> None:
    """`--no-quality` skips the report; the card says the figures were not measured."""
    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["export", "--from", str(SNAPSHOT), "--out", str(out), "--no-quality"])
    assert result.exit_code == 0, result.output
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "not_measured" in card and "spans_accepted_unchanged" not in card


def _files(out: Path) -> dict[str, Any]:
    """Every file of an export by relative path: Parquet as (table, metadata), the rest as text."""
    found: dict[str, Any] = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = str(path.relative_to(out))
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            found[name] = (table.to_pylist(), table.schema.metadata)
        elif path.suffix == ".spacy":
            found[name] = [d.to_json() for d in DocBin().from_disk(path).get_docs(load_model().vocab)]
        elif path.name == REPORT_FILE:
            found[name] = {**json.loads(path.read_text(encoding="utf-8")), "out": None}
        else:
            found[name] = path.read_text(encoding="utf-8")
    return found


def test_build_dataset_holds_in_memory_what_export_writes(news_schema: Schema) -> None:
    """build_dataset: the export's rows by split, typed, in memory."""
    options: dict[str, Any] = {
        "policy": "majority",
        "silver": True,
        "ratios": {"train": 0.5, "test": 0.5},
        "seed": "a",  # sha256("a" + id) puts "seed" in train, "unicode" in test
    }
    built = build_dataset(read_snapshot(SNAPSHOT), news_schema, **options)
    assert built.report.splits == {"train": 1, "test": 1, "silver": 1}
    documents = built.configs["documents"]
    assert list(documents) == ["train", "test", "silver"]
    assert [row["id"] for row in documents["train"]] == ["seed"]
    assert [row["id"] for row in documents["test"]] == ["unicode"]
    assert documents["train"].features["entities"].feature["label"].names == news_schema.entity_labels
    assert set(built.configs["tokens"]) == {"train", "test", "silver"}


def test_export_in_worker_processes_writes_the_same_files(
    tmp_path: Path, news_schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read by two worker processes, one line per chunk, the snapshot gives the very same export,
    card quality figures included (each chunk counts its tasks, the counts are added)."""
    formats = ["hf", "spacy", "conll"]
    here = tmp_path / "here" / "news"
    export(read_snapshot(SNAPSHOT), here, news_schema, formats=formats, workers=1, measure_quality=True)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 1)
    staged: list[int] = []
    in_workers = parallel._in_workers

    def spy(*args: Any) -> Iterator[parallel.StagedChunk]:
        for chunk in in_workers(*args):
            staged.append(chunk.number)
            yield chunk

    monkeypatch.setattr(parallel, "_in_workers", spy)
    there = tmp_path / "workers" / "news"
    export(read_snapshot(SNAPSHOT), there, news_schema, formats=formats, workers=2, measure_quality=True)
    assert staged == [0, 1, 2]  # one chunk per line
    assert '"spans_accepted_unchanged": "178/182"' in (there / "README.md").read_text(encoding="utf-8")
    expected = _files(here)
    assert set(expected) >= {"documents/train-00000-of-00001.parquet", "spacy/train.spacy", "README.md"}
    assert _files(there) == expected


def test_export_in_worker_processes_names_a_malformed_line(
    tmp_path: Path, news_schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line that is not JSON stops the workers' export with its line number; nothing is left over."""
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("".join([*lines[:2], "\n", '{"id": 4, "data": \n', *lines[2:]]), encoding="utf-8")
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 1)
    with pytest.raises(ExportError, match=rf"^{broken}:4: malformed JSON \(Expecting value\)"):
        export(read_snapshot(broken), tmp_path / "news", news_schema, workers=2)
    assert [p.name for p in tmp_path.iterdir()] == ["broken.jsonl"]
