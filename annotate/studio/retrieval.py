"""Predictions for a whole project from its ML backend, in chunks that each fit Label Studio's timeout.

Label Studio's *Retrieve predictions* sends every selected task to the backend in one request,
inside the annotator's own HTTP request: a large selection outlives ``ML_TIMEOUT_PREDICT`` (100 s)
and every prediction is dropped. ``retrieve_predictions`` runs the same action on chunks of task
ids instead, so each backend call is short, and only on the tasks that lack a prediction of the
backend's current model version (Label Studio skips those too, so an interrupted run is finished
by running it again, and a chunk whose answer was lost is re-checked and only its missing tasks
asked for again). Afterwards every selected task is read back; the ones still without a
prediction of that version are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from annotate.errors import StudioError, UncertainWriteError
from annotate.studio.client import Studio
from annotate.studio.mlbackends import project_backends

#: Tasks per backend call: about 2 s of pre-labelling for news articles, far inside 100 s.
DEFAULT_CHUNK = 50


@dataclass
class RetrieveReport:
    """What ``retrieve_predictions`` did."""

    model_version: str
    selected: int  # tasks considered (all, or those nobody has worked on)
    had: int  # already held a prediction of the backend's version
    asked: int  # sent to the backend
    missing: list[int] = field(default_factory=list)  # still without a prediction of the version


def backend_version(studio: Studio, project_id: int) -> str:
    """The model version of the project's ML backend (as of its last ``/setup``).

    Raises:
        StudioError: the project has no ML backend.
    """
    found = project_backends(studio, project_id)
    if not found:
        raise StudioError(
            f"project {project_id} has no ML backend; connect one with "
            "`annotate serve --connect --project NAME`"
        )
    return str(found[0].get("model_version") or found[0].get("title") or "")


def retrieve_predictions(
    studio: Studio,
    project_id: int,
    *,
    chunk: int = DEFAULT_CHUNK,
    worked_on: bool = False,
    on_chunk: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RetrieveReport:
    """Ask the project's backend for predictions in chunks of ``chunk`` tasks (see the module doc).

    ``worked_on``: also tasks an annotator has annotated, skipped or drafted (default: only the
    others, the ones a pre-annotation helps).

    Raises:
        StudioError: no backend, or Label Studio failed (chunks done so far are kept).
    """
    version = backend_version(studio, project_id)
    selected = [t for t in studio.remote_tasks(project_id) if worked_on or not t.annotations]
    todo = [t.id for t in selected if version not in t.model_versions]
    if on_total is not None:
        on_total(len(todo))
    for start in range(0, len(todo), chunk):
        ids = todo[start : start + chunk]
        try:
            _retrieve(studio, project_id, ids)
        except UncertainWriteError:
            _retrieve(studio, project_id, _lacking(studio, project_id, ids, version))
        if on_chunk is not None:
            on_chunk(len(ids))
    version = backend_version(studio, project_id)  # Label Studio updates it before each call
    missing = _lacking(studio, project_id, [t.id for t in selected], version)
    return RetrieveReport(version, len(selected), len(selected) - len(todo), len(todo), missing)


def _retrieve(studio: Studio, project_id: int, ids: list[int]) -> None:
    if not ids:
        return
    body: dict[str, Any] = {"selectedItems": {"all": False, "included": ids}}
    studio.request(
        "POST",
        "api/dm/actions",
        f"retrieve predictions for {len(ids)} tasks of project {project_id}",
        params={"id": "retrieve_tasks_predictions", "project": project_id},
        body=body,
    )


def _lacking(studio: Studio, project_id: int, ids: list[int], version: str) -> list[int]:
    """Which of ``ids`` (ascending) still exist and lack a prediction of ``version``."""
    if not ids:
        return []
    wanted = set(ids)
    found = studio.remote_tasks(project_id, after=min(ids) - 1, upto=max(ids))
    return [t.id for t in found if t.id in wanted and version not in t.model_versions]
