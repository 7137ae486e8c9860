"""Task shards: folders of JSON-lines or Parquet tasks that read back as the task file would."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from annotate import taskshards
from annotate.errors import OutputError
from annotate.prelabel import prelabel_files
from annotate.schema import Schema


def _news(path: Path) -> Path:
    lines = [json.dumps({"id": f"a{n}", "text": f"Rebels attacked town {n} on Monday."}) for n in range(25)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("shard_format", ["jsonl", "parquet"])
def test_prelabel_files_writes_shards_that_read_back_as_the_task_file(
    news_schema: Schema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shard_format: taskshards.ShardFormat
) -> None:
    """--out FOLDER on one machine: shards of at most SHARD_TASKS, read back equal to the JSON task
    file, in order."""
    monkeypatch.setattr(taskshards, "SHARD_TASKS", 10)
    source = _news(tmp_path / "news.jsonl")
    prelabel_files([source], tmp_path / "tasks.json", news_schema)
    report = prelabel_files([source], tmp_path / "shards", news_schema, shard_format=shard_format)
    assert report.tasks == 25
    manifest = json.loads((tmp_path / "shards" / taskshards.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["shards"] == [f"tasks-0000{n}.{shard_format}" for n in range(3)]
    assert manifest["format"] == shard_format and manifest["tasks"] == 25
    expected = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    assert list(taskshards.read_task_shards(tmp_path / "shards")) == expected


def test_parquet_shards_have_queryable_columns(news_schema: Schema, tmp_path: Path) -> None:
    """A Parquet shard's doc_id, model_version and score columns hold the first prediction's."""
    source = _news(tmp_path / "news.jsonl")
    prelabel_files([source], tmp_path / "tasks.json", news_schema)
    prelabel_files([source], tmp_path / "shards", news_schema, shard_format="parquet")
    table = pq.read_table(tmp_path / "shards" / "tasks-00000.parquet")
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    assert table.column("doc_id").to_pylist() == [task["data"]["doc_id"] for task in tasks]
    predictions = [task["predictions"][0] for task in tasks]
    scores = [prediction["score"] for prediction in predictions]
    assert table.column("score").to_pylist() == scores and all(0 < score <= 1 for score in scores)
    assert set(table.column("model_version").to_pylist()) == {predictions[0]["model_version"]}


def test_write_task_shards_never_replaces_other_files(tmp_path: Path) -> None:
    """A folder holding anything but annotate's shards is refused before anything is written."""
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputError, match="holds other files"):
        taskshards.write_task_shards(tmp_path, [{"data": {"text": "x"}}])
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_parquet_shards_are_refused_for_a_task_file_or_an_unknown_format(tmp_path: Path) -> None:
    """Parquet into a .json path, or a format that does not exist, is refused before any work."""
    with pytest.raises(OutputError, match="go into a folder"):
        taskshards.check_task_output(tmp_path / "tasks.json", "parquet")
    with pytest.raises(OutputError, match="unknown shard format 'csv'; use jsonl or parquet"):
        taskshards.shard_format_of("csv")
