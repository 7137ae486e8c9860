"""Task files in shards: a folder of JSON-lines or Parquet files and a manifest, for any corpus size.

``write_task_shards`` streams tasks into ``tasks-00000.jsonl``, ``tasks-00001.jsonl``, ... (or
``.parquet``) of at most ``SHARD_TASKS`` tasks each, beside ``MANIFEST`` (the format, the shards in
order and how many tasks), in a staging folder that replaces ``out`` only once complete (and only
if ``out`` is new, empty, or an earlier shard folder of annotate's). ``read_task_shards`` streams
them back in order, one shard (JSON lines) or one row group (Parquet) in memory at a time;
``annotate push`` reads such a folder as it reads a task file.

A Parquet shard has one row per task: ``doc_id``, ``model_version`` and ``score`` of the first
prediction as plain columns (to query with any Parquet reader), and the task's ``data``,
``predictions`` and ``annotations`` as JSON text (Label Studio's results are not one shape).

``write_task_output`` is the one place that chooses: a path with a suffix gets one JSON task file
(``annotate.taskfile``), a folder or a path without suffix gets shards.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from annotate.atomic import check_output, swap_folder
from annotate.errors import ArticleError, OutputError
from annotate.taskfile import TaskJSON, read_task_file, task_dict, task_json, write_tasks, written_task_file

MANIFEST = "annotate-tasks.json"
SHARD_TASKS = 10_000
#: Tasks per Parquet row group (what a reader holds in memory at once).
ROW_GROUP_TASKS = 1_000
#: What a shard folder can hold.
ShardFormat = Literal["jsonl", "parquet"]
_TASK_KEYS = ("data", "predictions", "annotations")


def shard_format_of(name: str) -> ShardFormat:
    """The shard format called ``name``.

    Raises:
        OutputError: not ``jsonl`` or ``parquet``.
    """
    if name == "jsonl":
        return "jsonl"
    if name == "parquet":
        return "parquet"
    raise OutputError(f"unknown shard format {name!r}; use jsonl or parquet")


def is_shard_folder(path: Path) -> bool:
    """Whether ``path`` is a folder of task shards annotate wrote."""
    return path.is_dir() and (path / MANIFEST).is_file()


def is_sharded(out: Path) -> bool:
    """Whether the output ``out`` is a shard folder (a folder, or a path without suffix)."""
    return out.is_dir() or not out.suffix


def check_task_output(out: Path, shard_format: ShardFormat = "jsonl") -> None:
    """Raise ``OutputError`` now, before any work, if the tasks cannot be written to ``out``."""
    if not is_sharded(out):
        if shard_format != "jsonl":
            raise OutputError(f"{out}: {shard_format} shards go into a folder; give --out a folder name")
        check_output(out, ours=written_task_file, what="a task file annotate wrote")
        return
    check_output(out, folder=True)
    if out.is_dir() and any(out.iterdir()) and not is_shard_folder(out):
        raise OutputError(f"{out} holds other files; write the task shards into a new or empty folder")


def write_task_output(
    out: Path,
    tasks: Iterable[dict[str, Any] | TaskJSON],
    *,
    shard_format: ShardFormat = "jsonl",
    on_task: Callable[[], None] | None = None,
) -> int:
    """Write ``tasks`` to ``out``: one task file, or shards (see the module doc); how many."""
    if is_sharded(out):
        return write_task_shards(out, tasks, shard_format=shard_format, on_task=on_task)
    check_task_output(out, shard_format)
    return write_tasks(out, tasks, on_task=on_task)


def write_task_shards(
    out: Path,
    tasks: Iterable[dict[str, Any] | TaskJSON],
    *,
    shard_format: ShardFormat = "jsonl",
    on_task: Callable[[], None] | None = None,
) -> int:
    """Write ``tasks`` as shards into the folder ``out`` (see the module doc); how many.

    Raises:
        OutputError: ``out`` holds files that are not annotate's shards, or cannot be written, or
            a task holds keys a Parquet shard has no column for.
    """
    check_task_output(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        shards: list[str] = []
        count = 0
        writer: _JsonLines | _Parquet | None = None
        for task in tasks:
            if count % SHARD_TASKS == 0:
                if writer is not None:
                    writer.close()
                shards.append(f"tasks-{len(shards):05d}.{shard_format}")
                opened = _Parquet if shard_format == "parquet" else _JsonLines
                writer = opened(staging / shards[-1])
            assert writer is not None
            writer.write(task, f"task {count + 1}")
            count += 1
            if on_task is not None:
                on_task()
        if writer is not None:
            writer.close()
        manifest = {"tool": "annotate", "format": shard_format, "tasks": count, "shards": shards}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        swap_folder(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def read_task_shards(folder: Path) -> Iterator[dict[str, Any]]:
    """The tasks of a shard folder, in order, one shard (or Parquet row group) read at a time.

    Raises:
        ArticleError: the manifest or a shard cannot be read, or a shard is missing.
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        shards = [str(name) for name in manifest["shards"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ArticleError(f"{folder / MANIFEST}: not a task shard manifest ({error})") from None
    for name in shards:
        path = folder / name
        if not path.is_file():
            raise ArticleError(f"{path}: a shard listed in {MANIFEST} is missing; write the shards again")
        yield from _parquet_tasks(path) if path.suffix == ".parquet" else read_task_file(path) or []


class _JsonLines:
    """One JSON-lines shard being written."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("w", encoding="utf-8")

    def write(self, task: dict[str, Any] | TaskJSON, where: str) -> None:
        self.handle.write(task_json(task) + "\n")

    def close(self) -> None:
        self.handle.close()


class _Parquet:
    """One Parquet shard being written, a row group of ``ROW_GROUP_TASKS`` tasks at a time."""

    def __init__(self, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.schema = pa.schema(
            [
                ("doc_id", pa.string()),
                ("model_version", pa.string()),
                ("score", pa.float64()),
                *((key, pa.string()) for key in _TASK_KEYS),
            ]
        )
        self.writer = pq.ParquetWriter(path, self.schema)
        self.rows: list[dict[str, Any]] = []

    def write(self, encoded: dict[str, Any] | TaskJSON, where: str) -> None:
        task = task_dict(encoded)
        other = sorted(set(task) - set(_TASK_KEYS))
        if other:
            raise OutputError(
                f"{where}: Parquet shards hold data, predictions and annotations, not {', '.join(other)}; "
                "write JSON-lines shards (--format jsonl)"
            )
        first = (task.get("predictions") or [{}])[0]
        row = {
            "doc_id": _text_or_none(task["data"].get("doc_id")),
            "model_version": _text_or_none(first.get("model_version")),
            "score": first.get("score"),
        }
        for key in _TASK_KEYS:
            row[key] = json.dumps(task[key], ensure_ascii=False) if key in task else None
        self.rows.append(row)
        if len(self.rows) == ROW_GROUP_TASKS:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self._flush()
        self.writer.close()


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _parquet_tasks(path: Path) -> Iterator[dict[str, Any]]:
    """The tasks of a Parquet shard, one row group in memory at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as parquet:
            for batch in parquet.iter_batches(batch_size=ROW_GROUP_TASKS, columns=list(_TASK_KEYS)):
                for row in batch.to_pylist():
                    yield {key: json.loads(row[key]) for key in _TASK_KEYS if row[key] is not None}
    except (OSError, ValueError, pa.ArrowException) as error:
        raise ArticleError(f"{path}: cannot read the task shard ({error}); write the shards again") from None
