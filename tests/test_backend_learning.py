"""`annotate serve` retrains from the gold annotators submit: a real Label Studio sends the
webhooks, a real backend process trains in the background and serves the new model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.labelstudio import TaskBuilder
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.learner import Learner, Settings
from annotate.studio.projects import ensure_project
from annotate.studio.retrieval import retrieve_predictions
from annotate.studio.server import LocalServer
from annotate.training.store import ModelStore

from .fixtures.serve import call, serving, studio_env
from .fixtures.synthetic import gold_article


def _wait_trained(url: str, project_id: int, trainings: int, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = (call(url, "GET", "/status")["training"] or {}).get(str(project_id), {})
        if state.get("trainings", 0) >= trainings and state.get("state") == "idle":
            return dict(state)
        time.sleep(1)
    pytest.fail(f"no training of project {project_id} ended in {timeout} s: {call(url, 'GET', '/status')}")


def _versions(task: dict[str, Any]) -> set[str]:
    return {prediction["model_version"] for prediction in task["predictions"]}


def test_serve_retrains_after_annotations_and_serves_the_new_model(
    studio: Studio, studio_server: LocalServer, project: str, news_schema: Schema, tmp_path: Path
) -> None:
    """24 submitted annotations trigger a training; the gate passes, /setup answers the new version,
    the untouched tasks and a task imported later get its predictions (with the trigger word only
    the gold taught), annotations stay as they were, and a restarted backend serves it too."""
    gold = [gold_article(n) for n in range(30)]
    project_id = ensure_project(studio, project, news_schema).id
    studio.import_tasks(
        project_id, [{"data": {"text": d.article.text, "doc_id": d.article.id}} for d in gold]
    )
    creds = studio_server.credentials
    env = studio_env(creds.url, creds.token)
    models = tmp_path / "models"
    args = ["--connect", "--project", project, "--retrain-every", "24", "--eval-split", "0.25"]
    args += ["--models", str(models)]
    with serving(args, env, tmp_path / "serve.log") as (_, url):
        base = call(url, "POST", "/setup", {"project": f"{project_id}.1"})["model_version"]
        _until(lambda: studio.project(project).model_version == base)
        fill = [
            "retrieve",
            "--project",
            project,
            "--chunk",
            "7",
            "--url",
            creds.url,
            "--api-key",
            creds.token,
        ]
        filled = CliRunner().invoke(app, fill)
        assert filled.exit_code == 0 and "30 tasks: 30 asked for predictions of " + base in filled.stdout
        again = CliRunner().invoke(app, fill)  # resumable: nothing left to ask
        assert (
            again.exit_code == 0
            and "0 asked for predictions" in again.stdout
            and "30 already had" in again.stdout
        )
        ids = {t.doc_id: t.id for t in studio.remote_tasks(project_id)}
        builder = TaskBuilder(news_schema)
        for document in gold[:23]:
            studio.save_annotation(ids[document.article.id], builder.prediction(document)["result"])
        assert call(url, "GET", "/status")["training"][str(project_id)]["trainings"] == 0
        studio.save_annotation(ids[gold[23].article.id], builder.prediction(gold[23])["result"])
        state = _wait_trained(url, project_id, 1)
        new = call(url, "POST", "/setup", {"project": f"{project_id}.1"})["model_version"]
        assert new != base and new == state["model_version"] and "now serving" in state["last"]
        assert call(url, "POST", "/setup", {"project": "999999.1"})["model_version"] == base
        tasks = {t["data"]["doc_id"]: t for t in studio.tasks(project_id)}
        for document in gold:
            task = tasks[document.article.id]
            if document in gold[:24]:
                assert _versions(task) == {base} and len(task["annotations"]) == 1
            else:
                assert _versions(task) == {base, new}
                assert "zapped" in _triggers(task, new)  # learned: the rules lack the word
        assert studio.project(project).model_version == new
        (later,) = studio.import_tasks(project_id, [{"data": {"text": "Rebels zapped Aleppo on Friday."}}])
        retrieve_predictions(studio, project_id)
        (task,) = [t for t in studio.tasks(project_id) if t["id"] == later]
        assert _versions(task) == {new} and "zapped" in _triggers(task, new)
        (registration,) = studio.request("GET", "api/ml", "list", params={"project": project_id})
        studio.request("POST", f"api/ml/{registration['id']}/train", "start training", body={})
        state = _wait_trained(url, project_id, 2)  # Start Training: the gold did not change
        assert state["model_version"] == new and "nothing to train" in state["last"]
    with serving(["--models", str(models), "--no-learn"], env, tmp_path / "again.log") as (_, url):
        assert call(url, "POST", "/setup", {"project": f"{project_id}.1"})["model_version"] == new


def _triggers(task: dict[str, Any], version: str) -> list[str]:
    (prediction,) = [p for p in task["predictions"] if p["model_version"] == version]
    return [r["value"]["text"] for r in prediction["result"] if r.get("from_name") == "event"]


def _until(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.5)


def test_learner_keeps_the_served_model_when_training_cannot_run(
    studio: Studio, studio_server: LocalServer, project: str, news_schema: Schema, tmp_path: Path
) -> None:
    """Too little gold: not trained, said so; `annotate train` failing: the model stays, its output
    is in train.log and no half-made model folder is left."""
    gold = [gold_article(n) for n in range(8)]
    project_id = ensure_project(studio, project, news_schema).id
    ids = studio.import_tasks(
        project_id, [{"data": {"text": d.article.text, "doc_id": d.article.id}} for d in gold]
    )
    builder = TaskBuilder(news_schema)
    studio.save_annotation(ids[0], builder.prediction(gold[0])["result"])
    swapped: list[str] = []
    creds = studio_server.credentials
    store = ModelStore(tmp_path / "models")
    settings = Settings(every=0, base_model=str(tmp_path / "no-such-model"), eval_split=0.25)
    learner = Learner(
        news_schema,
        store,
        lambda: Studio.connect(creds.url, creds.token),
        lambda project, nlp, version: swapped.append(version),
        settings,
        log=lambda line: None,
    )
    try:
        assert not learner.note(project_id, "ANNOTATION_CREATED")  # every=0: only Start Training
        assert learner.start(project_id)
        _until(lambda: learner.status()[str(project_id)]["trainings"] == 1)
        assert "not trained yet: 1 gold articles" in learner.status()[str(project_id)]["last"]
        for task_id, document in zip(ids[1:], gold[1:], strict=True):
            studio.save_annotation(task_id, builder.prediction(document)["result"])
        learner.start(project_id)
        _until(lambda: learner.status()[str(project_id)]["trainings"] == 2, timeout=300)
        state = learner.status()[str(project_id)]
    finally:
        learner.close()
    assert "`annotate train` failed" in state["last"] and state["model_version"] == ""
    assert swapped == [] and store.current(project_id) is None
    assert "no-such-model" in (store.folder(project_id) / "train.log").read_text(encoding="utf-8")
    assert [p.name for p in store.folder(project_id).iterdir()] == ["train.log"]
