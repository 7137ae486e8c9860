"""Label Studio's database: SQLite in its data dir (the default), or PostgreSQL.

``annotate studio up --database postgresql`` starts a PostgreSQL server of its own, from Debian's
``postgresql`` package: its data directory is ``<studio dir>/postgres``, it listens on 127.0.0.1
only (and a socket inside that directory), on a free port, with a generated password checked by
SCRAM. ``--database-url postgresql://USER@HOST:PORT/NAME`` uses an existing server instead (the
password from ``PGPASSWORD``). Either way the settings, password included, are kept in
``<studio dir>/database.json`` (mode 600) so the next start uses the same database, and go to
Label Studio by environment (``DJANGO_DB=default`` and ``POSTGRE_*``), never its command line.

PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` user (made by the
Debian package), which then owns its data directory.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from annotate.atomic import atomic_writer
from annotate.errors import StudioError

SETTINGS_FILE = "database.json"
POSTGRES_DIR = "postgres"
DATABASE_NAME = "labelstudio"
ENGINES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Database:
    """Where Label Studio keeps its data; ``local``: a server annotate started and stops."""

    engine: str = "sqlite"
    host: str = ""
    port: int = 0
    name: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    local: bool = False

    def environment(self) -> dict[str, str]:
        """Label Studio's settings for this database (empty for SQLite, its default)."""
        if self.engine != "postgresql":
            return {}
        return {
            "DJANGO_DB": "default",
            "POSTGRE_NAME": self.name,
            "POSTGRE_USER": self.user,
            "POSTGRE_PASSWORD": self.password,
            "POSTGRE_HOST": self.host,
            "POSTGRE_PORT": str(self.port),
        }


def load_database(studio_dir: Path) -> Database | None:
    """The database a data dir was set up with, if it was."""
    path = studio_dir / SETTINGS_FILE
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return Database(**found)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as error:
        raise StudioError(
            f"{path} is not a database settings file ({error}); restore it or use a new --dir"
        ) from None


def choose_database(studio_dir: Path, engine: str | None, url: str | None) -> Database:
    """The database of ``studio_dir``: as set up before, or as asked for the first time.

    Raises:
        StudioError: an unknown engine, a malformed URL, or a data dir set up with another database.
    """
    saved = load_database(studio_dir)
    if url is not None:
        engine = engine or "postgresql"
    if engine is not None and engine not in ENGINES:
        raise StudioError(f"unknown database {engine!r}; use one of {', '.join(ENGINES)}")
    if saved is not None:
        if engine is not None and engine != saved.engine:
            raise StudioError(
                f"{studio_dir} holds a Label Studio on {saved.engine}; it cannot move to {engine} "
                "(export and re-import the projects into a new --dir)"
            )
        return saved
    has_sqlite = (studio_dir / "label_studio.sqlite3").exists()
    if engine in (None, "sqlite"):
        return Database()
    if has_sqlite:
        raise StudioError(f"{studio_dir} holds a Label Studio on SQLite; use a new --dir for PostgreSQL")
    database = _external(url) if url is not None else _new_local(studio_dir)
    studio_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with atomic_writer(studio_dir / SETTINGS_FILE, mode=0o600) as handle:
        handle.write(json.dumps(asdict(database), indent=2) + "\n")
    return database


def _external(url: str) -> Database:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.path.strip("/"):
        raise StudioError(f"{url!r} is not a PostgreSQL URL; give one like postgresql://USER@HOST:5432/NAME")
    if parts.password:
        raise StudioError("give the database password in PGPASSWORD, not in the URL (it would be shown)")
    password = os.environ.get("PGPASSWORD", "")
    user = parts.username or "postgres"
    return Database("postgresql", parts.hostname, parts.port or 5432, parts.path.strip("/"), user, password)


def _new_local(studio_dir: Path) -> Database:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return Database(
        "postgresql", "127.0.0.1", port, DATABASE_NAME, "annotate", secrets.token_urlsafe(24), True
    )


class LocalPostgres:
    """The PostgreSQL server of a data dir (see the module doc)."""

    def __init__(self, studio_dir: Path, database: Database) -> None:
        self.folder = studio_dir / POSTGRES_DIR
        self.database = database
        self.log = self.folder / "annotate-server.log"  # written by the postgres user

    def start(self) -> None:
        """Initialise the cluster the first time, start it, create the database; wait until it answers.

        Raises:
            StudioError: PostgreSQL is not installed, or it failed to start (its log says why).
        """
        if not (self.folder / "PG_VERSION").exists():
            self._init()
        if self.running():
            return
        options = f"-c listen_addresses=127.0.0.1 -p {self.database.port} -k {self.folder}"
        self._run(
            [_binary("pg_ctl"), "-D", str(self.folder), "-l", str(self.log), "-o", options, "-w", "start"]
        )
        self._run(
            [_binary("psql"), "-h", str(self.folder), "-p", str(self.database.port), "-U", self.database.user,
             "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{self.database.name}'"],
            check_created=True,
        )  # fmt: skip

    def stop(self) -> bool:
        """Stop the server if it runs; whether it did."""
        if not self.running():
            return False
        self._run([_binary("pg_ctl"), "-D", str(self.folder), "-m", "fast", "-w", "stop"])
        return True

    def running(self) -> bool:
        """Whether the server of this data dir runs."""
        if not (self.folder / "postmaster.pid").exists():
            return False
        done = subprocess.run(
            self._as_owner([_binary("pg_ctl"), "-D", str(self.folder), "status"]),
            capture_output=True,
            text=True,
        )
        return done.returncode == 0

    def _init(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._own(self.folder)
        if os.geteuid() == 0 and subprocess.run(self._as_owner(["test", "-w", str(self.folder)])).returncode:
            raise StudioError(
                f"as root, PostgreSQL runs as the postgres user, who cannot reach {self.folder} (a folder "
                "on the way is private): choose a --dir under a folder others may pass through, or run "
                "annotate as a normal user"
            )
        with tempfile.NamedTemporaryFile("w", dir=self.folder.parent, delete=False) as handle:
            handle.write(self.database.password + "\n")  # read by initdb, then removed
        try:
            self._own(Path(handle.name))
            self._run(
                [_binary("initdb"), "-D", str(self.folder), "-U", self.database.user, "--pwfile", handle.name,
                 "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
            )  # fmt: skip
        finally:
            os.unlink(handle.name)

    def _run(self, argv: list[str], *, check_created: bool = False) -> None:
        env = {**os.environ, "PGPASSWORD": self.database.password}
        done = subprocess.run(self._as_owner(argv), capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise StudioError(
                f"PostgreSQL: `{Path(argv[0]).name} {argv[-1]}` failed: "
                f"{(done.stderr or done.stdout).strip()[-400:]} (log: {self.log})"
            )
        if check_created and done.stdout.strip() != "1":
            create = [_binary("createdb"), "-h", str(self.folder), "-p", str(self.database.port)]
            self._run([*create, "-U", self.database.user, self.database.name])

    def _as_owner(self, argv: list[str]) -> list[str]:
        """``argv`` as the ``postgres`` user when running as root (PostgreSQL refuses root)."""
        if os.geteuid() != 0:
            return argv
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        return [runuser, "-u", "postgres", "--", *argv]

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")
            os.chmod(path.parent, 0o711)  # the postgres user may pass through the data dir, not list it


def _binary(name: str) -> str:
    """A PostgreSQL program: on PATH, else from Debian's newest ``/usr/lib/postgresql/<v>/bin``."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for folder in reversed(versions):
        if (folder / name).exists():
            return str(folder / name)
    raise StudioError(
        f"PostgreSQL's {name} is not installed: apt-get install postgresql (or use --database-url "
        "for a server you have)"
    )
