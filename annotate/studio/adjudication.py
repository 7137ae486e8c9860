"""Adjudication in Label Studio: the merges ``annotate.quality.adjudicate`` decides, saved as the
connected user's ground-truth annotations."""

from __future__ import annotations

from annotate.quality.adjudicate import Adjudication, AdjudicationReport, adjudicate_tasks
from annotate.schema import Schema
from annotate.studio.client import Studio


def adjudicate(studio: Studio, title: str, schema: Schema) -> AdjudicationReport:
    """Write one merged ground-truth annotation per task of project ``title`` whose annotators
    disagree (see ``annotate.quality.adjudicate``); the adjudications are made by the connected user.

    Raises:
        StudioError: there is no such project, a merged result does not fit the text and the
            schema (nothing is sent for that task), or the server failed.
        ExportError: a task has no text.
    """
    project = studio.project(title)

    def save(adjudication: Adjudication) -> None:
        studio.save_annotation(
            adjudication.task_id,
            adjudication.result,
            ground_truth=True,
            annotation_id=adjudication.annotation_id,
        )

    return adjudicate_tasks(studio.tasks(project.id), schema, studio.current_user_id(), save)
