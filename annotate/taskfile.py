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


class TaskJSON(str):
    """A task already written as JSON text (one line): writers copy it as it is."""

    __slots__ = ()


def task_json(task: dict[str, Any] | TaskJSON) -> str:
    """``task`` as one line of JSON text."""
    return task if isinstance(task, TaskJSON) else json.dumps(task, ensure_ascii=False)


def task_dict(task: dict[str, Any] | TaskJSON) -> dict[str, Any]:
    """``task`` as a dict."""
    return json.loads(task) if isinstance(task, TaskJSON) else task


def write_tasks(
    path: str | Path,
    tasks: Iterable[dict[str, Any] | TaskJSON],
    *,
    on_task: Callable[[], None] | None = None,
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
            handle.write(task_json(task))
            count += 1
            if on_task is not None:
                on_task()
        handle.write("\n]\n" if count else "]\n")
    return count


def written_task_file(path: Path) -> bool:
    """Whether ``path`` looks like a task file ``write_tasks`` wrote (or is empty): replaceable."""
    with path.open("rb") as handle:
        head = handle.read(64).lstrip()
    rest = head[1:].lstrip()
    return not head or (head.startswith(b"[") and rest.startswith((b"]", b'{"data"')))


def read_task_file(path: str | Path) -> list[dict[str, Any]] | None:
    """The tasks of a task file, or None when the file holds articles instead.

    A task file is recognised by its structure, not its layout (pretty-printed, keys in any
    order, a byte order mark, a JSON list or JSON lines such as a snapshot from ``annotate
    pull``): its first item has a ``data`` object, or no ``text`` but ``predictions`` or
    ``annotations``; an article file's items have ``text`` instead.

    Raises:
        ArticleError: the file cannot be read or is not JSON, or an item of a task file is not a
            task (naming ``file[index]`` or ``file:line``).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _task_lines(path)
    if suffix != ".json":
        return None
    try:
        data = json.loads(read_text_file(path))
    except json.JSONDecodeError as err:
        raise ArticleError(f"{path}: line {err.lineno}: malformed JSON ({err.msg})") from None
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list) or not items or not _is_task(items[0]):
        return None
    for index, task in enumerate(items):
        _check_task(task, f"{path}[{index}]")
    return items


def _is_task(item: Any) -> bool:
    """Whether ``item`` is a task rather than an article (whose other fields, even one named
    ``data``, are metadata)."""
    if not isinstance(item, dict):
        return False
    return isinstance(item.get("data"), dict) or ("text" not in item and bool(_TASK_KEYS & item.keys()))


def _check_task(task: Any, where: str) -> None:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise ArticleError(
            f"{where}: a task needs a 'data' object; write task files with `annotate prelabel`"
        )


def _task_lines(path: Path) -> list[dict[str, Any]] | None:
    """The tasks of a JSON-lines task file; None as soon as its first record is not a task."""
    tasks: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = (raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw).decode("utf-8")
                item = json.loads(line) if line.strip() else None
            except (UnicodeDecodeError, json.JSONDecodeError):
                if not tasks:
                    return None  # read as articles: that reader reports the line
                raise ArticleError(f"{path}:{number}: not a JSON task; pull the snapshot again") from None
            if item is None:
                continue
            if not tasks and not _is_task(item):
                return None
            _check_task(item, f"{path}:{number}")
            tasks.append(item)
    return tasks or None
