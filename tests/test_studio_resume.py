"""A push interrupted by a dying server finishes on the next run, losing and duplicating nothing."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest
from spacy.language import Language

from annotate.document import Article
from annotate.errors import StudioError
from annotate.prelabel import prelabel
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.push import push
from annotate.studio.server import LocalServer

TASKS = 300
BATCH = 50
KILL_AFTER = 175  # three batches (150 tasks) sent, the fourth half built


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_push_interrupted_by_server_death_resumes(tmp_path: Path, news_schema: Schema, nlp: Language) -> None:
    """Kill the server mid-push (SIGKILL), restart it on the same data, push again: each task exactly once."""
    articles = [
        Article(f"story-{i}", f"Soldiers attacked the town of Kherson on day {i} of the war.")
        for i in range(TASKS)
    ]
    tasks = list(prelabel(articles, news_schema, nlp=nlp))
    server = LocalServer(tmp_path / "studio", port=_free_port())
    credentials = server.start()
    try:
        done = 0

        def kill_midway() -> None:
            nonlocal done
            done += 1
            if done == KILL_AFTER:
                assert server.pid is not None
                os.killpg(server.pid, signal.SIGKILL)

        with Studio.connect(credentials.url, credentials.token) as studio, pytest.raises(StudioError):
            push(studio, "resume", tasks, news_schema, batch_size=BATCH, on_task=kill_midway)
        server.stop()
        server.start()
        with Studio.connect(credentials.url, credentials.token) as studio:
            report = push(studio, "resume", tasks, news_schema, batch_size=BATCH)
            remote = list(studio.remote_tasks(report.project.id))
        # Batches before the kill were committed whole; the one in flight when the server died
        # (sent on a background thread) may or may not have been.
        assert report.unchanged % BATCH == 0
        assert (KILL_AFTER // BATCH - 1) * BATCH <= report.unchanged <= (KILL_AFTER // BATCH) * BATCH
        assert report.created == TASKS - report.unchanged
        assert sorted(t.doc_id for t in remote) == sorted(f"story-{i}" for i in range(TASKS))
    finally:
        server.stop()


def test_push_interrupted_by_ctrl_c_resumes(
    tmp_path: Path, news_schema: Schema, nlp: Language, studio_server: LocalServer
) -> None:
    """A push stopped by Ctrl-C between batches is finished by the next push."""
    articles = [Article(f"ctrl-c-{i}", f"Police arrested {i} protesters in Paris.") for i in range(120)]
    tasks = list(prelabel(articles, news_schema, nlp=nlp))
    credentials = studio_server.credentials
    done = 0

    def interrupt() -> None:
        nonlocal done
        done += 1
        if done == 90:
            raise KeyboardInterrupt

    with Studio.connect(credentials.url, credentials.token) as studio:
        with pytest.raises(KeyboardInterrupt):
            push(studio, "ctrl-c", tasks, news_schema, batch_size=40, on_task=interrupt)
        report = push(studio, "ctrl-c", tasks, news_schema, batch_size=40)
        remote = sorted(t.doc_id for t in studio.remote_tasks(report.project.id))
        studio.delete_project(report.project.id)
    assert (report.unchanged, report.created) == (80, 40)
    assert remote == sorted(f"ctrl-c-{i}" for i in range(120))
