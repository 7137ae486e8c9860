"""The ``annotate`` command line: one module per command, each calling one library function.

Importing this package registers every command on ``app``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from annotate.cli import (  # noqa: F401  (registers the commands)
    adjudicate,
    evaluate,
    export,
    prelabel,
    report,
    schema,
    serve,
    studio,
    studio_sync,
    train,
)
from annotate.cli._util import app, out
from annotate.version import __version__

__all__ = ["app"]


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
