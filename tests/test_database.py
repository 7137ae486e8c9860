"""Label Studio on PostgreSQL: `annotate studio up --database postgresql` starts a real local
PostgreSQL of its own in the data dir, Label Studio keeps its tasks there, `down` stops both."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from spacy.language import Language

from annotate.articles import read_articles
from annotate.errors import StudioError
from annotate.prelabel import prelabel
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.credentials import load_credentials
from annotate.studio.database import SETTINGS_FILE, LocalPostgres, choose_database, load_database
from annotate.studio.push import push

from .conftest import SEED_ARTICLE
from .fixtures.studio import free_port


@pytest.fixture
def passable() -> Iterator[Path]:
    """A folder other users may pass through (as root, PostgreSQL runs as the postgres user)."""
    folder = Path(tempfile.mkdtemp(prefix="annotate-pg-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _count_tasks(studio_dir: Path) -> int:
    database = load_database(studio_dir)
    assert database is not None
    with (
        psycopg2.connect(
            host=database.host,
            port=database.port,
            user=database.user,
            password=database.password,
            dbname=database.name,
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT count(*) FROM task")
        (count,) = cursor.fetchone()
    return int(count)


def _annotate(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "annotate", *args], capture_output=True, text=True, timeout=600
    )


def _command_lines() -> list[bytes]:
    """The command line of every process of this machine."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            found.append(Path(f"/proc/{pid}/cmdline").read_bytes())
        except OSError:  # ended meanwhile
            continue
    return found


def test_studio_up_on_postgresql_keeps_the_tasks_there(
    passable: Path, news_schema: Schema, nlp: Language
) -> None:
    """up --database postgresql: Label Studio answers, pushed tasks are rows of PostgreSQL, the
    password is in a 0600 file and never on a command line; down stops both; up again reuses it."""
    studio_dir = passable / "studio"
    up = ["studio", "up", "--dir", str(studio_dir), "--background", "--port", str(free_port())]
    down = ["studio", "down", "--dir", str(studio_dir)]
    try:
        started = _annotate([*up, "--database", "postgresql"])
        assert started.returncode == 0, started.stderr
        assert "(PostgreSQL on 127.0.0.1:" in started.stdout
        settings = studio_dir / SETTINGS_FILE
        assert stat.S_IMODE(settings.stat().st_mode) == 0o600
        database = load_database(studio_dir)
        assert database is not None and database.local and database.host == "127.0.0.1"
        creds = load_credentials(studio_dir / "credentials.json")
        with Studio.connect(creds.url, creds.token) as studio:
            tasks = list(prelabel(read_articles([SEED_ARTICLE]), news_schema, nlp=nlp))
            push(studio, "on-postgres", tasks, news_schema)
        assert _count_tasks(studio_dir) == 1
        command_lines = [
            Path(f"/proc/{pid}/cmdline").read_bytes() for pid in os.listdir("/proc") if pid.isdigit()
        ]
        assert not any(database.password.encode() in line for line in command_lines)

        stopped = _annotate(down)
        assert stopped.returncode == 0 and "stopped" in stopped.stdout
        assert not LocalPostgres(studio_dir, database).running()
        with pytest.raises(psycopg2.OperationalError):
            _count_tasks(studio_dir)

        again = _annotate(up)  # no --database: the data dir's own
        assert again.returncode == 0, again.stderr
        assert _count_tasks(studio_dir) == 1
    finally:
        _annotate(down)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for child in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(child))
    return found


def test_studio_up_with_web_workers_serves_from_several_processes(
    passable: Path, news_schema: Schema, nlp: Language
) -> None:
    """--web-workers 2 on PostgreSQL: uWSGI with two web processes serves the API (push, read back),
    status finds it, down stops every process; on SQLite the same is refused before anything starts."""
    studio_dir = passable / "studio"
    port = free_port()
    up = ["studio", "up", "--dir", str(studio_dir), "--background", "--port", str(port)]
    try:
        started = _annotate([*up, "--database", "postgresql", "--web-workers", "2"])
        assert started.returncode == 0, started.stderr
        assert "2 web workers" in started.stdout
        master = int((studio_dir / "server.pid").read_text())
        assert len(_children(master)) == 3  # two web workers and the HTTP router in front of them
        status = _annotate(["studio", "status", "--dir", str(studio_dir)])
        assert f"http://127.0.0.1:{port}" in status.stdout
        creds = load_credentials(studio_dir / "credentials.json")
        with Studio.connect(creds.url, creds.token) as studio:
            tasks = list(prelabel(read_articles([SEED_ARTICLE]), news_schema, nlp=nlp))
            assert push(studio, "on-uwsgi", tasks, news_schema).created == 1
            assert push(studio, "on-uwsgi", tasks, news_schema).created == 0
        assert _count_tasks(studio_dir) == 1
        stopped = _annotate(["studio", "down", "--dir", str(studio_dir)])
        assert stopped.returncode == 0 and "stopped" in stopped.stdout
        assert not any(str(studio_dir).encode() in line for line in _command_lines())
    finally:
        _annotate(["studio", "down", "--dir", str(studio_dir)])
    sqlite_dir = passable / "sqlite"
    refused = _annotate(["studio", "up", "--dir", str(sqlite_dir), "--web-workers", "2", "--background"])
    assert refused.returncode != 0 and "2 web workers need PostgreSQL" in refused.stderr
    assert not (sqlite_dir / "label_studio.sqlite3").exists()


def test_choose_database_keeps_a_data_dir_on_its_engine(tmp_path: Path) -> None:
    """A data dir stays on the database it was made with; bad URLs and passwords in URLs are refused."""
    sqlite_dir = tmp_path / "sqlite"
    sqlite_dir.mkdir()
    (sqlite_dir / "label_studio.sqlite3").write_bytes(b"")
    with pytest.raises(StudioError, match="holds a Label Studio on SQLite"):
        choose_database(sqlite_dir, "postgresql", None)
    external = choose_database(tmp_path / "ext", None, "postgresql://ls@db.example:6543/labels")
    assert (external.engine, external.host, external.port, external.name, external.local) == (
        "postgresql", "db.example", 6543, "labels", False,
    )  # fmt: skip
    assert json.loads((tmp_path / "ext" / SETTINGS_FILE).read_text())["host"] == "db.example"
    with pytest.raises(StudioError, match="cannot move to sqlite"):
        choose_database(tmp_path / "ext", "sqlite", None)
    with pytest.raises(StudioError, match="PGPASSWORD, not in the URL"):
        choose_database(tmp_path / "other", None, "postgresql://ls:secret@db.example/labels")
    with pytest.raises(StudioError, match="unknown database 'mysql'"):
        choose_database(tmp_path / "other", "mysql", None)
