"""Task files in shards: a folder of JSON-lines files and a manifest, for corpora of any size.

``write_task_shards`` streams tasks into ``tasks-00000.jsonl``, ``tasks-00001.jsonl``, ... of at
most ``SHARD_TASKS`` tasks each, beside ``MANIFEST`` (the shards in order and how many tasks), in
a staging folder that replaces ``out`` only once complete (and only if ``out`` is new, empty, or
an earlier shard folder of annotate's). ``read_task_shards`` streams them back in order, one
shard in memory at a time; ``annotate push`` reads such a folder as it reads a task file.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from annotate.atomic import check_output, swap_folder
from annotate.errors import ArticleError, OutputError
from annotate.taskfile import read_task_file

MANIFEST = "annotate-tasks.json"
SHARD_TASKS = 10_000


def is_shard_folder(path: Path) -> bool:
    """Whether ``path`` is a folder of task shards annotate wrote."""
    return path.is_dir() and (path / MANIFEST).is_file()


def write_task_shards(
    out: Path, tasks: Iterable[dict[str, Any]], *, on_task: Callable[[], None] | None = None
) -> int:
    """Write ``tasks`` as shards into the folder ``out`` (see the module doc); how many.

    Raises:
        OutputError: ``out`` holds files that are not annotate's shards, or cannot be written.
    """
    check_output(out, folder=True)
    if out.is_dir() and any(out.iterdir()) and not is_shard_folder(out):
        raise OutputError(f"{out} holds other files; write the task shards into a new or empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        shards: list[str] = []
        count = 0
        handle = None
        for task in tasks:
            if count % SHARD_TASKS == 0:
                if handle is not None:
                    handle.close()
                shards.append(f"tasks-{len(shards):05d}.jsonl")
                handle = (staging / shards[-1]).open("w", encoding="utf-8")
            assert handle is not None
            handle.write(json.dumps(task, ensure_ascii=False) + "\n")
            count += 1
            if on_task is not None:
                on_task()
        if handle is not None:
            handle.close()
        manifest = {"tool": "annotate", "tasks": count, "shards": shards}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        swap_folder(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def read_task_shards(folder: Path) -> Iterator[dict[str, Any]]:
    """The tasks of a shard folder, in order, one shard read at a time.

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
        yield from read_task_file(path) or []
