"""The task half of ``Studio``: pages of tasks read by id, imports of tasks and predictions, deletions.

Everything goes through ``request`` (annotate's own HTTP client: a write is sent once, a lost
answer raises ``UncertainWriteError``); ``Studio`` mixes this in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from annotate.errors import StudioError


@dataclass(frozen=True)
class RemoteTask:
    """What push needs to know of a task already on the server."""

    id: int
    doc_id: str
    text_hash: str
    model_versions: frozenset[str] = field(default_factory=frozenset)
    annotations: int = 0  # submitted, skipped and draft annotations: work not to be lost
    file: str = ""


class TaskAPI:
    """Task reads and writes of one server, on top of ``request``."""

    def request(
        self, method: str, path: str, what: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        """Send one request (``Studio`` provides it)."""
        raise NotImplementedError

    def task_pages(
        self,
        project_id: int,
        *,
        page_size: int = 100,
        after: int = 0,
        upto: int | None = None,
        include: str | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of the project's tasks with an id above ``after`` (and at most ``upto``), in id order.

        Paged by id, not by page number: a task deleted or added while the pages are read does
        not shift the others, so every task that exists throughout the reading is read once.
        ``include`` limits the fields (e.g. ``"id,data"``); default: everything.
        """
        while True:
            bounds = [{"filter": "filter:tasks:id", "operator": "greater", "type": "Number", "value": after}]
            if upto is not None:
                bounds.append(
                    {
                        "filter": "filter:tasks:id",
                        "operator": "less_or_equal",
                        "type": "Number",
                        "value": upto,
                    }
                )
            query = {"filters": {"conjunction": "and", "items": bounds}, "ordering": ["tasks:id"]}
            params: dict[str, Any] = {
                "project": project_id,
                "page": 1,
                "page_size": page_size,
                "fields": "all",
                "query": json.dumps(query),
            }
            if include:
                params["include"] = include
            answer = self.request(
                "GET", "api/tasks", f"read the tasks of project {project_id}", params=params
            )
            page = [task for task in (answer or {}).get("tasks", []) if isinstance(task, dict)]
            if not page:
                return
            yield page
            after = max(int(task["id"]) for task in page)

    def tasks(self, project_id: int, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every task in full (data, annotations, predictions with results and relations), by id."""
        for page in self.task_pages(project_id, page_size=page_size):
            yield from page

    def remote_tasks(
        self, project_id: int, *, after: int = 0, upto: int | None = None, page_size: int = 1000
    ) -> Iterator[RemoteTask]:
        """The identity, prediction versions and annotators' work of every task in (``after``, ``upto``]."""
        include = "id,data,predictions_model_versions,total_annotations,cancelled_annotations,drafts"
        for page in self.task_pages(project_id, page_size=page_size, after=after, upto=upto, include=include):
            for task in page:
                data = task.get("data") or {}
                versions = str(task.get("predictions_model_versions") or "")
                done = int(task.get("total_annotations") or 0) + int(task.get("cancelled_annotations") or 0)
                done += len(task.get("drafts") or [])
                yield RemoteTask(
                    int(task["id"]),
                    str(data.get("doc_id", "")),
                    str(data.get("text_hash", "")),
                    frozenset(v.strip() for v in versions.split(",") if v.strip()),
                    done,
                    str(data.get("file", "")),
                )

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        """Create tasks (with their predictions) in one request, sent once; the new task ids.

        Raises:
            UncertainWriteError: the answer was lost; the tasks may have been created.
        """
        answer = self.request(
            "POST",
            f"api/projects/{project_id}/import",
            f"import {len(tasks)} tasks into project {project_id}",
            params={"return_task_ids": "true"},
            body=tasks,
        )
        return [int(i) for i in (answer or {}).get("task_ids") or []]

    def import_predictions(self, project_id: int, predictions: list[dict[str, Any]]) -> int:
        """Add predictions (each with its ``task`` id) in one request, sent once; how many were created.

        Raises:
            UncertainWriteError: the answer was lost; the predictions may have been created.
        """
        answer = self.request(
            "POST",
            f"api/projects/{project_id}/import/predictions",
            f"import {len(predictions)} predictions into project {project_id}",
            body=predictions,
        )
        return int((answer or {}).get("created") or 0)

    def delete_task(self, task_id: int) -> None:
        """Delete one task (a missing one is not an error)."""
        try:
            self.request("DELETE", f"api/tasks/{task_id}/", f"delete task {task_id}")
        except StudioError as error:
            if error.status != 404:
                raise
