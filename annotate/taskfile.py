"""Task files: a JSON list of Label Studio tasks, streamed to disk and written atomically."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from annotate.atomic import atomic_writer
from annotate.errors import ArticleError


def write_tasks(
    path: str | Path, tasks: Iterable[dict[str, Any]], *, on_task: Callable[[], None] | None = None
) -> int:
    """Stream ``tasks`` into a JSON list at ``path`` and return how many were written.

    Tasks are written one by one (never all in memory); the file appears only once complete, so
    an interrupted run leaves any previous file intact.
    """
    count = 0
    with atomic_writer(path) as handle:
        handle.write("[")
        for task in tasks:
            handle.write(",\n" if count else "\n")
            json.dump(task, handle, ensure_ascii=False)
            count += 1
            if on_task is not None:
                on_task()
        handle.write("\n]\n" if count else "]\n")
    return count


def read_tasks(path: str | Path) -> list[dict[str, Any]]:
    """Read a task file written by ``write_tasks`` (a JSON list of tasks with ``data``).

    Raises:
        ArticleError: the file is not JSON, not a list, or an item has no ``data`` object.
    """
    path = Path(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArticleError(f"{path}: not a task file ({error}); write one with `annotate prelabel`") from None
    if not isinstance(tasks, list):
        raise ArticleError(f"{path}: a task file holds a JSON list of tasks")
    for index, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise ArticleError(
                f"{path}[{index}]: a task needs a 'data' object; write task files with `annotate prelabel`"
            )
    return tasks


def is_task_file(path: str | Path) -> bool:
    """Whether ``path`` looks like a task file (a ``.json`` list whose first item has ``data``)."""
    path = Path(path)
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip()
    return head.startswith(b"[") and head[1:].lstrip().startswith(b'{"data"')
