"""Label Studio with several web processes: uWSGI on the same database (``studio up --web-workers N``).

``label-studio start`` runs Django's development server: one process, its request threads
sharing one interpreter lock. For a team, Label Studio's own Docker image runs uWSGI with several processes
(its ``deploy/uwsgi.ini``); this module runs the same from a pip install: first ``label-studio
init`` (migrations and the admin, then it exits), then uWSGI's master with ``workers`` processes,
each loading Label Studio after the fork (``lazy-apps``: no database connection is shared across
processes), behind uWSGI's HTTP router: one process that holds the browsers' keep-alive
connections and hands each request to a free worker, so an idle browser never holds a worker.
Label Studio's static files are served by its own URL routes, so no nginx is needed for a local
team server. Several processes need a database that takes concurrent writers:
PostgreSQL, never SQLite.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

from annotate.errors import StudioError
from annotate.studio.database import Database

#: What every web process reads besides the server's usual environment.
UWSGI_ENVIRONMENT = {
    "APP_WEBSERVER": "uwsgi",  # Label Studio's own name for this setup (no runserver-only notices)
    "DJANGO_SETTINGS_MODULE": "core.settings.label_studio",
}


def check_web_workers(workers: int, database: Database) -> None:
    """Raise ``StudioError`` if ``workers`` web processes cannot run on ``database``."""
    if workers > 1 and database.engine != "postgresql":
        raise StudioError(
            f"{workers} web workers need PostgreSQL (SQLite lets one process write at a time): add "
            "--database postgresql, or --database-url for a server of yours"
        )


def initialise(
    label_studio: str, options: list[str], *, cwd: str, environment: dict[str, str], log: BinaryIO
) -> None:
    """Run ``label-studio init`` with the server's ``options`` (data dir, admin, ...) in ``cwd``, its
    output into ``log``: migrations and the admin (password and token by environment), then it exits.

    Raises:
        StudioError: it failed or took more than 10 minutes.
    """
    try:
        done = subprocess.run(
            [label_studio, "init", "--quiet", *options],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=cwd,
            timeout=600,
            umask=0o077,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise StudioError("label-studio init did not finish in 600 s") from None
    if done.returncode != 0:
        raise StudioError(f"label-studio init failed (code {done.returncode})")


def uwsgi_argv(host: str, port: int, workers: int, data_dir: str) -> list[str]:
    """uWSGI serving Label Studio on ``host:port`` with ``workers`` processes.

    The data dir is named on the command line (``--env``) so ``annotate studio down`` and
    ``status`` recognise the server as the one of that data dir.
    """
    spec = importlib.util.find_spec("label_studio")
    if spec is None or spec.origin is None:
        raise StudioError("Label Studio is not installed; run pip install 'annotate[server]'")
    return [
        _uwsgi(),
        "--http",  # a router process holds the browsers' connections and hands each request to a free worker
        f"{host}:{port}",
        "--http-keepalive",
        "--chdir",
        str(Path(spec.origin).parent),
        "--module",
        "core.wsgi:application",
        "--env",
        f"LABEL_STUDIO_BASE_DATA_DIR={data_dir}",
        "--master",
        "--processes",
        str(workers),
        "--lazy-apps",
        "--enable-threads",
        "--single-interpreter",
        "--need-app",
        "--die-on-term",
        "--vacuum",
        "--buffer-size",
        "65535",
        "--ignore-sigpipe",
        "--ignore-write-errors",
        "--disable-write-exception",
        "--disable-logging",  # no line per request; errors still reach server.log
    ]


def served_address(argv: list[str]) -> tuple[str, str] | None:
    """The host and port a server's command line (``label-studio start`` or uWSGI) serves on."""
    if "--http" in argv[:-1]:
        host, _, port = argv[argv.index("--http") + 1].rpartition(":")
        return host, port
    if {"--port", "--internal-host"} <= set(argv[:-1]):
        return argv[argv.index("--internal-host") + 1], argv[argv.index("--port") + 1]
    return None


def is_server_of(argv: list[str], data_dir: Path) -> bool:
    """Whether a command line is a Label Studio server (either kind) on ``data_dir``."""
    resolved = str(data_dir.resolve())
    ours = resolved in argv or f"LABEL_STUDIO_BASE_DATA_DIR={resolved}" in argv
    return ours and any("label-studio" in part or part == "core.wsgi:application" for part in argv)


def installed(command: str, missing: str) -> str:
    """The path of ``command``: beside this Python (its virtualenv) first, then on PATH.

    Raises:
        StudioError: ``missing`` (what to install), when it is in neither.
    """
    beside = Path(sys.executable).parent / command
    found = str(beside) if beside.is_file() else shutil.which(command)
    if found is None:
        raise StudioError(missing)
    return found


def _uwsgi() -> str:
    return installed(
        "uwsgi", "uWSGI is not installed; run pip install 'annotate[server]' (it brings pyuwsgi)"
    )
