"""Pull a project into a local snapshot: one JSON line per task, with everything annotators did.

Each line is the task as Label Studio returns it with ``fields=all``: ``data``, every annotation
(all annotators, ``completed_by``, ``created_at``/``updated_at``, ``lead_time``,
``was_cancelled``, ``ground_truth``, region ``origin``) and every prediction in full (results and
relations). Tasks are read page by page in id order (paged by id, so tasks deleted or added
meanwhile shift nothing: every task that exists throughout the pull is in the snapshot) and
written as they come, so a project of any size streams to disk; the file appears only once
complete.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from annotate.atomic import atomic_writer, check_output
from annotate.studio.client import Studio

DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class PullReport:
    """What a pull wrote."""

    path: Path
    project_id: int
    tasks: int
    annotations: int
    predictions: int


def _written_snapshot(path: Path) -> bool:
    """Whether ``path`` is empty or its first line is a Label Studio task (a snapshot): replaceable."""
    with path.open("rb") as handle:
        first = handle.readline()
    if not first.strip():
        return True
    try:
        task = json.loads(first)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(task, dict) and isinstance(task.get("data"), dict)


def pull(
    studio: Studio,
    title: str,
    out: str | Path,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    on_task: Callable[[], None] | None = None,
) -> PullReport:
    """Write every task of the project titled ``title`` to ``out`` as JSON lines.

    Raises:
        StudioError: there is no such project, or the server failed while reading (the previous
            snapshot, if any, is left intact).
        OutputError: ``out`` cannot be written (found before anything is read).
    """
    check_output(out, ours=_written_snapshot, what="a snapshot annotate pulled")
    return pull_project(studio, studio.project(title).id, out, page_size=page_size, on_task=on_task)


def pull_project(
    studio: Studio,
    project_id: int,
    out: str | Path,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    on_task: Callable[[], None] | None = None,
) -> PullReport:
    """``pull`` of the project with id ``project_id`` (as a webhook names it)."""
    check_output(out, ours=_written_snapshot, what="a snapshot annotate pulled")
    tasks = annotations = predictions = 0
    with atomic_writer(out) as handle:
        for task in studio.tasks(project_id, page_size=page_size):
            handle.write(json.dumps(task, ensure_ascii=False) + "\n")
            tasks += 1
            annotations += len(task.get("annotations") or [])
            predictions += len(task.get("predictions") or [])
            if on_task is not None:
                on_task()
    return PullReport(Path(out), project_id, tasks, annotations, predictions)
