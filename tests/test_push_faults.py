"""Push under real faults: lost answers, concurrent pushes, writes elsewhere, earlier duplicates."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from annotate.articles import text_hash
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.projects import DESCRIPTION_PREFIX, ensure_project
from annotate.studio.push import push
from annotate.studio.server import LocalServer
from annotate.taskfile import write_tasks

from .fixtures.network import Rule, faulty_proxy

IMPORT = r"^/api/projects/\d+/import(\?|$)"
PREDICTIONS = r"^/api/projects/\d+/import/predictions"


def _stored(studio: Studio, title: str) -> list[dict[str, Any]]:
    return list(studio.tasks(studio.project(title).id))


def _assert_each_once_with_predictions(stored: list[dict[str, Any]], sent: list[dict[str, Any]]) -> None:
    counts = Counter(task["data"]["doc_id"] for task in stored)
    assert counts == Counter(task["data"]["doc_id"] for task in sent), "every task exactly once"
    for task in stored:
        versions = [p["model_version"] for p in task["predictions"]]
        assert len(versions) == len(set(versions)) == 1, f"{task['data']['doc_id']}: {versions}"


def _many(tasks: list[dict[str, Any]], copies: int) -> list[dict[str, Any]]:
    """``copies`` copies of ``tasks`` with other doc ids and texts (a line added at the end, so the
    predictions' offsets still fit)."""
    out = []
    for number in range(copies):
        for task in tasks:
            twin = copy.deepcopy(task)
            twin["data"]["doc_id"] = f"{task['data']['doc_id']}-{number}"
            twin["data"]["text"] += f"\n\nCopy {number}."
            twin["data"]["text_hash"] = text_hash(twin["data"]["text"])
            out.append(twin)
    return out


def test_push_lost_import_answer_is_rechecked_not_resent(
    studio: Studio,
    studio_server: LocalServer,
    project: str,
    news_schema: Schema,
    seed_tasks: list[dict[str, Any]],
) -> None:
    """The answer to a committed import is lost: push re-reads the project and sends nothing twice."""
    creds = studio_server.credentials
    with faulty_proxy(creds.url, Rule("POST", IMPORT)) as (proxy, url), Studio(url, creds.token) as through:
        report = push(through, project, seed_tasks, news_schema, batch_size=3)
    assert proxy.dropped and report.imports.lost_answers == 1
    assert report.created == len(seed_tasks)
    imports = [path for method, path in proxy.requests if method == "POST" and "/import" in path]
    assert len(imports) == 3  # one per batch of 3: the committed batch was not sent again
    _assert_each_once_with_predictions(_stored(studio, project), seed_tasks)


def test_push_import_lost_before_the_server_sends_what_is_missing(
    studio: Studio,
    studio_server: LocalServer,
    project: str,
    news_schema: Schema,
    seed_tasks: list[dict[str, Any]],
) -> None:
    """A connection dropped before the server saw the import: push finds the tasks missing, sends them."""
    creds = studio_server.credentials
    rule = Rule("POST", IMPORT, forward=False)
    with faulty_proxy(creds.url, rule) as (_, url), Studio(url, creds.token) as through:
        report = push(through, project, seed_tasks, news_schema, batch_size=3)
    assert report.imports.lost_answers == 1 and report.created == len(seed_tasks)
    _assert_each_once_with_predictions(_stored(studio, project), seed_tasks)


def test_push_lost_prediction_answer_adds_each_prediction_once(
    studio: Studio,
    studio_server: LocalServer,
    project: str,
    news_schema: Schema,
    seed_tasks: list[dict[str, Any]],
) -> None:
    """New predictions for existing tasks, their answer lost: each task gets the new version once."""
    push(studio, project, seed_tasks, news_schema)
    newer = copy.deepcopy(seed_tasks)
    for task in newer:
        task["predictions"][0]["model_version"] = "newer@2"
    creds = studio_server.credentials
    with faulty_proxy(creds.url, Rule("POST", PREDICTIONS)) as (_, url), Studio(url, creds.token) as through:
        report = push(through, project, newer, news_schema)
    assert report.imports.lost_answers == 1
    for task in _stored(studio, project):
        assert sorted(p["model_version"] for p in task["predictions"]) == sorted(
            [seed_tasks[0]["predictions"][0]["model_version"], "newer@2"]
        )


def test_push_two_at_once_make_one_project_and_each_task_once(
    studio: Studio, studio_server: LocalServer, project: str, seed_tasks: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Two `annotate push` processes started together: one project, every task once, one prediction each."""
    tasks = _many(seed_tasks, 15)
    path = tmp_path / "tasks.json"
    write_tasks(path, tasks)
    creds = studio_server.credentials
    env = {**os.environ, "LABEL_STUDIO_URL": creds.url, "LABEL_STUDIO_API_KEY": creds.token}
    command = [
        sys.executable,
        "-m",
        "annotate",
        "push",
        str(path),
        "--project",
        project,
        "--batch-size",
        "20",
    ]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    runs.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert len(studio.projects_titled(project)) == 1
    _assert_each_once_with_predictions(_stored(studio, project), tasks)
    created = sorted(int(out.split(" tasks created")[0].rsplit(" ", 1)[-1]) for out, _ in outputs)
    assert created == [0, len(tasks)]


def test_push_while_annotators_work_leaves_no_task_without_its_prediction(
    studio: Studio,
    studio_server: LocalServer,
    project: str,
    news_schema: Schema,
    seed_tasks: list[dict[str, Any]],
) -> None:
    """Annotations written while a push runs: every new task is read back with its prediction."""
    push(studio, project, seed_tasks, news_schema)
    ids = [task.id for task in studio.remote_tasks(studio.project(project).id)]
    result = [{"id": "x1", "from_name": "entity", "to_name": "text", "type": "labels",
               "value": {"start": 0, "end": 1, "labels": ["PERSON"]}}]  # fmt: skip
    stop = threading.Event()
    written: list[int] = []

    def annotate() -> None:
        with Studio(studio_server.url, studio_server.credentials.token) as annotator:
            while not stop.is_set():
                written.append(annotator.save_annotation(ids[len(written) % len(ids)], result))

    worker = threading.Thread(target=annotate)
    worker.start()
    try:
        more = _many(seed_tasks, 20)
        report = push(studio, project, more, news_schema, batch_size=25)
    finally:
        stop.set()
        worker.join()
    assert written and report.imports.verified == len(more) == report.created
    stored = _stored(studio, project)
    _assert_each_once_with_predictions(stored, seed_tasks + more)
    assert sum(len(task["annotations"]) for task in stored) == len(written)


def test_push_repairs_duplicates_an_earlier_push_left(
    studio: Studio, project: str, news_schema: Schema, seed_tasks: list[dict[str, Any]]
) -> None:
    """Copies of a task from a disturbed push: the copy without work goes, annotated copies stay."""
    project_id = ensure_project(studio, project, news_schema).id
    first, second = seed_tasks[0], seed_tasks[1]
    studio.import_tasks(project_id, [first, first, second, second])
    copies = {}
    for task in studio.remote_tasks(project_id):
        copies.setdefault(task.doc_id, []).append(task.id)
    for task_id in copies[second["data"]["doc_id"]]:  # both copies of the second have annotations
        studio.save_annotation(task_id, [])
    report = push(studio, project, seed_tasks, news_schema)
    assert len(report.imports.duplicates_removed) == 1
    assert report.imports.duplicates_kept == [(second["data"]["doc_id"], copies[second["data"]["doc_id"]])]
    counts = Counter(task["data"]["doc_id"] for task in _stored(studio, project))
    assert counts[first["data"]["doc_id"]] == 1 and counts[second["data"]["doc_id"]] == 2
    assert report.created == len(seed_tasks) - 2


def test_push_removes_an_empty_duplicate_project_it_made(
    studio: Studio, project: str, news_schema: Schema, seed_tasks: list[dict[str, Any]]
) -> None:
    """Two projects with the title, one empty and made by annotate: push keeps the other, once."""
    kept = ensure_project(studio, project, news_schema).id
    push(studio, project, seed_tasks[:1], news_schema)
    studio.create_project(
        project, "<View><Text name='text' value='$text'/></View>", "", f"{DESCRIPTION_PREFIX}."
    )
    assert len(studio.projects_titled(project)) == 2
    report = push(studio, project, seed_tasks, news_schema)
    assert [p.id for p in studio.projects_titled(project)] == [kept] == [report.project.id]


def test_cli_push_reports_same_text_and_new_text_for_a_file(
    studio_server: LocalServer, project: str, tmp_path: Path, monkeypatch: Any
) -> None:
    """Same text under two ids is pushed once and said; an edited .txt is a new task, and said so."""
    from typer.testing import CliRunner

    from annotate.cli import app

    creds = studio_server.credentials
    monkeypatch.setenv("LABEL_STUDIO_URL", creds.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", creds.token)
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "story.txt").write_text("Rebels attacked Kabul on Monday.", encoding="utf-8")
    records = [
        {"id": "a", "text": "Police arrested two men."},
        {"id": "b", "text": "Police arrested two men."},
    ]
    (tmp_path / "more.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(app, ["push", str(folder), str(tmp_path / "more.jsonl"), "--project", project])
    assert first.exit_code == 0, first.output
    assert "2 tasks created" in first.stdout
    assert "same text as" in first.stderr and "(pushed once)" in first.stderr
    (folder / "story.txt").write_text("Rebels attacked Herat on Monday.", encoding="utf-8")
    second = runner.invoke(app, ["push", str(folder), "--project", project])
    assert second.exit_code == 0, second.output
    assert "1 tasks created" in second.stdout
    assert "new text for an existing file name: story.txt was pushed before as task" in second.stderr


def test_cli_push_skip_invalid_skips_a_bad_task_alone(
    studio: Studio, studio_server: LocalServer, project: str, seed_tasks: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A hand-edited task file with a bad middle task: without --skip-invalid nothing after it goes;
    with it, that task alone is reported and every other task is pushed."""
    from typer.testing import CliRunner

    from annotate.cli import app

    tasks = copy.deepcopy(seed_tasks)
    tasks[3]["predictions"][0]["result"][0]["value"]["end"] = 10**6  # offsets beyond the text
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")  # pretty-printed by hand
    creds = studio_server.credentials
    where = ["--project", project, "--url", creds.url, "--api-key", creds.token, "--batch-size", "2"]
    stopped = CliRunner().invoke(app, ["push", str(path), *where])
    assert stopped.exit_code == 1
    assert (
        f"{path}[3] (article {tasks[3]['data']['doc_id']})" in stopped.stderr
        and "--skip-invalid" in stopped.stderr
    )
    skipped = CliRunner().invoke(app, ["push", str(path), *where, "--skip-invalid"])
    assert skipped.exit_code == 0, skipped.output
    assert f"skipped {path}[3]" in skipped.stderr and "do not fit a text" in skipped.stderr
    stored = {task["data"]["doc_id"] for task in _stored(studio, project)}
    assert stored == {task["data"]["doc_id"] for number, task in enumerate(tasks) if number != 3}
