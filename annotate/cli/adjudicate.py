"""``annotate adjudicate``: one merged ground-truth annotation per task whose annotators disagree."""

from __future__ import annotations

from annotate.cli._util import SchemaOpt, app, err, out, reports_errors
from annotate.cli.studio_sync import InsecureOpt, KeyOpt, ProjectOpt, UrlOpt
from annotate.schema import load_schema
from annotate.studio.adjudication import adjudicate
from annotate.studio.client import Studio


@app.command("adjudicate")
@reports_errors
def adjudicate_cli(
    project: ProjectOpt,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
    insecure: InsecureOpt = False,
    schema: SchemaOpt = None,
) -> None:
    """Merge disagreeing annotations into a ground-truth annotation that flags each conflict.

    Agreed regions and arguments are kept as they are; each conflict is kept too, with every
    annotator's version in the region's meta, for a reviewer to resolve in the editor. Running it
    again updates nothing that did not change, and never overwrites a reviewer's ground truth.
    """
    with Studio.connect(url, api_key, insecure=insecure) as studio:
        report = adjudicate(studio, project, load_schema(schema))
    for problem in report.problems:
        err.print(f"left out of the merge: task {problem.task_id} region {problem.region_id}: {problem.what}")
    tasks = ", ".join(map(str, report.tasks)) or "none"
    out.print(
        f"project {project!r}: {report.created} adjudications created, {report.updated} updated, "
        f"{report.unchanged} unchanged ({report.conflicts} conflicts written); {report.agreed} tasks agreed, "
        f"{report.skipped_reviewed} already reviewed; tasks to review: {tasks}"
    )
