"""``annotate push`` and ``annotate pull``: tasks to Label Studio, annotations back."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from annotate.cli._util import ModelOpt, SchemaOpt, app, err, out, progress_bar, reports_errors
from annotate.errors import ExportError
from annotate.schema import DEFAULT_SCHEMA, load_schema
from annotate.studio.client import KEY_ENV, URL_ENV, Studio
from annotate.studio.pull import DEFAULT_PAGE_SIZE, pull
from annotate.studio.push import DEFAULT_BATCH_SIZE, push_paths

ProjectOpt = Annotated[str, typer.Option("--project", "-p", help="Title of the Label Studio project.")]
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", help=f"Label Studio URL (default: ${URL_ENV}, else the local `annotate studio up` server)."
    ),
]
KeyOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help=f"API key (default: ${KEY_ENV}, else the local server's credentials); prefer the environment "
        "variable, since command lines are visible to other users.",
    ),
]


@app.command("push")
@reports_errors
def push_cli(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Task files from `annotate prelabel`, or articles to pre-label.", exists=True),
    ],
    project: ProjectOpt = "news",
    url: UrlOpt = None,
    api_key: KeyOpt = None,
    schema: SchemaOpt = DEFAULT_SCHEMA,
    model: ModelOpt = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Tasks per import request.")] = (
        DEFAULT_BATCH_SIZE
    ),
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Skip bad articles and report them instead of stopping.")
    ] = False,
) -> None:
    """Push tasks with predictions to a project; running it again creates nothing twice."""
    with progress_bar("pushing") as advance:
        report = push_paths(
            paths, project, load_schema(schema), url=url, api_key=api_key, model=model,
            batch_size=batch_size, skip_invalid=skip_invalid, on_task=advance,
        )  # fmt: skip
    for problem in report.read.skipped:
        err.print(f"skipped {problem.source}: {problem.reason}")
    for changed in report.changed:
        err.print(
            f"changed text: article {changed.doc_id} (task {changed.task_id}) differs from the pushed one; "
            "not pushed (give the new version its own id to annotate it as a new task)"
        )
    for doc_id in report.duplicates_in_input:
        err.print(f"duplicate in input: article {doc_id} (pushed once)")
    state = "created" if report.project.created else "updated"
    out.print(
        f"project {project!r} (id {report.project.id}) {state}: {report.created} tasks created, "
        f"{report.predictions_added} predictions added to existing tasks, {report.unchanged} unchanged; "
        f"current model version {report.model_version or '-'}"
    )
    out.print(f"annotate at {report.project_url}")


@app.command("pull")
@reports_errors
def pull_cli(
    project: ProjectOpt = "news",
    out_path: Annotated[
        Path, typer.Option("--out", "-o", help="Snapshot file to write (JSON lines).")
    ] = Path("snapshot.jsonl"),
    url: UrlOpt = None,
    api_key: KeyOpt = None,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, help="Tasks per request.")
    ] = DEFAULT_PAGE_SIZE,
) -> None:
    """Write every task of a project with its annotations and predictions to a local snapshot."""
    with Studio.connect(url, api_key) as studio, progress_bar("pulling") as advance:
        report = pull(studio, project, out_path, page_size=page_size, on_task=advance)
    out.print(
        f"wrote {report.tasks} tasks ({report.annotations} annotations, {report.predictions} predictions) "
        f"of project {project!r} to {report.path}"
    )


@contextmanager
def snapshot_source(
    project: str | None, snapshot: Path | None, url: str | None, api_key: str | None, then: str
) -> Iterator[Path]:
    """The snapshot to read: ``snapshot`` as given, or ``project`` pulled into a temporary file."""
    if (project is None) == (snapshot is None):
        raise ExportError(f"give either --project NAME (pull, then {then}) or --from SNAPSHOT")
    if snapshot is not None:
        yield snapshot
        return
    assert project is not None
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "snapshot.jsonl"
        with Studio.connect(url, api_key) as studio, progress_bar("pulling") as advance:
            pull(studio, project, path, on_task=advance)
        yield path
