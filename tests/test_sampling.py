"""`annotate push --sample`: only the working set goes to Label Studio, the rest stays silver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from annotate import taskshards
from annotate.cli import app
from annotate.errors import AnnotateError
from annotate.labelstudio.labelconfig import EVENT_CONTROL
from annotate.sampling import sample_tasks
from annotate.studio.client import Studio
from annotate.studio.server import LocalServer
from annotate.taskfile import read_task_file, write_tasks


def _task(doc_id: str, score: float, *types: str) -> dict[str, Any]:
    result = [{"from_name": EVENT_CONTROL, "type": "labels", "value": {"labels": [t]}} for t in types]
    return {"data": {"doc_id": doc_id, "text": doc_id}, "predictions": [{"score": score, "result": result}]}


TASKS = [
    _task("a", 0.9, "Conflict:Attack"),
    _task("b", 0.2, "Conflict:Attack"),
    _task("c", 0.5, "Justice:Arrest-Jail"),
    _task("d", 0.4),
    _task("e", 0.8, "Life:Die", "Conflict:Attack"),
    _task("f", 0.1, "Conflict:Attack"),
]


def _ids(tasks: list[dict[str, Any]]) -> list[str]:
    return [task["data"]["doc_id"] for task in tasks]


def test_sample_uncertain_takes_the_least_confident() -> None:
    """Scores 0.1 (f), 0.2 (b), 0.4 (d) are the lowest; chosen tasks keep the input order."""
    chosen, rest, _ = sample_tasks(TASKS, 3, "uncertain")
    assert _ids(chosen) == ["b", "d", "f"] and _ids(rest) == ["a", "c", "e"]


def test_sample_stratified_covers_rare_event_types_first() -> None:
    """Counts: Attack 4, Arrest-Jail 1, Die 1: the first round takes c (Arrest) and e (Die), then
    Attack's least confident, f."""
    chosen, _, sample = sample_tasks(TASKS, 3, "stratified")
    assert _ids(chosen) == ["c", "e", "f"]
    assert sample.covered == {"Conflict:Attack", "Justice:Arrest-Jail", "Life:Die"}
    assert sample.event_types == {"Conflict:Attack": 4, "Justice:Arrest-Jail": 1, "Life:Die": 1}


def test_sample_random_is_stable_per_seed_and_across_growing_input() -> None:
    """The same seed draws the same tasks; a task added later displaces at most one earlier pick."""
    two = _ids(sample_tasks(TASKS, 2, "random", "s")[0])
    assert two == _ids(sample_tasks(TASKS, 2, "random", "s")[0])
    grown = [*TASKS, _task("g", 0.5)]
    assert set(two) <= set(_ids(sample_tasks(grown, 3, "random", "s")[0]))
    assert sorted(_ids(sample_tasks(TASKS, 10, "random")[0])) == sorted(_ids(TASKS))
    with pytest.raises(AnnotateError, match="unknown sampling strategy 'smart'"):
        sample_tasks(TASKS, 1, "smart")


def test_cli_push_sample_pushes_the_working_set_and_exports_the_rest_as_silver(
    studio_server: LocalServer, studio: Studio, project: str, seed_tasks: list[dict[str, Any]], tmp_path: Path
) -> None:
    """--sample 2 --strategy uncertain: the two least confident seed tasks go to the project (again:
    nothing new), the others to the rest file; export --silver-from puts those in silver only."""
    tasks_file = tmp_path / "tasks.json"
    write_tasks(tasks_file, seed_tasks)
    creds = studio_server.credentials
    connection = ["--url", creds.url, "--api-key", creds.token]
    push = ["push", str(tasks_file), "--project", project, "--sample", "2", *connection]
    by_score = sorted(seed_tasks, key=lambda task: task["predictions"][0]["score"])
    expected = set(_ids(by_score[:2]))
    for _ in range(2):
        result = CliRunner().invoke(app, push)
        assert result.exit_code == 0, result.output
        assert f"sampled 2 of {len(seed_tasks)} tasks (uncertain;" in result.stdout
    project_id = studio.project(project).id
    remote = {task.doc_id: task.id for task in studio.remote_tasks(project_id)}
    assert set(remote) == expected
    rest = read_task_file(tmp_path / "tasks.rest.json")
    assert rest is not None and set(_ids(rest)) == set(_ids(seed_tasks)) - expected

    gold_id = sorted(expected)[0]
    gold_task = next(t for t in seed_tasks if t["data"]["doc_id"] == gold_id)
    studio.save_annotation(remote[gold_id], gold_task["predictions"][0]["result"])
    out = tmp_path / "export"
    export = ["export", "--project", project, "--out", str(out), "--no-quality", *connection]
    result = CliRunner().invoke(app, [*export, "--silver-from", str(tmp_path / "tasks.rest.json")])
    assert result.exit_code == 0, result.output
    splits = {
        path.name.split("-")[0]: set(pq.read_table(path).column("id").to_pylist())
        for path in (out / "documents").glob("*.parquet")
    }
    assert gold_id in set().union(*(ids for split, ids in splits.items() if split != "silver"))
    assert set(_ids(rest)) <= splits["silver"] and gold_id not in splits["silver"]
    assert json.loads((out / "export_report.json").read_text(encoding="utf-8"))["silver"] == len(
        splits["silver"]
    )


def test_push_sample_of_shards_writes_the_rest_as_shards_that_export_reads(
    studio_server: LocalServer,
    studio: Studio,
    project: str,
    seed_tasks: list[dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A shard folder sampled: the two least confident are pushed, the rest become shards (FOLDER-rest
    by default) that --silver-from reads; no spool is left behind."""
    monkeypatch.setattr(taskshards, "SHARD_TASKS", 3)  # several shards in and out
    shards = tmp_path / "shards"
    taskshards.write_task_shards(shards, seed_tasks, shard_format="parquet")
    creds = studio_server.credentials
    connection = ["--url", creds.url, "--api-key", creds.token]
    result = CliRunner().invoke(
        app, ["push", str(shards), "--project", project, "--sample", "2", *connection]
    )
    assert result.exit_code == 0, result.output
    by_score = sorted(seed_tasks, key=lambda task: task["predictions"][0]["score"])
    expected = set(_ids(by_score[:2]))
    remote = {task.doc_id: task.id for task in studio.remote_tasks(studio.project(project).id)}
    assert set(remote) == expected
    rest = tmp_path / "shards-rest"
    assert taskshards.is_shard_folder(rest)
    assert _ids(list(taskshards.read_task_shards(rest))) == [
        task["data"]["doc_id"] for task in seed_tasks if task["data"]["doc_id"] not in expected
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shards", "shards-rest"]
    gold = by_score[0]
    studio.save_annotation(remote[gold["data"]["doc_id"]], gold["predictions"][0]["result"])
    out = tmp_path / "export"
    export = ["export", "--project", project, "--out", str(out), "--no-quality", "--silver-from", str(rest)]
    result = CliRunner().invoke(app, [*export, *connection])
    assert result.exit_code == 0, result.output
    silver = pq.read_table(next((out / "documents").glob("silver-*.parquet"))).column("id").to_pylist()
    assert set(silver) == set(_ids(seed_tasks)) - {gold["data"]["doc_id"]}  # the rest and the unannotated
