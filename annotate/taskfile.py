"""Task files: a JSON list of Label Studio tasks, streamed to disk atomically, and read back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from annotate.atomic import atomic_writer
from annotate.errors import ArticleError
from annotate.records import read_text_file

#: Keys that make a JSON object a Label Studio task rather than an article.
_TASK_KEYS = frozenset({"data", "predictions", "annotations"})


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


def read_task_file(path: str | Path) -> list[dict[str, Any]] | None:
    """The tasks of a ``.json`` task file, or None when the file holds articles instead.

    A task file is recognised by its structure, not its layout (pretty-printed, keys in any
    order, a byte order mark): a JSON list (or one object) whose first item has a ``data``
    object, or no ``text`` but ``predictions`` or ``annotations``; an article file's items have
    ``text`` instead.

    Raises:
        ArticleError: the file cannot be read or is not JSON, or an item of a task file is not a
            task (naming ``file[index]``).
    """
    path = Path(path)
    if path.suffix.lower() != ".json":
        return None
    try:
        data = json.loads(read_text_file(path))
    except json.JSONDecodeError as err:
        raise ArticleError(f"{path}: line {err.lineno}: malformed JSON ({err.msg})") from None
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return None
    first = items[0]
    if not isinstance(first.get("data"), dict) and ("text" in first or not _TASK_KEYS & first.keys()):
        return None  # articles: a 'text' field (other fields, even named 'data', are metadata)
    for index, task in enumerate(items):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise ArticleError(
                f"{path}[{index}]: a task needs a 'data' object; write task files with `annotate prelabel`"
            )
    return items
