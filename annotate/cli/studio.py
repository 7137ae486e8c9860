"""``annotate studio up|down|status``: the local Label Studio server for annotators."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from annotate.cli._util import err, out, reports_errors, studio_app
from annotate.errors import StudioError
from annotate.studio.background import status, stop_background
from annotate.studio.credentials import DEFAULT_DIR
from annotate.studio.database import choose_database
from annotate.studio.server import DEFAULT_PORT, LocalServer

DirOpt = Annotated[
    Path,
    typer.Option(
        "--dir", "-d", help="Data dir holding the server's database, credentials and log.", file_okay=False
    ),
]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM or SIGHUP stop the server as Ctrl-C does


@studio_app.command("up")
@reports_errors
def up_cli(
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="Port to serve on (127.0.0.1 only).")
    ] = DEFAULT_PORT,
    data_dir: DirOpt = DEFAULT_DIR,
    background: Annotated[
        bool,
        typer.Option("--background", "-b", help="Leave the server running and return; stop it with down."),
    ] = False,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="sqlite (default) or postgresql: a local PostgreSQL of its own in the data dir, started "
            "and stopped with Label Studio. Chosen once per --dir.",
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="An existing PostgreSQL server, postgresql://USER@HOST:PORT/NAME (password in PGPASSWORD).",
        ),
    ] = None,
    web_workers: Annotated[
        int,
        typer.Option(
            "--web-workers",
            min=1,
            help="Web processes (uWSGI) for many annotators at once; more than 1 needs PostgreSQL. "
            "One or two a core.",
        ),
    ] = 1,
) -> None:
    """Start Label Studio; the first start on a new --dir creates the admin and takes a while."""
    running = status(data_dir)
    if background and running:
        out.print(
            f"Label Studio is already running at {running}; credentials in {data_dir / 'credentials.json'}"
        )
        return
    chosen = choose_database(data_dir, database, database_url)
    server = LocalServer(data_dir, port=port, database=chosen, web_workers=web_workers)
    err.print(f"starting Label Studio in {data_dir} (log: {server.log_path}) ...")
    creds = server.start()
    where = "SQLite" if chosen.engine == "sqlite" else f"PostgreSQL on {chosen.host}:{chosen.port}"
    processes = f", {web_workers} web workers" if web_workers > 1 else ""
    out.print(f"Label Studio is running at {creds.url} ({where}{processes})")
    out.print(f"log in as {creds.username}; credentials in {server.credentials_path} (mode 600)")
    if background:
        out.print(f"stop it with: annotate studio down --dir {data_dir}")
        return
    handlers = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        out.print("press Ctrl-C to stop")
        code = server.wait()
    except KeyboardInterrupt:
        server.stop()
        out.print("stopped")
        return
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    raise StudioError(f"Label Studio exited by itself with code {code}; see {server.log_path}")


@studio_app.command("down")
@reports_errors
def down_cli(data_dir: DirOpt = DEFAULT_DIR) -> None:
    """Stop the server started with `annotate studio up --background` (and its local PostgreSQL)."""
    if stop_background(data_dir):
        out.print(f"stopped the Label Studio server on {data_dir}")
    else:
        out.print(f"no Label Studio server was running on {data_dir}")


@studio_app.command("status")
@reports_errors
def status_cli(data_dir: DirOpt = DEFAULT_DIR) -> None:
    """Say whether a server runs on the data dir, and at which URL."""
    url = status(data_dir)
    out.print(
        f"Label Studio is running at {url}" if url else f"no Label Studio server is running on {data_dir}"
    )
