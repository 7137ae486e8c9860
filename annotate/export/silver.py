"""Silver predictions kept outside Label Studio (what ``annotate push --sample`` left out), added to
an export's ``silver`` split beside the snapshot's gold."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from annotate.errors import ExportError
from annotate.export.snapshot import Snapshot, read_snapshot
from annotate.taskfile import read_task_file
from annotate.taskshards import is_shard_folder, read_task_shards


def with_silver_tasks(snapshot: Snapshot, files: Sequence[Path]) -> Iterator[dict[str, Any]]:
    """The snapshot's tasks, then the tasks of ``files`` (task files, or shard folders streamed) as
    unannotated tasks (their predictions only), except articles the snapshot holds (annotated
    since, they are gold) or already given: an article is never in two splits.

    Raises:
        ExportError: a file is not a task file, or the snapshot cannot be read.
    """
    seen = {_doc_id(task) for task in read_snapshot(snapshot.path)}  # a first pass, ids only
    yield from snapshot
    for path in files:
        tasks = read_task_shards(path) if is_shard_folder(path) else read_task_file(path)
        if tasks is None:
            raise ExportError(
                f"{path} is not a task file; give the file `annotate push --sample` wrote (--rest)"
            )
        for task in tasks:
            doc_id = _doc_id(task)
            if doc_id in seen:
                continue
            seen.add(doc_id)
            yield {"data": task.get("data"), "predictions": task.get("predictions") or []}


def _doc_id(task: dict[str, Any]) -> str:
    data = task.get("data")
    found = data if isinstance(data, dict) else {}
    return str(found.get("doc_id") or found.get("text_hash") or "")
