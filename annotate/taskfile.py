"""Task files: a JSON list of Label Studio tasks, streamed to disk and written atomically."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from annotate.atomic import atomic_writer


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
