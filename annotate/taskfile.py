"""Write and read task files: a JSON list of Label Studio tasks, written atomically and streamed."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def write_tasks(
    path: str | Path, tasks: Iterable[dict[str, Any]], *, on_task: Callable[[], None] | None = None
) -> int:
    """Stream ``tasks`` into a JSON list at ``path`` and return how many were written.

    The list goes to a temporary file in the same folder, renamed over ``path`` only once it is
    complete: an interrupted run leaves any previous file intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    count = 0
    try:
        with handle:
            handle.write("[")
            for task in tasks:
                handle.write(",\n" if count else "\n")
                json.dump(task, handle, ensure_ascii=False)
                count += 1
                if on_task is not None:
                    on_task()
            handle.write("\n]\n" if count else "]\n")
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return count
