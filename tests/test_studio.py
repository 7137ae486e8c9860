"""Push and pull against a real Label Studio server started for the test session."""

from __future__ import annotations

import copy
import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from spacy.language import Language

from annotate.document import Article
from annotate.errors import AlignmentError, OutputError, StudioError
from annotate.labelstudio.config import read_config
from annotate.labelstudio.labelconfig import ENTITY_CONTROL, EVENT_CONTROL, label_config
from annotate.prelabel import prelabel
from annotate.schema import Schema, load_schema
from annotate.studio.client import Studio
from annotate.studio.inputs import push_paths
from annotate.studio.projects import ensure_project
from annotate.studio.pull import pull
from annotate.studio.push import push
from annotate.studio.server import LocalServer

from .conftest import REPO


def _snapshot(studio: Studio, title: str, tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / f"{title}.jsonl"
    pull(studio, title, path)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_studio_project_created_from_schema(studio: Studio, project: str, news_schema: Schema) -> None:
    """A new project gets the schema's labels, roles and descriptions as instructions."""
    created = ensure_project(studio, project, news_schema)
    assert created.created
    server = studio.client.projects.get(id=created.id)
    outline = read_config(str(server.label_config))
    assert list(outline.labels(ENTITY_CONTROL)) == news_schema.entity_labels
    assert list(outline.labels(EVENT_CONTROL)) == news_schema.event_types
    assert list(outline.roles) == news_schema.role_names
    assert outline.generated
    assert news_schema.entities[0].description in str(server.expert_instruction)
    assert not ensure_project(studio, project, news_schema).created


def test_push_seeds_exactly_as_sent(
    studio: Studio, project: str, news_schema: Schema, seed_tasks: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Every pushed task is on the server with its prediction's regions and relations unchanged."""
    report = push(studio, project, seed_tasks, news_schema)
    assert (report.created, report.predictions_added, report.unchanged) == (len(seed_tasks), 0, 0)
    snapshot = {task["data"]["doc_id"]: task for task in _snapshot(studio, project, tmp_path)}
    assert len(snapshot) == len(seed_tasks)
    for sent in seed_tasks:
        stored = snapshot[sent["data"]["doc_id"]]
        assert stored["data"] == sent["data"]
        [prediction] = stored["predictions"]
        assert prediction["result"] == sent["predictions"][0]["result"]
        assert prediction["model_version"] == sent["predictions"][0]["model_version"]
        assert prediction["score"] == pytest.approx(sent["predictions"][0]["score"])
    relations = [
        r for t in snapshot.values() for r in t["predictions"][0]["result"] if r["type"] == "relation"
    ]
    assert relations


def test_push_again_creates_nothing(
    studio: Studio, project: str, news_schema: Schema, seed_tasks: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Re-pushing the same tasks creates no task and no prediction."""
    push(studio, project, seed_tasks, news_schema)
    again = push(studio, project, seed_tasks, news_schema)
    assert (again.created, again.predictions_added, again.unchanged) == (0, 0, len(seed_tasks))
    snapshot = _snapshot(studio, project, tmp_path)
    assert len(snapshot) == len(seed_tasks)
    assert all(len(task["predictions"]) == 1 for task in snapshot)


def test_push_new_model_version_adds_predictions(
    studio: Studio, project: str, news_schema: Schema, seed_tasks: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Predictions of a new model version go to the existing tasks and become the current version."""
    push(studio, project, seed_tasks, news_schema)
    newer = copy.deepcopy(seed_tasks)
    for task in newer:
        task["predictions"][0]["model_version"] = "newer-model@2"
        task["predictions"][0]["result"] = task["predictions"][0]["result"][:3]
    report = push(studio, project, newer, news_schema)
    assert (report.created, report.predictions_added) == (0, len(seed_tasks))
    found = studio.find_project(project)
    assert found is not None
    assert found.model_version == "newer-model@2"
    snapshot = _snapshot(studio, project, tmp_path)
    assert len(snapshot) == len(seed_tasks)
    for task in snapshot:
        versions = sorted(p["model_version"] for p in task["predictions"])
        assert versions == sorted([seed_tasks[0]["predictions"][0]["model_version"], "newer-model@2"])
    assert push(studio, project, newer, news_schema).predictions_added == 0


def test_push_changed_text_is_reported_not_duplicated(
    studio: Studio, project: str, news_schema: Schema, nlp: Language
) -> None:
    """An article whose text changed under the same id is reported and creates no task."""
    [first] = prelabel([Article("story-1", "Rebels attacked Kabul on Monday.")], news_schema, nlp=nlp)
    [edited] = prelabel([Article("story-1", "Rebels attacked Herat on Monday.")], news_schema, nlp=nlp)
    push(studio, project, [first], news_schema)
    report = push(studio, project, [edited], news_schema)
    assert report.created == 0
    assert [c.doc_id for c in report.changed] == ["story-1"]
    assert report.changed[0].new_hash == edited["data"]["text_hash"]


def test_push_invalid_prediction_refused_before_sending(
    studio: Studio, project: str, news_schema: Schema, seed_tasks: list[dict[str, Any]]
) -> None:
    """A prediction with a label the config lacks is refused locally; nothing reaches the server."""
    bad = copy.deepcopy(seed_tasks[0])
    region = next(r for r in bad["predictions"][0]["result"] if r["type"] == "labels")
    region["value"]["labels"] = ["NOT_A_LABEL"]
    where = f"task 1 \\(article {bad['data']['doc_id']}\\): prediction 0 .*NOT_A_LABEL"
    with pytest.raises(AlignmentError, match=where):
        push(studio, project, [bad], news_schema)
    found = studio.find_project(project)
    assert found is not None
    assert list(studio.remote_tasks(found.id)) == []


def test_server_validates_predictions(
    studio: Studio, project: str, news_schema: Schema, seed_tasks: list[dict[str, Any]]
) -> None:
    """With the validation flag on, the server itself rejects a malformed prediction loudly."""
    created = ensure_project(studio, project, news_schema)
    bad = copy.deepcopy(seed_tasks[0])
    bad["predictions"][0]["result"][0]["value"]["labels"] = ["NOT_A_LABEL"]
    with pytest.raises(StudioError, match="answered 400"):
        studio.import_tasks(created.id, [bad])


def test_ensure_project_adds_labels_and_refuses_removals(
    studio: Studio, project: str, news_schema: Schema, tmp_path: Path
) -> None:
    """A label added to the schema is added to the project; a removed one is refused."""
    raw = yaml.safe_load(Path(news_schema.path).read_text(encoding="utf-8"))
    smaller = copy.deepcopy(raw)
    smaller["entities"] = [e for e in raw["entities"] if e["name"] != "SENTENCE"]
    smaller["events"] = [e for e in raw["events"] if "SENTENCE" not in json.dumps(e["roles"])]
    path = tmp_path / "smaller.yaml"
    path.write_text(yaml.safe_dump(smaller), encoding="utf-8")
    ensure_project(studio, project, load_schema(path))
    grown = ensure_project(studio, project, news_schema)
    assert "entity:SENTENCE" in grown.labels_added
    with pytest.raises(StudioError, match="has labels the schema lacks: entity:SENTENCE"):
        ensure_project(studio, project, load_schema(path))


def test_ensure_project_updates_a_config_with_the_same_labels_but_another_look(
    studio: Studio, project: str, news_schema: Schema
) -> None:
    """A config an older annotate generated (no stamp, other colours, hotkeys) gets today's, once."""
    created = ensure_project(studio, project, news_schema)
    current = label_config(news_schema)
    old_look = re.sub(r' hotkey="[^"]*"', "", current).replace('background="', 'background="#1')
    old_look = re.sub(r"\n *<!-- annotate:config=.*?-->", "", old_look)
    assert old_look != current
    studio.client.projects.update(id=created.id, label_config=old_look)
    updated = ensure_project(studio, project, news_schema)
    assert updated.config_updated and not updated.labels_added
    assert str(studio.client.projects.get(id=created.id).label_config).strip() == current.strip()
    assert not ensure_project(studio, project, news_schema).config_updated


def test_pull_returns_annotations_of_two_annotators(
    studio: Studio, project: str, news_schema: Schema, seed_tasks: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Corrections by two annotators (accept, move, relabel, delete, add, skip) come back exactly."""
    push(studio, project, seed_tasks[:2], news_schema)
    found = studio.find_project(project)
    assert found is not None
    users = []
    for name in ("ann1", "ann2"):
        email = f"{name}-{found.id}@annotate.local"
        users.append(studio.client.users.create(username=email, email=email, password="secret-pass-123").id)
    remote = {t.doc_id: t.id for t in studio.remote_tasks(found.id)}
    task_id = remote[seed_tasks[0]["data"]["doc_id"]]
    predicted = seed_tasks[0]["predictions"][0]["result"]
    accepted = [dict(r, origin="prediction") for r in predicted]
    corrected = copy.deepcopy(predicted)
    regions = [r for r in corrected if r["type"] == "labels" and r["from_name"] == ENTITY_CONTROL]
    text = seed_tasks[0]["data"]["text"]
    moved, relabelled, deleted = regions[0], regions[1], regions[2]
    moved["value"]["end"] += 1
    moved["value"]["text"] = text[moved["value"]["start"] : moved["value"]["end"]]
    relabelled["value"]["labels"] = ["ORG"]
    corrected = [
        r
        for r in corrected
        if r.get("id") != deleted["id"] and deleted["id"] not in (r.get("to_id"), r.get("from_id"))
    ]
    start = text.index("Telegram")
    value = {"start": start, "end": start + 8, "text": "Telegram", "labels": ["ORG"]}
    corrected.append(
        {
            "id": "manual1",
            "from_name": ENTITY_CONTROL,
            "to_name": "text",
            "type": "labels",
            "origin": "manual",
            "value": value,
        }
    )
    studio.client.annotations.create(id=task_id, result=accepted, completed_by=users[0], lead_time=12.5)
    studio.client.annotations.create(id=task_id, result=corrected, completed_by=users[1], lead_time=40.0)
    other = remote[seed_tasks[1]["data"]["doc_id"]]
    studio.client.annotations.create(id=other, result=[], completed_by=users[1], was_cancelled=True)
    snapshot = {t["id"]: t for t in _snapshot(studio, project, tmp_path)}
    annotations = {a["completed_by"]: a for a in snapshot[task_id]["annotations"]}
    assert set(annotations) == set(users)
    assert annotations[users[0]]["result"] == accepted
    assert annotations[users[1]]["result"] == corrected
    assert annotations[users[0]]["lead_time"] == pytest.approx(12.5)
    assert annotations[users[1]]["was_cancelled"] is False
    assert {"created_at", "updated_at", "ground_truth"} <= set(annotations[users[1]])
    [skipped] = snapshot[other]["annotations"]
    assert skipped["was_cancelled"] is True
    assert snapshot[task_id]["predictions"][0]["result"] == predicted


def test_studio_personal_access_token_works(studio: Studio, studio_server: LocalServer) -> None:
    """A personal access token (JWT refresh token) connects as well as the legacy token."""
    token = studio.client.tokens.create().token
    assert token and token.count(".") == 2  # a JWT: header.payload.signature
    with Studio.connect(studio_server.credentials.url, token) as with_pat:
        assert with_pat.check().startswith("1.")
        assert with_pat.find_project("no such project") is None


def test_studio_bad_token_is_a_clear_error(studio_server: LocalServer) -> None:
    """A wrong token gives one line naming the problem, without the token."""
    with pytest.raises(StudioError, match="refused the API key") as caught:
        Studio.connect(studio_server.credentials.url, "wrong-token-123456")
    assert "wrong-token-123456" not in str(caught.value)


def test_studio_unreachable_server_is_a_clear_error() -> None:
    """A URL where nothing listens gives a one-line connection error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StudioError, match=f"cannot connect to Label Studio at http://127.0.0.1:{port}"):
        Studio.connect(f"http://127.0.0.1:{port}", "any-token-123456")


def test_pull_while_tasks_are_deleted_misses_no_live_task(
    studio: Studio, project: str, news_schema: Schema, seed_tasks: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Tasks already read are deleted between pages: every task that still exists is in the snapshot."""
    push(studio, project, seed_tasks, news_schema)
    found = studio.project(project)
    ids = sorted(task.id for task in studio.remote_tasks(found.id))
    read: list[int] = []

    def delete_what_was_read() -> None:
        read.append(1)
        if len(read) == 2:  # after the first page (2 tasks): delete both
            for task_id in ids[:2]:
                studio.delete_task(task_id)

    path = tmp_path / "snapshot.jsonl"
    report = pull(studio, project, path, page_size=2, on_task=delete_what_was_read)
    pulled = [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert pulled == ids and report.tasks == len(ids)  # page numbers would have skipped ids[2:4]


def test_pull_never_overwrites_a_file_that_is_not_a_snapshot(
    studio: Studio, project: str, news_schema: Schema, seed_tasks: list[dict[str, Any]], tmp_path: Path
) -> None:
    """--out on an articles file is refused before anything is read; an earlier snapshot is replaced."""
    push(studio, project, seed_tasks[:1], news_schema)
    articles = tmp_path / "articles.jsonl"
    articles.write_text('{"text": "An article."}\n', encoding="utf-8")
    with pytest.raises(OutputError, match="exists and is not a snapshot annotate pulled"):
        pull(studio, project, articles)
    assert articles.read_text(encoding="utf-8") == '{"text": "An article."}\n'
    snapshot = tmp_path / "snapshot.jsonl"
    assert pull(studio, project, snapshot).tasks == pull(studio, project, snapshot).tasks == 1


def test_push_a_pulled_snapshot_sends_tasks_and_predictions_only(
    studio: Studio, studio_server: LocalServer, project: str, news_schema: Schema
) -> None:
    """A snapshot (JSON lines of pulled tasks) is a task file: its predictions go, its annotations not."""
    snapshot = REPO / "tests" / "data" / "snapshot.jsonl"
    creds = studio_server.credentials
    report = push_paths([snapshot], project, news_schema, url=creds.url, api_key=creds.token)
    assert report.created == 3
    stored = {task["data"]["doc_id"]: task for task in studio.tasks(report.project.id)}
    pulled = [json.loads(line) for line in snapshot.read_text(encoding="utf-8").splitlines()]
    assert set(stored) == {task["data"]["doc_id"] for task in pulled}
    for task in pulled:
        mine = stored[task["data"]["doc_id"]]
        assert mine["annotations"] == [] and mine["data"] == task["data"]
        assert [p["result"] for p in mine["predictions"]] == [p["result"] for p in task["predictions"]]
