"""`annotate prelabel --ray`: a real local Ray cluster (``ray start --head``) makes the tasks one
machine makes, and reports bad records with their file and line."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray

from annotate import raylabel, taskshards
from annotate.errors import ArticleError
from annotate.prelabel import prelabel_files
from annotate.schema import Schema
from annotate.studio.inputs import push_paths
from annotate.studio.server import LocalServer

from .conftest import REPO
from .fixtures.studio import free_port

RAY = str(Path(sys.executable).parent / "ray")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A one-node Ray cluster on 127.0.0.1 (2 CPUs, no dashboard), stopped afterwards; its address."""
    port = free_port()
    folder = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # Ray's socket paths must stay short
    command = [RAY, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port)]
    command += ["--num-cpus", "2", "--include-dashboard=false", "--disable-usage-stats", "--temp-dir", folder]
    started = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if started.returncode != 0:
        pytest.fail(f"ray start failed: {started.stderr[-2000:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([RAY, "stop", "--force"], capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def _tasks(path: Path) -> list[dict[str, Any]]:
    return sorted(json.loads(path.read_text(encoding="utf-8")), key=lambda task: task["data"]["doc_id"])


def _articles(path: Path) -> Path:
    """30 JSON lines: a malformed one (line 7) and a repeated text (line 12 repeats line 2)."""
    lines = [
        json.dumps({"id": f"a{n}", "text": f"Rebels attacked town number {n} on Monday."}) for n in range(30)
    ]
    lines[6] = '{"id": "broken", "text": '
    lines[11] = json.dumps({"id": "again", "text": "Rebels attacked town number 1 on Monday."})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _generated(folder: Path) -> list[Path]:
    """300 generated articles: 150 in a CSV file (quoted, some spanning lines), 150 in a Parquet
    file of row groups of 20."""
    cities = ["Baghdad", "Kabul", "Mosul", "Aleppo", "Gaza", "Sanaa"]
    verbs = ["exploded near", "struck", "hit", "was detonated outside"]
    texts = [
        f"A bomb {verbs[n % 4]} a market in {cities[n % 6]} on day {n}, killing {n % 17 + 2} people."
        + ("\nPolice arrested two suspects on Tuesday." if n % 5 == 0 else "")
        for n in range(300)
    ]
    table = folder / "generated.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows([f"g{n}", text] for n, text in enumerate(texts[:150]))
    parquet = folder / "generated.parquet"
    rows = [{"id": f"g{n}", "text": text} for n, text in enumerate(texts[150:], start=150)]
    pq.write_table(pa.Table.from_pylist(rows), parquet, row_group_size=20)
    return [table, parquet]


def test_prelabel_on_ray_makes_the_tasks_one_machine_makes(
    ray_cluster: str, news_schema: Schema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seed, a JSON-lines file, and 300 generated articles in CSV and Parquet, each cut into
    several shards: the same tasks, the same skipped line and duplicate (file:line) as the
    single-process path."""
    monkeypatch.setattr(raylabel, "SHARD_BYTES", 1000)  # several shards of every file
    monkeypatch.setattr(raylabel, "MIN_SHARD_BYTES", 1000)
    inputs = [REPO / "seeds" / "000_4dfab99024a4c301.txt", _articles(tmp_path / "news.jsonl")]
    inputs += _generated(tmp_path)
    here = prelabel_files(inputs, tmp_path / "here.json", news_schema, skip_invalid=True)
    count, version, read = raylabel.prelabel_on_ray(
        inputs, tmp_path / "ray.json", news_schema, address=ray_cluster, workers=2, skip_invalid=True
    )
    assert count == here.tasks == 329 and version == here.model_version
    assert _tasks(tmp_path / "ray.json") == _tasks(tmp_path / "here.json")
    assert [p.source for p in read.skipped] == [p.source for p in here.read.skipped] == [f"{inputs[1]}:7"]
    assert [(p.source, p.reason) for p in read.duplicates] == [
        (p.source, p.reason) for p in here.read.duplicates
    ]
    assert [p.source for p in read.duplicates] == [f"{inputs[1]}:12"]
    assert not ray.is_initialized()  # left the cluster: a driver left behind exits when it stops
    assert ray.data.DataContext.get_current().execution_options.preserve_order is False  # settings restored


def test_prelabel_on_ray_stops_at_a_bad_record_naming_it(
    ray_cluster: str, news_schema: Schema, tmp_path: Path
) -> None:
    """Without --skip-invalid, the malformed line stops the run with its file and line; no file is written."""
    source = _articles(tmp_path / "news.jsonl")
    with pytest.raises(ArticleError, match=rf"^{source}:7: malformed JSON"):
        raylabel.prelabel_on_ray([source], tmp_path / "ray.json", news_schema, address=ray_cluster)
    assert not (tmp_path / "ray.json").exists()


def test_prelabel_on_ray_writes_shards_that_push_reads(
    ray_cluster: str,
    news_schema: Schema,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    studio_server: LocalServer,
    project: str,
) -> None:
    """--out FOLDER --format parquet: Parquet shards of at most SHARD_TASKS tasks and a manifest,
    the tasks of one machine in order; `push FOLDER` pushes them all, once."""
    monkeypatch.setattr(taskshards, "SHARD_TASKS", 10)
    source = _articles(tmp_path / "news.jsonl")
    here = prelabel_files([source], tmp_path / "here.json", news_schema, skip_invalid=True)
    count, _, _ = raylabel.prelabel_on_ray(
        [source],
        tmp_path / "shards",
        news_schema,
        address=ray_cluster,
        skip_invalid=True,
        shard_format="parquet",
    )
    assert count == here.tasks == 28
    names = ["tasks-00000.parquet", "tasks-00001.parquet", "tasks-00002.parquet"]
    assert sorted(p.name for p in (tmp_path / "shards").iterdir()) == [taskshards.MANIFEST, *names]
    here_tasks = json.loads((tmp_path / "here.json").read_text(encoding="utf-8"))
    assert list(taskshards.read_task_shards(tmp_path / "shards")) == here_tasks
    creds = studio_server.credentials
    for created in (28, 0):
        report = push_paths([tmp_path / "shards"], project, news_schema, url=creds.url, api_key=creds.token)
        assert report.created == created
