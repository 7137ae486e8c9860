"""`annotate serve`, a real server process: the ML backend protocol as Label Studio 1.23 speaks it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from spacy.language import Language

from annotate.articles import text_hash
from annotate.document import Article
from annotate.labelstudio.labelconfig import label_config
from annotate.prelabel import prelabel
from annotate.schema import Schema

from .fixtures.serve import serving
from .fixtures.studio import free_port

_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))
AUTH = ("ls-backend", "s3cret-pass")
TEXT = "Rebels attacked Kabul on Monday, officials said. Police arrested two men in Herat."


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`annotate serve` on a free loopback port with HTTP Basic auth; its URL."""
    env = {**os.environ, "BASIC_AUTH_USER": AUTH[0], "BASIC_AUTH_PASS": AUTH[1]}
    with serving([], env, tmp_path_factory.mktemp("backend") / "serve.log", auth=AUTH) as (_, url):
        yield url


def _call(url: str, method: str, path: str, body: Any = None, auth: tuple[str, str] | None = AUTH) -> Any:
    return _send(url, method, path, body, auth)[1]


def _send(url: str, method: str, path: str, body: Any, auth: tuple[str, str] | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url + path, data=data, headers=headers, method=method)
    with _HTTP.open(request, timeout=120) as response:
        return response.status, json.loads(response.read())


def _status(
    url: str, method: str, path: str, body: Any = None, auth: tuple[str, str] | None = AUTH
) -> tuple[int, Any]:
    try:
        return _send(url, method, path, body, auth)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_backend_health_setup_and_versions(backend: str, news_schema: Schema) -> None:
    """/health answers UP; /setup with annotate's config answers the model version /versions lists."""
    assert _call(backend, "GET", "/health")["status"] == "UP"
    version = _call(
        backend, "POST", "/setup", {"project": "1.1700000000", "schema": label_config(news_schema)}
    )
    assert version["model_version"].startswith("en_core_web_sm")
    assert _call(backend, "GET", "/versions")["versions"] == [version["model_version"]]


def test_backend_predict_gives_what_prelabel_gives(backend: str, news_schema: Schema, nlp: Language) -> None:
    """Two tasks in, two predictions out in order, each the one `annotate prelabel` makes for its text."""
    other = "Russia launched drones at Kyiv overnight."
    tasks = [{"id": 7, "data": {"text": TEXT}}, {"id": 8, "data": {"text": other}}]
    answer = _call(backend, "POST", "/predict", {"tasks": tasks, "label_config": label_config(news_schema)})
    expected = list(
        prelabel([Article(text_hash(TEXT), TEXT), Article(text_hash(other), other)], news_schema, nlp=nlp)
    )
    assert [r["result"] for r in answer["results"]] == [t["predictions"][0]["result"] for t in expected]
    assert {r["model_version"] for r in answer["results"]} == {answer["model_version"]}


def test_backend_predicts_on_the_task_own_text(backend: str, news_schema: Schema) -> None:
    """A task whose text annotate would normalise (CRLF, leading spaces): regions land on its own text."""
    raw = "  Rebels attacked Kabul.\r\nPolice arrested two men in Herat.\r\n"
    (result,) = _call(backend, "POST", "/predict", {"tasks": [{"id": 1, "data": {"text": raw}}]})["results"]
    regions = [r for r in result["result"] if r["type"] == "labels"]
    assert regions and all(
        raw[r["value"]["start"] : r["value"]["end"]] == r["value"]["text"] for r in regions
    )
    assert "Herat" in {r["value"]["text"] for r in regions}


def test_backend_refuses_a_foreign_config_and_bad_requests(backend: str) -> None:
    """A config that is not the schema's is a 422 naming what differs; bad bodies are 4xx messages."""
    foreign = (
        '<View><Text name="text" value="$text"/>'
        '<Choices name="sentiment" toName="text"><Choice value="x"/></Choices></View>'
    )
    status, answer = _status(backend, "POST", "/setup", {"schema": foreign})
    assert status == 422 and "control 'sentiment' (Choices)" in answer["error"]
    assert _status(backend, "POST", "/predict", b"{not json")[0] == 400
    status, answer = _status(backend, "POST", "/predict", {"tasks": [{"id": 3, "data": {}}]})
    assert status == 400 and "task 0 (id 3) has no data.text" in answer["error"]
    assert _status(backend, "POST", "/webhook", {"action": "ANNOTATION_CREATED"})[0] == 201


def test_backend_requires_its_basic_auth(backend: str) -> None:
    """Without credentials, or with wrong ones, every call is a 401."""
    assert _status(backend, "GET", "/health", auth=None)[0] == 401
    assert _status(backend, "GET", "/health", auth=("ls-backend", "wrong"))[0] == 401
    assert _status(backend, "POST", "/predict", {"tasks": []}, auth=("x", AUTH[1]))[0] == 401


def test_serve_connects_to_a_project_and_fills_tasks_imported_elsewhere(
    studio_server: Any, project: str, news_schema: Schema, nlp: Language
) -> None:
    """`annotate serve --connect`: a task imported through the API gets, from Retrieve predictions,
    exactly the prediction `annotate prelabel` makes, under the backend's version; connecting twice
    keeps one registration."""
    from annotate.studio.client import Studio
    from annotate.studio.projects import ensure_project
    from annotate.studio.retrieval import retrieve_predictions

    creds = studio_server.credentials
    with Studio.connect(creds.url, creds.token) as studio:
        project_id = ensure_project(studio, project, news_schema).id
        studio.import_tasks(project_id, [{"data": {"text": TEXT}}])  # as the Label Studio UI would
    port = free_port()
    env = {**os.environ, "LABEL_STUDIO_URL": creds.url, "LABEL_STUDIO_API_KEY": creds.token}
    env["PYTHONUNBUFFERED"] = "1"  # its lines arrive as they are printed
    env.pop("BASIC_AUTH_USER", None)
    env.pop("BASIC_AUTH_PASS", None)
    command = [
        sys.executable,
        "-m",
        "annotate",
        "serve",
        "--port",
        str(port),
        "--connect",
        "--project",
        project,
    ]
    processes = []
    try:
        for _ in range(2):
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            processes.append(process)
            line = process.stdout.readline() if process.stdout else ""
            assert "connected to project" in line, (line, process.stderr.read() if process.poll() else "")
            if len(processes) == 1:
                assert line.startswith("connected to")
                with Studio.connect(creds.url, creds.token) as studio:
                    retrieve_predictions(studio, project_id)
                    (task,) = studio.tasks(project_id)
                    version = studio.project(project).model_version
                process.terminate()
                process.wait(30)
            else:
                assert line.startswith("already connected to")
        expected = next(iter(prelabel([Article(text_hash(TEXT), TEXT)], news_schema, nlp=nlp)))
        (prediction,) = task["predictions"]
        assert prediction["model_version"] == version == expected["predictions"][0]["model_version"]
        assert prediction["result"] == expected["predictions"][0]["result"]
        with Studio.connect(creds.url, creds.token) as studio:
            backends = studio.request("GET", "api/ml", "list", params={"project": project_id})
        assert len(backends) == 1
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
