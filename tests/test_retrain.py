"""`annotate retrain` against a real Label Studio: new predictions go only to unannotated tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from annotate.cli import app
from annotate.labelstudio import TaskBuilder
from annotate.prelabel import prelabel
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.push import push
from annotate.studio.retrain import retrain
from annotate.studio.server import LocalServer

from .fixtures.synthetic import gold_article


def _versions(task: dict[str, Any]) -> list[str]:
    return sorted(prediction["model_version"] for prediction in task["predictions"])


def test_retrain_relabels_only_unannotated_tasks(
    studio: Studio, studio_server: LocalServer, project: str, news_schema: Schema, nlp: Any, tmp_path: Path
) -> None:
    """Annotate 24 tasks through the API, retrain: the new version lands on the 6 others only, once."""
    gold = [gold_article(n) for n in range(30)]
    push(studio, project, prelabel([d.article for d in gold], news_schema, nlp=nlp), news_schema)
    project_id = studio.project(project).id
    ids = {task.doc_id: task.id for task in studio.remote_tasks(project_id)}
    builder = TaskBuilder(news_schema)
    annotated = {d.article.id for d in gold[:24]}
    for document in gold[:24]:
        studio.save_annotation(ids[document.article.id], builder.prediction(document)["result"])
    before = {task["data"]["doc_id"]: task for task in studio.tasks(project_id)}
    rules_version = _versions(before[gold[0].article.id])

    out = tmp_path / "model"
    report = retrain(studio, project, news_schema, out, eval_split=0.25)
    assert report.trained and report.layers["triggers"] == "learned"
    assert report.unannotated == 6 and report.push is not None and report.push.predictions_added == 6
    after = {task["data"]["doc_id"]: task for task in studio.tasks(project_id)}
    for doc_id, task in after.items():
        if doc_id in annotated:
            assert _versions(task) == rules_version and task["annotations"] == before[doc_id]["annotations"]
        else:
            assert _versions(task) == sorted([*rules_version, report.model_version])
            new = next(p for p in task["predictions"] if p["model_version"] == report.model_version)
            triggers = [r["value"]["text"] for r in new["result"] if r.get("from_name") == "event"]
            assert "zapped" in triggers  # the learned trigger word, which the rules lack
    assert studio.project(project).model_version == report.model_version

    creds = studio_server.credentials
    again = CliRunner().invoke(
        app,
        [
            "retrain",
            "--project",
            project,
            "--out",
            str(out),
            "--eval-split",
            "0.25",
            "--url",
            creds.url,
            "--api-key",
            creds.token,
        ],
    )
    assert again.exit_code == 0, again.output
    assert "0 predictions added, 6 already had them" in again.stdout
    assert "trained on this gold already" in again.stderr
