"""annotate as a Label Studio ML backend: the pre-annotator behind the protocol Label Studio 1.23 speaks.

``GET /health``, ``POST /setup`` (answers the current ``model_version``), ``POST /predict`` (one
result list per task, in order: the predictions ``annotate prelabel`` makes for the same text),
``POST /webhook`` (annotation events and *Start Training*, counted) and ``GET /versions``. The
spaCy pipeline is loaded once per process; predictions run in a worker thread, so the server
keeps answering while it predicts. A labeling config that is not the schema's is refused with
what differs; a malformed request gets a 4xx with a message, never a traceback; bodies over
``MAX_BODY`` bytes are refused; with ``BASIC_AUTH_USER``/``BASIC_AUTH_PASS`` every request must
carry them (compared in constant time).

A task imported through Label Studio may hold text annotate would normalise (CRLF, decomposed
accents, white space around it): the pipeline reads the normalised text and every region is
mapped back onto the task's own text (``annotate.offsets``), so it sits exactly where it belongs.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from annotate.articles import text_hash
from annotate.document import Article
from annotate.errors import AnnotateError
from annotate.labelstudio import TaskBuilder
from annotate.labelstudio.config import config_differences, read_config
from annotate.labelstudio.labelconfig import label_config
from annotate.offsets import OffsetMap, normalize_with_offsets
from annotate.pipeline import build_nlp, model_version
from annotate.prelabel import prelabel_documents
from annotate.schema import Schema

#: Largest request body accepted (Label Studio sends a page of tasks with their data).
MAX_BODY = 64 * 2**20
USER_ENV, PASSWORD_ENV = "BASIC_AUTH_USER", "BASIC_AUTH_PASS"


class Backend:
    """One loaded pre-annotator and the web application that serves it."""

    def __init__(
        self, schema: Schema, model: str | None = None, *, auth: tuple[str, str] | None = None
    ) -> None:
        self.schema = schema
        self.nlp = build_nlp(schema, model)
        self.model_version = model_version(self.nlp, schema)
        self.builder = TaskBuilder(schema)
        self.wanted = read_config(label_config(schema))
        self.accepted_config: str | None = None  # the last config that matched, not parsed again
        self.auth = auth
        self.events: Counter[str] = Counter()

    def app(self) -> Starlette:
        """The ASGI application."""
        routes = [
            Route("/health", self._guard(self.health), methods=["GET"]),
            Route("/", self._guard(self.health), methods=["GET"]),
            Route("/setup", self._guard(self.setup), methods=["POST"]),
            Route("/predict", self._guard(self.predict), methods=["POST"]),
            Route("/webhook", self._guard(self.webhook), methods=["POST"]),
            Route("/versions", self._guard(self.versions), methods=["GET", "POST"]),
        ]
        return Starlette(routes=routes)

    def _guard(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            if self.auth is not None and not _authorised(request, self.auth):
                challenge = {"WWW-Authenticate": 'Basic realm="annotate"'}
                return JSONResponse({"error": "authentication required"}, status_code=401, headers=challenge)
            try:
                return await handler(request)
            except _BadRequest as error:
                return JSONResponse({"error": str(error)}, status_code=error.status)
            except AnnotateError as error:
                return JSONResponse({"error": str(error)}, status_code=422)

        return guarded

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "UP", "model_class": "annotate", "model_version": self.model_version})

    async def versions(self, request: Request) -> Response:
        return JSONResponse({"versions": [self.model_version]})

    async def setup(self, request: Request) -> Response:
        body = await _json(request)
        self._check_config(body.get("schema"))
        return JSONResponse({"model_version": self.model_version})

    async def webhook(self, request: Request) -> Response:
        body = await _json(request)
        self.events[str(body.get("action") or "unknown")] += 1
        return JSONResponse({"status": "ok"}, status_code=201)

    async def predict(self, request: Request) -> Response:
        body = await _json(request)
        tasks = body.get("tasks")
        if not isinstance(tasks, list):
            raise _BadRequest("'tasks' must be a list of tasks")
        self._check_config(body.get("label_config"))
        results = await run_in_threadpool(self.predictions, tasks)
        return JSONResponse({"results": results, "model_version": self.model_version})

    def predictions(self, tasks: list[Any]) -> list[dict[str, Any]]:
        """One prediction per task, in order, on each task's own text."""
        articles, maps = [], []
        for number, task in enumerate(tasks):
            data = task.get("data") if isinstance(task, dict) else None
            text = data.get("text") if isinstance(data, dict) else None
            if not isinstance(data, dict) or not isinstance(text, str) or not text.strip():
                raise _BadRequest(f"task {number} ({_task_id(task)}) has no data.text to pre-label")
            normal, offsets = normalize_with_offsets(text)
            doc_id = str(data.get("doc_id") or text_hash(normal))
            articles.append(Article(doc_id, normal, source=f"task {_task_id(task)}"))
            maps.append((text, offsets))
        found = []
        documents = prelabel_documents(articles, self.schema, nlp=self.nlp)
        for document, (text, offsets) in zip(documents, maps, strict=True):
            prediction = self.builder.prediction(document)
            if offsets.points:
                _to_task_text(prediction["result"], text, offsets)
            found.append(prediction)
        return found

    def _check_config(self, config: Any) -> None:
        if config is None:
            return
        if not isinstance(config, str):
            raise _BadRequest("the labeling config must be a string of XML")
        if config == self.accepted_config:
            return
        differences = [d.text for d in config_differences(read_config(config), self.wanted)]
        if differences:
            raise _BadRequest(
                "the project's labeling config is not the one annotate's schema gives: "
                + "; ".join(differences)
                + "; create the project with `annotate push`, or push with --replace-config",
                status=422,
            )
        self.accepted_config = config


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def _json(request: Request) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise _BadRequest(
            f"the request is larger than {MAX_BODY} bytes; send fewer tasks at once", status=413
        )
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise _BadRequest(
            f"the request is larger than {MAX_BODY} bytes; send fewer tasks at once", status=413
        )
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise _BadRequest(f"the request body is not JSON ({error})") from None
    if not isinstance(body, dict):
        raise _BadRequest("the request body must be a JSON object")
    return body


def _authorised(request: Request, auth: tuple[str, str]) -> bool:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(user.encode(), auth[0].encode()) & hmac.compare_digest(
        password.encode(), auth[1].encode()
    )


def basic_auth_from_env() -> tuple[str, str] | None:
    """HTTP Basic credentials from ``BASIC_AUTH_USER`` / ``BASIC_AUTH_PASS`` (Label Studio's names)."""
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    return (user, password) if user and password else None


def _task_id(task: Any) -> str:
    return f"id {task.get('id')}" if isinstance(task, dict) and task.get("id") is not None else "no id"


def _to_task_text(result: list[dict[str, Any]], text: str, offsets: OffsetMap) -> None:
    """Move every region of ``result`` from the normalised text onto the task's own ``text``."""
    for item in result:
        value = item.get("value")
        if isinstance(value, dict) and "start" in value:
            start, end = offsets.to_source(value["start"], value["end"])
            value.update(start=start, end=end, text=text[start:end])
