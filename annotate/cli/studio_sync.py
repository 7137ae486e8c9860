"""``annotate push`` and ``annotate pull``: tasks to Label Studio, annotations back."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from annotate.articles import MAX_ARTICLE_CHARS
from annotate.cli._util import (
    MaxCharsOpt,
    ModelOpt,
    SchemaOpt,
    app,
    err,
    out,
    print_read_report,
    progress_bar,
    reports_errors,
)
from annotate.errors import ExportError
from annotate.schema import load_schema
from annotate.studio.client import Studio
from annotate.studio.connection import KEY_ENV, URL_ENV
from annotate.studio.inputs import Sampling, push_paths
from annotate.studio.pull import DEFAULT_PAGE_SIZE, pull
from annotate.studio.push import DEFAULT_BATCH_SIZE, PushReport

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
InsecureOpt = Annotated[
    bool,
    typer.Option(
        "--insecure",
        help="Allow sending the API key over plain http:// to a host other than this machine (it then "
        "crosses the network unencrypted); use only on a network you trust.",
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
    insecure: InsecureOpt = False,
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Tasks per import request.")] = (
        DEFAULT_BATCH_SIZE
    ),
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Skip bad articles and bad tasks, each alone, and report them instead of stopping.",
        ),
    ] = False,
    max_chars: MaxCharsOpt = MAX_ARTICLE_CHARS,
    replace_config: Annotated[
        bool,
        typer.Option(
            "--replace-config",
            help="Replace the project's labeling config with the schema's even if it was edited in Label "
            "Studio or was not made by annotate (annotations on labels it drops are orphaned).",
        ),
    ] = False,
    sample: Annotated[
        int | None,
        typer.Option(
            "--sample",
            min=0,
            help="Push only this many tasks, the ones worth annotating (--strategy); the others are "
            "written to --rest as silver predictions.",
        ),
    ] = None,
    strategy: Annotated[
        str,
        typer.Option(
            "--strategy",
            help="How --sample chooses: random, uncertain (lowest prediction confidence first) or "
            "stratified (rare event types first).",
        ),
    ] = "uncertain",
    rest: Annotated[
        Path | None,
        typer.Option(
            "--rest",
            help="Task file, or folder for task shards, for the tasks --sample leaves out "
            "(default: INPUT.rest.json, or FOLDER-rest for a folder of shards).",
        ),
    ] = None,
    seed: Annotated[
        str, typer.Option("--seed", help="Seed of the random order --sample draws.")
    ] = "annotate",
) -> None:
    """Push tasks with predictions to a project; running it again creates nothing twice."""

    def waiting() -> None:
        err.print(f"another push to project {project!r} is running on this machine; waiting for it to end")

    sampling = None
    if sample is not None:
        first = paths[0]
        default = f"{first.name}-rest" if first.is_dir() else f"{first.stem}.rest.json"  # shards for shards
        target = rest or first.with_name(default)
        sampling = Sampling(sample, strategy, target, seed)
    with progress_bar("pushing") as advance:
        report = push_paths(
            paths,
            project,
            load_schema(schema),
            url=url,
            api_key=api_key,
            insecure=insecure,
            model=model,
            batch_size=batch_size,
            skip_invalid=skip_invalid,
            max_chars=max_chars,
            replace_config=replace_config,
            on_task=advance,
            on_wait=waiting,
            sample=sampling,
        )
    if report.sample is not None and sampling is not None:
        found = report.sample
        types = len(found.event_types)
        out.print(
            f"sampled {len(found.picked)} of {found.total} tasks ({found.strategy}; "
            f"{len(found.covered)} of {types} predicted event types covered); the other "
            f"{found.total - len(found.picked)} written to {sampling.rest} as silver predictions"
        )
    _print_push(project, report)


def _print_push(project: str, report: PushReport) -> None:
    print_read_report(report.read, "pushed once")
    for problem in report.invalid:
        err.print(f"skipped {problem.source}: {problem.reason}")
    for changed in report.changed:
        err.print(
            f"changed text: article {changed.doc_id} (task {changed.task_id}) differs from the pushed one; "
            "not pushed (give the new version its own id to annotate it as a new task)"
        )
    for doc_id in report.duplicates_in_input:
        err.print(f"duplicate in input: article {doc_id} (pushed once)")
    for same in report.same_text:
        where = f"task {same.task_id} of the project" if same.task_id is not None else "the input"
        err.print(
            f"same text: article {same.doc_id} has the text of article {same.other_doc_id} ({where}); "
            "not pushed"
        )
    for renamed in report.new_text_for_file:
        err.print(
            f"new text for an existing file name: {renamed.file} was pushed before as task "
            f"{renamed.task_id}; its new text is a new task (article {renamed.doc_id}): a .txt article "
            "is identified by its text, so give it an id in a .jsonl record to replace the old one instead"
        )
    imports = report.imports
    for doc_id, ids in imports.duplicates_kept:
        err.print(f"duplicate tasks of article {doc_id} with annotators' work: {ids}; left as they are")
    if imports.duplicates_removed:
        err.print(f"removed {len(imports.duplicates_removed)} duplicate tasks without annotations")
    if imports.lost_answers:
        err.print(
            f"{imports.lost_answers} answers of the server were lost; what they did was checked and completed"
        )
    state = "created" if report.project.created else "updated"
    out.print(
        f"project {project!r} (id {report.project.id}) {state}: {report.created} tasks created, "
        f"{report.predictions_added} predictions added to existing tasks, {report.unchanged} unchanged; "
        f"{imports.verified} new tasks read back with their predictions ({imports.predictions_repaired} "
        f"missing predictions added); current model version {report.model_version or '-'}"
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
    insecure: InsecureOpt = False,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, help="Tasks per request.")
    ] = DEFAULT_PAGE_SIZE,
) -> None:
    """Write every task of a project with its annotations and predictions to a local snapshot."""
    with Studio.connect(url, api_key, insecure=insecure) as studio, progress_bar("pulling") as advance:
        report = pull(studio, project, out_path, page_size=page_size, on_task=advance)
    out.print(
        f"wrote {report.tasks} tasks ({report.annotations} annotations, {report.predictions} predictions) "
        f"of project {project!r} to {report.path}"
    )


@contextmanager
def snapshot_source(
    project: str | None,
    snapshot: Path | None,
    url: str | None,
    api_key: str | None,
    then: str,
    *,
    insecure: bool = False,
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
        with Studio.connect(url, api_key, insecure=insecure) as studio, progress_bar("pulling") as advance:
            pull(studio, project, path, on_task=advance)
        yield path
