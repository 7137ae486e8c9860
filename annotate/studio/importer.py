"""Create tasks and predictions on the server exactly once, and check that they arrived whole.

``import_batch`` sends a batch of new tasks in one request. If the answer is lost (connection
dropped, timeout, server error) the request may have been committed, so it is never sent again as
it was: the project's identities are read again and only the tasks still missing are sent.
Then the created tasks are read back (ids and prediction versions only) and every prediction a
task lacks is added: a server busy with other writes has been seen to store tasks without their
predictions. ``add_predictions`` does the same for predictions of existing tasks.

``repair_duplicates`` keeps one task per ``doc_id`` + text: the copy with annotations (or drafts),
else the oldest; copies without any annotator's work are deleted after their predictions are
carried over to the kept one. Copies that annotators worked on are all kept and reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from annotate.errors import UncertainWriteError
from annotate.studio.client import Studio
from annotate.studio.taskapi import RemoteTask

#: Times a write whose answer was lost is checked and what is missing sent again.
ATTEMPTS = 4
#: Seconds to wait before re-reading after a lost answer (the server may still be writing), and
#: how many reads at most wait for the identities to stop changing.
SETTLE = 2.0
SETTLE_READS = 5


@dataclass
class ImportStats:
    """What the imports of a push did, for its report."""

    created: int = 0
    predictions_added: int = 0
    verified: int = 0  # tasks read back and checked to carry their predictions
    predictions_repaired: int = 0  # predictions a created task lacked, added after the check
    lost_answers: int = 0  # writes whose answer was lost, recovered by re-reading
    duplicates_removed: list[int] = field(default_factory=list)  # task ids deleted
    duplicates_kept: list[tuple[str, list[int]]] = field(default_factory=list)  # doc id, annotated copies


def import_batch(
    studio: Studio, project_id: int, batch: list[dict[str, Any]], stats: ImportStats
) -> list[int]:
    """Create the tasks of ``batch`` (new tasks with their predictions) once each; their ids."""
    pending = batch
    created: dict[str, int] = {}
    for attempt in range(1, ATTEMPTS + 1):
        try:
            ids = studio.import_tasks(project_id, pending)
        except UncertainWriteError:
            if attempt == ATTEMPTS:
                raise
            stats.lost_answers += 1
            present = _settled_identities(studio, project_id)
            created |= {_doc_id(task): present[_doc_id(task)] for task in pending if _doc_id(task) in present}
            pending = [task for task in pending if _doc_id(task) not in present]
            if not pending:
                break
            continue
        if len(ids) == len(pending):  # the server answers the ids in the order the tasks were sent
            created |= {_doc_id(task): task_id for task, task_id in zip(pending, ids, strict=True)}
        else:
            present = {t.doc_id: t.id for t in studio.remote_tasks(project_id)}
            created |= {_doc_id(task): present[_doc_id(task)] for task in pending if _doc_id(task) in present}
        break
    stats.created += len(created)
    expected = {created[_doc_id(task)]: task.get("predictions") or [] for task in batch}
    stats.verified += len(expected)
    stats.predictions_repaired += _complete_predictions(studio, project_id, expected, stats)
    return sorted(created.values())


def add_predictions(
    studio: Studio, project_id: int, wanted: dict[int, list[dict[str, Any]]], stats: ImportStats
) -> None:
    """Add to existing tasks (by id) the predictions they lack, each once."""
    stats.predictions_added += _complete_predictions(studio, project_id, wanted, stats, verified=False)


def _complete_predictions(
    studio: Studio,
    project_id: int,
    wanted: dict[int, list[dict[str, Any]]],
    stats: ImportStats,
    *,
    verified: bool = True,
) -> int:
    """Send the predictions of ``wanted`` that the tasks lack, checked first unless ``verified``
    is False (the caller knows they lack them); how many were added."""
    added = 0
    have = _versions(studio, project_id, wanted) if verified else {task_id: frozenset() for task_id in wanted}
    for attempt in range(1, ATTEMPTS + 1):
        missing = [
            {**prediction, "task": task_id}
            for task_id, predictions in wanted.items()
            for prediction in predictions
            if prediction.get("model_version") not in have.get(task_id, frozenset())
        ]
        if not missing:
            return added
        try:
            stored = studio.import_predictions(project_id, missing)
        except UncertainWriteError:
            if attempt == ATTEMPTS:
                raise
            stats.lost_answers += 1
            time.sleep(SETTLE)
        else:
            if stored == len(missing):
                return added + stored
            added += stored  # some were not stored: read again and send what is still missing
        have = _versions(studio, project_id, wanted)
    return added


def _versions(studio: Studio, project_id: int, wanted: Iterable[int]) -> dict[int, frozenset[str]]:
    """The model versions of the predictions of the tasks ``wanted`` (read by id range)."""
    ids = sorted(wanted)
    if not ids:
        return {}
    found: dict[int, frozenset[str]] = {}
    include = "id,predictions_model_versions"
    for page in studio.task_pages(
        project_id, page_size=1000, after=ids[0] - 1, upto=ids[-1], include=include
    ):
        for task in page:
            versions = str(task.get("predictions_model_versions") or "")
            found[int(task["id"])] = frozenset(v.strip() for v in versions.split(",") if v.strip())
    return {task_id: found.get(task_id, frozenset()) for task_id in ids}


def _settled_identities(studio: Studio, project_id: int) -> dict[str, int]:
    """``doc_id`` -> task id of every task, read until two reads agree (a write may be running)."""
    time.sleep(SETTLE)
    before = {t.doc_id: t.id for t in studio.remote_tasks(project_id)}
    for _ in range(SETTLE_READS):
        time.sleep(SETTLE)
        now = {t.doc_id: t.id for t in studio.remote_tasks(project_id)}
        if now == before:
            break
        before = now
    return before


def repair_duplicates(
    studio: Studio, project_id: int, tasks: Iterable[RemoteTask], stats: ImportStats
) -> dict[str, RemoteTask]:
    """The project's tasks by ``doc_id`` after removing copies of the same task (see the module doc).

    Copies with another text (same ``doc_id``, other ``text_hash``) are not copies: the first is
    indexed and the text change is reported by push.
    """
    copies: dict[tuple[str, str], list[RemoteTask]] = {}
    index: dict[str, RemoteTask] = {}
    for task in tasks:
        if task.doc_id:
            copies.setdefault((task.doc_id, task.text_hash), []).append(task)
    for (doc_id, _), group in copies.items():
        keep = next((t for t in group if t.annotations), group[0])
        extra = [t for t in group if t.id != keep.id]
        worked = [t.id for t in extra if t.annotations]
        if worked:
            stats.duplicates_kept.append((doc_id, sorted([keep.id, *worked])))
        for copy in (t for t in extra if not t.annotations):
            lacking = copy.model_versions - keep.model_versions
            if lacking:
                full = studio.request("GET", f"api/tasks/{copy.id}/", f"read task {copy.id}") or {}
                predictions = [
                    {k: p[k] for k in ("model_version", "score", "result") if k in p}
                    for p in full.get("predictions") or []
                    if p.get("model_version") in lacking
                ]
                _complete_predictions(studio, project_id, {keep.id: predictions}, stats)
            studio.delete_task(copy.id)
            stats.duplicates_removed.append(copy.id)
        index.setdefault(doc_id, keep)
    return index


def _doc_id(task: dict[str, Any]) -> str:
    return str(task["data"]["doc_id"])
