"""Push tasks with predictions to a Label Studio project: idempotent, batched, resumable, checked.

A task's identity is its ``doc_id`` plus the hash of its text. A push holds the project's push
lock (``annotate.studio.lock``), then reads the identities (and prediction model versions) of the
tasks already in the project, removing copies of one task made by an earlier, disturbed push
(``annotate.studio.importer.repair_duplicates``), so that:

- a task already there is not created again;
- a prediction from a model version the task does not have yet is added to the existing task,
  and that version becomes the project's current one (annotators see the newest);
- an article whose text changed under the same ``doc_id`` is reported, never duplicated; the same
  text under another ``doc_id`` (in the input or the project) is reported and pushed once; a
  ``.txt`` article (identified by its text) whose file name a task of the project already has is
  pushed as a new task and reported;
- every task and prediction is checked against its text and the schema before it is sent
  (``annotate.labelstudio.validation``); the push stops at a bad one, naming it;
- every batch is sent once (``annotate.studio.importer``), read back and completed, so a push
  interrupted at any point is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from annotate.articles import Problem, ReadReport
from annotate.errors import AlignmentError
from annotate.labelstudio.validation import task_problems
from annotate.sampling import Sample
from annotate.schema import Schema
from annotate.studio.batches import Batch, Sender
from annotate.studio.client import Project, Studio
from annotate.studio.importer import ImportStats, add_predictions, import_batch, repair_duplicates
from annotate.studio.lock import push_lock
from annotate.studio.projects import ensure_project
from annotate.studio.taskapi import RemoteTask

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class ChangedText:
    """An article pushed before whose text is different now."""

    doc_id: str
    task_id: int
    old_hash: str
    new_hash: str


@dataclass(frozen=True)
class SameText:
    """An article whose text is already in the input or the project under another ``doc_id``."""

    doc_id: str
    other_doc_id: str
    task_id: int | None  # the project's task with that text, if it is there


@dataclass(frozen=True)
class NewTextForFile:
    """A ``.txt`` article whose file name a task of the project has, with another text."""

    file: str
    doc_id: str
    task_id: int  # the earlier task of that file


@dataclass
class PushReport:
    """What a push did."""

    project: Project
    url: str
    unchanged: int = 0
    changed: list[ChangedText] = field(default_factory=list)
    duplicates_in_input: list[str] = field(default_factory=list)
    same_text: list[SameText] = field(default_factory=list)
    new_text_for_file: list[NewTextForFile] = field(default_factory=list)
    model_version: str = ""
    imports: ImportStats = field(default_factory=ImportStats)
    read: ReadReport = field(default_factory=ReadReport)
    invalid: list[Problem] = field(default_factory=list)  # tasks skipped with skip_invalid
    sample: Sample | None = None  # with --sample: what was chosen

    @property
    def created(self) -> int:
        """Tasks created (each once, whatever was retried)."""
        return self.imports.created

    @property
    def predictions_added(self) -> int:
        """Predictions added to tasks that were already in the project."""
        return self.imports.predictions_added

    @property
    def project_url(self) -> str:
        """Where annotators start: the project's data manager."""
        return f"{self.url}/projects/{self.project.id}/data"


def push(
    studio: Studio,
    title: str,
    tasks: Iterable[dict[str, Any]],
    schema: Schema,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    replace_config: bool = False,
    on_task: Callable[[], None] | None = None,
    on_wait: Callable[[], None] | None = None,
    source_of: Callable[[int], str] | None = None,
    skip_invalid: bool = False,
) -> PushReport:
    """Push ``tasks`` to the project titled ``title`` (created from ``schema`` if missing).

    ``on_wait`` is called if another push to the project holds its lock; ``source_of(n)`` names
    the ``n``-th task (from 1) in messages, e.g. ``tasks.json[3]``. With ``skip_invalid``, a task
    that is malformed or does not fit its text and the schema is listed in ``report.invalid`` and
    skipped alone; the tasks after it are pushed as usual.

    Raises:
        StudioError: the server refused a request or could not be reached (run push again to
            finish the job), or the project's labeling config is not safe to replace.
        AlignmentError: a task or prediction does not fit its text or the schema (naming the task,
            region and reason); nothing is sent after it.
    """
    with push_lock(studio.url, title, on_wait=on_wait):
        project = ensure_project(studio, title, schema, replace_config=replace_config)
        report = PushReport(project=project, url=studio.url)
        remote = repair_duplicates(studio, project.id, studio.remote_tasks(project.id), report.imports)
        sender = Sender()
        try:
            _send_all(
                studio,
                project,
                remote,
                tasks,
                schema,
                sender,
                report,
                batch_size,
                on_task,
                source_of,
                skip_invalid,
            )
        finally:
            sender.close()
        if report.model_version and report.model_version != project.model_version:
            studio.set_model_version(project.id, report.model_version)
    return report


class _Seen:
    """What the input held so far, and the project's tasks by text and by file name."""

    def __init__(self, remote: dict[str, RemoteTask]) -> None:
        self.doc_ids: set[str] = set()
        self.texts: dict[str, str] = {}  # text hash -> doc id, in the input
        self.remote_texts = {task.text_hash: task for task in remote.values()}
        self.remote_files = {task.file: task for task in remote.values() if task.file}


def _send_all(
    studio: Studio,
    project: Project,
    remote: dict[str, RemoteTask],
    tasks: Iterable[dict[str, Any]],
    schema: Schema,
    sender: Sender,
    report: PushReport,
    batch_size: int,
    on_task: Callable[[], None] | None,
    source_of: Callable[[int], str] | None,
    skip_invalid: bool,
) -> None:
    stats = report.imports
    new_tasks = Batch(sender, lambda items: import_batch(studio, project.id, items, stats), batch_size)
    new_predictions = Batch(sender, lambda items: _add(studio, project.id, items, stats), batch_size)
    seen = _Seen(remote)
    for number, task in enumerate(tasks, start=1):
        where = source_of(number) if source_of is not None else f"task {number}"
        try:
            _route(task, where, schema, seen, remote, report, new_tasks, new_predictions)
        except AlignmentError as error:
            if not skip_invalid:
                raise AlignmentError(
                    f"{error}. The push stopped here: fix the task (or re-run `annotate prelabel`, or "
                    "pass --skip-invalid to skip bad tasks alone) and push again; what was pushed stays "
                    "and is not pushed twice"
                ) from None
            report.invalid.append(Problem(where, str(error).removeprefix(f"{where}: ")))
        if on_task is not None:
            on_task()
    new_tasks.flush()
    new_predictions.flush()
    sender.wait()


def _route(
    task: dict[str, Any],
    where: str,
    schema: Schema,
    seen: _Seen,
    remote: dict[str, RemoteTask],
    report: PushReport,
    new_tasks: Batch,
    new_predictions: Batch,
) -> None:
    """Send one task where it belongs: a new task, predictions for an existing one, or a report line.

    Raises:
        AlignmentError: the task is malformed or does not fit its text and the schema.
    """
    doc_id, text_hash, file = _identity(task, where)
    for prediction in task.get("predictions") or []:
        report.model_version = str(prediction.get("model_version") or report.model_version)
    if doc_id in seen.doc_ids:
        report.duplicates_in_input.append(doc_id)
    elif text_hash in seen.texts:
        report.same_text.append(SameText(doc_id, seen.texts[text_hash], None))
    elif doc_id not in remote:
        other = seen.remote_texts.get(text_hash)
        if other is not None:
            report.same_text.append(SameText(doc_id, other.doc_id, other.id))
        else:
            _check(task, schema, where)
            earlier = seen.remote_files.get(file) if file else None
            if earlier is not None:
                report.new_text_for_file.append(NewTextForFile(file, doc_id, earlier.id))
            new_tasks.add({"data": task["data"], "predictions": _sendable(task.get("predictions") or [])})
    elif remote[doc_id].text_hash != text_hash:
        report.changed.append(ChangedText(doc_id, remote[doc_id].id, remote[doc_id].text_hash, text_hash))
    else:
        versions = remote[doc_id].model_versions
        missing = [p for p in task.get("predictions") or [] if p.get("model_version") not in versions]
        if missing:
            _check({**task, "predictions": missing}, schema, where)
            for prediction in _sendable(missing):
                new_predictions.add({**prediction, "task": remote[doc_id].id})
        report.unchanged += not missing
    seen.doc_ids.add(doc_id)
    seen.texts.setdefault(text_hash, doc_id)


def _sendable(predictions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What push sends of predictions: model version, score and result (a pulled snapshot's
    ids, dates and task numbers stay behind; so do its annotations, which push never sends)."""
    return [{key: p[key] for key in ("model_version", "score", "result") if key in p} for p in predictions]


def _add(studio: Studio, project_id: int, items: list[dict[str, Any]], stats: ImportStats) -> None:
    wanted: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        wanted.setdefault(int(item["task"]), []).append({k: v for k, v in item.items() if k != "task"})
    add_predictions(studio, project_id, wanted, stats)


def _identity(task: Any, where: str) -> tuple[str, str, str]:
    data = task.get("data") if isinstance(task, dict) else None
    if (
        not isinstance(data, dict)
        or not data.get("doc_id")
        or not data.get("text_hash")
        or "text" not in data
    ):
        raise AlignmentError(
            f"{where}: a task needs data.text, data.doc_id and data.text_hash; make task files with "
            "`annotate prelabel`"
        )
    return str(data["doc_id"]), str(data["text_hash"]), str(data.get("file") or "")


def _check(task: dict[str, Any], schema: Schema, where: str) -> None:
    problems = task_problems(task, schema)
    if problems:
        doc_id = task["data"]["doc_id"]
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise AlignmentError(f"{where} (article {doc_id}): {shown}")
