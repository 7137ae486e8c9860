"""Push tasks with predictions to a Label Studio project: idempotent, batched and resumable.

A task's identity is its ``doc_id`` plus the hash of its text. Before sending anything, push reads
the identities (and prediction model versions) of the tasks already in the project, so that:

- a task already there is not created again;
- a prediction from a model version the task does not have yet is added to the existing task,
  and that version becomes the project's current one (annotators see the newest);
- an article whose text changed under the same ``doc_id`` is reported, never duplicated;
- a push interrupted at any point (server killed, network cut, Ctrl-C) is finished by running it
  again: each batch is one import request, committed whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.articles import ReadReport, read_articles
from annotate.errors import AlignmentError
from annotate.labelstudio import TaskBuilder
from annotate.schema import Schema
from annotate.studio.client import Project, RemoteTask, Studio
from annotate.studio.validation import ConfigValidator
from annotate.taskfile import is_task_file, read_tasks

DEFAULT_BATCH_SIZE = 500
#: Label Studio takes at most 200 MB a request and the SDK times out after its timeout; stay far below.
MAX_BATCH_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ChangedText:
    """An article pushed before whose text is different now."""

    doc_id: str
    task_id: int
    old_hash: str
    new_hash: str


@dataclass
class PushReport:
    """What a push did."""

    project: Project
    url: str
    created: int = 0
    predictions_added: int = 0
    unchanged: int = 0
    changed: list[ChangedText] = field(default_factory=list)
    duplicates_in_input: list[str] = field(default_factory=list)
    model_version: str = ""
    read: ReadReport = field(default_factory=ReadReport)

    @property
    def project_url(self) -> str:
        """Where annotators start: the project's data manager."""
        return f"{self.url}/projects/{self.project.id}/data"


class _Sender:
    """Sends one batch at a time on a background thread: the next batch is read, validated and
    measured while the server imports the previous one. Batches go out in order, never two at once."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="annotate-push")
        self._pending: tuple[Future[int], Callable[[int], None]] | None = None

    def submit(self, send: Callable[[list[dict[str, Any]]], int], items: list[dict[str, Any]],
               done: Callable[[int], None]) -> None:  # fmt: skip
        self.wait()
        self._pending = (self._pool.submit(send, items), done)

    def wait(self) -> None:
        """Wait for the batch in flight; its error, if any, is raised here."""
        if self._pending is not None:
            future, done = self._pending
            self._pending = None
            done(future.result())

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class _Batch:
    def __init__(self, sender: _Sender, send: Callable[[list[dict[str, Any]]], int], size: int) -> None:
        self.sender, self.send, self.size = sender, send, size
        self.items: list[dict[str, Any]] = []
        self.bytes = 0
        self.sent = 0

    def add(self, item: dict[str, Any]) -> None:
        weight = len(json.dumps(item, ensure_ascii=False).encode("utf-8"))
        if self.items and (len(self.items) >= self.size or self.bytes + weight > MAX_BATCH_BYTES):
            self.flush()
        self.items.append(item)
        self.bytes += weight

    def flush(self) -> None:
        if self.items:
            self.sender.submit(self.send, self.items, self._count)
            self.items, self.bytes = [], 0

    def _count(self, sent: int) -> None:
        self.sent += sent


def push(
    studio: Studio,
    title: str,
    tasks: Iterable[dict[str, Any]],
    schema: Schema,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_task: Callable[[], None] | None = None,
) -> PushReport:
    """Push ``tasks`` to the project titled ``title`` (created from ``schema`` if missing).

    Raises:
        StudioError: the server refused a request or could not be reached; run push again to
            finish the job.
        AlignmentError: a prediction does not fit the labeling config (nothing of it is sent).
    """
    project = studio.ensure_project(title, schema)
    report = PushReport(project=project, url=studio.url)
    remote: dict[str, RemoteTask] = {task.doc_id: task for task in studio.remote_tasks(project.id)}
    validator = TaskBuilder(schema).validator
    sender = _Sender()
    try:
        _send_all(studio, project, remote, tasks, validator, sender, report, batch_size, on_task)
    finally:
        sender.close()
    if report.model_version and report.model_version != project.model_version:
        studio.set_model_version(project.id, report.model_version)
    return report


def _send_all(
    studio: Studio,
    project: Project,
    remote: dict[str, RemoteTask],
    tasks: Iterable[dict[str, Any]],
    validator: ConfigValidator,
    sender: _Sender,
    report: PushReport,
    batch_size: int,
    on_task: Callable[[], None] | None,
) -> None:
    new_tasks = _Batch(sender, lambda items: len(studio.import_tasks(project.id, items)), batch_size)
    new_predictions = _Batch(sender, lambda items: studio.import_predictions(project.id, items), batch_size)
    seen: set[str] = set()
    for number, task in enumerate(tasks, start=1):
        doc_id, text_hash = _identity(task, number)
        predictions = task.get("predictions", [])
        for prediction in predictions:
            report.model_version = str(prediction.get("model_version") or report.model_version)
        # Every prediction that is sent is validated first; one that is not sent (already on the
        # server, or its task not sent) is not: validation is most of a re-push's time otherwise.
        if doc_id in seen:
            report.duplicates_in_input.append(doc_id)
        elif doc_id not in remote:
            for prediction in predictions:
                _validate(validator, prediction, doc_id)
            new_tasks.add(task)
        elif remote[doc_id].text_hash != text_hash:
            report.changed.append(ChangedText(doc_id, remote[doc_id].id, remote[doc_id].text_hash, text_hash))
        else:
            missing = [p for p in predictions if p.get("model_version") not in remote[doc_id].model_versions]
            for prediction in missing:
                _validate(validator, prediction, doc_id)
                new_predictions.add({**prediction, "task": remote[doc_id].id})
            report.unchanged += not missing
        seen.add(doc_id)
        if on_task is not None:
            on_task()
    new_tasks.flush()
    new_predictions.flush()
    sender.wait()
    report.created, report.predictions_added = new_tasks.sent, new_predictions.sent


def _identity(task: dict[str, Any], number: int) -> tuple[str, str]:
    data = task.get("data") if isinstance(task, dict) else None
    if (
        not isinstance(data, dict)
        or not data.get("doc_id")
        or not data.get("text_hash")
        or "text" not in data
    ):
        raise AlignmentError(
            f"task {number} has no data.text, data.doc_id and data.text_hash; "
            "make task files with `annotate prelabel`"
        )
    return str(data["doc_id"]), str(data["text_hash"])


def _validate(validator: ConfigValidator, prediction: dict[str, Any], doc_id: str) -> None:
    errors = validator.errors(prediction)
    if errors:
        raise AlignmentError(
            f"task {doc_id}: prediction {prediction.get('model_version', '')!r} does not fit the project's "
            f"labeling config: {'; '.join(errors)}; re-run `annotate prelabel` with this schema"
        )


def push_paths(
    paths: Iterable[str | Path],
    title: str,
    schema: Schema,
    *,
    url: str | None = None,
    api_key: str | None = None,
    model: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    skip_invalid: bool = False,
    on_task: Callable[[], None] | None = None,
) -> PushReport:
    """Connect, then push task files as they are and articles pre-labelled on the way."""
    paths = [Path(p) for p in paths]
    task_files = [p for p in paths if is_task_file(p)]
    article_paths = [p for p in paths if p not in task_files]

    def tasks() -> Iterator[dict[str, Any]]:
        for path in task_files:
            yield from read_tasks(path)
        if article_paths:
            from annotate.prelabel import prelabel

            articles = read_articles(article_paths, skip_invalid=skip_invalid, report=read)
            yield from prelabel(articles, schema, model=model)

    read = ReadReport()
    with Studio.connect(url, api_key) as studio:
        report = push(studio, title, tasks(), schema, batch_size=batch_size, on_task=on_task)
    report.read = read
    return report
