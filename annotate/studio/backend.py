"""annotate as a Label Studio ML backend: the pre-annotator behind the protocol Label Studio 1.23 speaks.

``GET /health``, ``POST /setup`` (answers the current ``model_version``), ``POST /predict`` (one
result list per task, in order: the predictions ``annotate prelabel`` makes for the same text),
``POST /webhook`` (annotation events and *Start Training*: with a ``Learner``, they retrain the
project's model in the background), ``GET /versions`` and ``GET /status`` (annotate's own: each
project's model and training). Pipelines are loaded once (the base one at start, a project's
learned one when its training is promoted, or at start from the model store) and swapped in
whole, so a prediction never sees half a model; predictions run in a worker thread, so the
server keeps answering while it predicts. A labeling config that is not the schema's is refused with
what differs; a malformed or oversized request gets a 4xx with a message, never a traceback, and
with ``BASIC_AUTH_USER``/``BASIC_AUTH_PASS`` every request must carry them
(``annotate.studio.backend_requests``).

A task imported through Label Studio may hold text annotate would normalise (CRLF, decomposed
accents, white space around it): the pipeline reads the normalised text and every region is
mapped back onto the task's own text (``annotate.offsets``), so it sits exactly where it belongs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spacy.language import Language
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
from annotate.pipeline import build_nlp
from annotate.pipeline import model_version as version_of
from annotate.prelabel import prelabel_documents
from annotate.schema import Schema
from annotate.studio.backend_requests import BadRequest, authorised, read_json
from annotate.training.store import ModelStore

if TYPE_CHECKING:
    from annotate.studio.learner import Learner


@dataclass(frozen=True)
class Served:
    """A loaded pipeline and its model version, swapped as one."""

    nlp: Language
    model_version: str


class Backend:
    """The pre-annotators served (a base one, and each project's learned one) and the web application."""

    def __init__(
        self,
        schema: Schema,
        model: str | None = None,
        *,
        auth: tuple[str, str] | None = None,
        store: ModelStore | None = None,
    ) -> None:
        self.schema = schema
        nlp = build_nlp(schema, model)
        self.base = Served(nlp, version_of(nlp, schema))
        self.by_project: dict[int, Served] = _promoted(schema, store) if store is not None else {}
        self.builder = TaskBuilder(schema)
        self.wanted = read_config(label_config(schema))
        self.accepted_config: str | None = None  # the last config that matched, not parsed again
        self.auth = auth
        self.events: Counter[str] = Counter()
        self.learner: Learner | None = None

    @property
    def model_version(self) -> str:
        """The base model's version (a project with a learned model has its own)."""
        return self.base.model_version

    def served(self, project: Any) -> Served:
        """The model of ``project`` (Label Studio's ``"<id>.<timestamp>"`` or an id), else the base one."""
        project_id = _project_id(project)
        return self.by_project.get(project_id, self.base) if project_id is not None else self.base

    def swap(self, project_id: int, nlp: Language, version: str) -> None:
        """Serve ``nlp`` for the project from the next request on (the learner calls this)."""
        self.by_project[project_id] = Served(nlp, version)

    def versions_served(self) -> set[str]:
        """Every model version this process serves."""
        return {self.base.model_version} | {s.model_version for s in self.by_project.values()}

    def app(self) -> Starlette:
        """The ASGI application."""
        routes = [
            Route("/health", self._guard(self.health), methods=["GET"]),
            Route("/", self._guard(self.health), methods=["GET"]),
            Route("/setup", self._guard(self.setup), methods=["POST"]),
            Route("/predict", self._guard(self.predict), methods=["POST"]),
            Route("/webhook", self._guard(self.webhook), methods=["POST"]),
            Route("/train", self._guard(self.train), methods=["POST"]),
            Route("/versions", self._guard(self.versions), methods=["GET", "POST"]),
            Route("/status", self._guard(self.status), methods=["GET"]),
        ]
        return Starlette(routes=routes)

    def _guard(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            if self.auth is not None and not authorised(request, self.auth):
                challenge = {"WWW-Authenticate": 'Basic realm="annotate"'}
                return JSONResponse({"error": "authentication required"}, status_code=401, headers=challenge)
            try:
                return await handler(request)
            except BadRequest as error:
                return JSONResponse({"error": str(error)}, status_code=error.status)
            except AnnotateError as error:
                return JSONResponse({"error": str(error)}, status_code=422)

        return guarded

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "UP", "model_class": "annotate", "model_version": self.model_version})

    async def versions(self, request: Request) -> Response:
        project = request.query_params.get("project")
        return JSONResponse({"versions": [self.served(project).model_version]})

    async def status(self, request: Request) -> Response:
        projects = {str(p): s.model_version for p, s in sorted(self.by_project.items())}
        training = self.learner.status() if self.learner is not None else None
        return JSONResponse(
            {
                "model_version": self.model_version,
                "projects": projects,
                "training": training,
                "events": self.events,
            }
        )

    async def setup(self, request: Request) -> Response:
        body = await read_json(request)
        self._check_config(body.get("schema"))
        return JSONResponse({"model_version": self.served(body.get("project")).model_version})

    async def webhook(self, request: Request) -> Response:
        body = await read_json(request)
        action = str(body.get("action") or "unknown")
        self.events[action] += 1
        project = body.get("project")
        project_id = _project_id(project.get("id") if isinstance(project, dict) else project)
        queued = False
        if self.learner is not None and project_id is not None:
            queued = self.learner.note(project_id, action)
        return JSONResponse({"status": "ok", "training_queued": queued}, status_code=201)

    async def train(self, request: Request) -> Response:
        """*Start Training* as Label Studio sends it without its webhook flag: the same as the webhook's."""
        body = await read_json(request)
        project_id = _project_id(body.get("project"))
        queued = self.learner is not None and project_id is not None and self.learner.start(project_id)
        return JSONResponse({"status": "ok", "training_queued": queued}, status_code=201)

    async def predict(self, request: Request) -> Response:
        body = await read_json(request)
        tasks = body.get("tasks")
        if not isinstance(tasks, list):
            raise BadRequest("'tasks' must be a list of tasks")
        self._check_config(body.get("label_config"))
        served = self.served(body.get("project"))
        results = await run_in_threadpool(self.predictions, tasks, served)
        return JSONResponse({"results": results, "model_version": served.model_version})

    def predictions(self, tasks: list[Any], served: Served | None = None) -> list[dict[str, Any]]:
        """One prediction per task, in order, on each task's own text, by ``served`` (the base model)."""
        served = served or self.base
        articles, maps = [], []
        for number, task in enumerate(tasks):
            data = task.get("data") if isinstance(task, dict) else None
            text = data.get("text") if isinstance(data, dict) else None
            if not isinstance(data, dict) or not isinstance(text, str) or not text.strip():
                raise BadRequest(f"task {number} ({_task_id(task)}) has no data.text to pre-label")
            normal, offsets = normalize_with_offsets(text)
            doc_id = str(data.get("doc_id") or text_hash(normal))
            articles.append(Article(doc_id, normal, source=f"task {_task_id(task)}"))
            maps.append((text, offsets))
        found = []
        documents = prelabel_documents(articles, self.schema, nlp=served.nlp)
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
            raise BadRequest("the labeling config must be a string of XML")
        if config == self.accepted_config:
            return
        differences = [d.text for d in config_differences(read_config(config), self.wanted)]
        if differences:
            raise BadRequest(
                "the project's labeling config is not the one annotate's schema gives: "
                + "; ".join(differences)
                + "; create the project with `annotate push`, or push with --replace-config",
                status=422,
            )
        self.accepted_config = config


def _promoted(schema: Schema, store: ModelStore) -> dict[int, Served]:
    """The model each project was last served, as the store recorded it."""
    served = {}
    for project_id in store.projects():
        folder = store.current(project_id)
        if folder is not None:
            nlp = build_nlp(schema, str(folder))
            served[project_id] = Served(nlp, version_of(nlp, schema))
    return served


def _project_id(project: Any) -> int | None:
    """The id in Label Studio's ``"<id>.<created-at>"`` project key (or a plain id), if any."""
    head = str(project).partition(".")[0] if isinstance(project, (str, int)) else ""
    return int(head) if head.isdigit() else None


def _task_id(task: Any) -> str:
    return f"id {task.get('id')}" if isinstance(task, dict) and task.get("id") is not None else "no id"


def _to_task_text(result: list[dict[str, Any]], text: str, offsets: OffsetMap) -> None:
    """Move every region of ``result`` from the normalised text onto the task's own ``text``."""
    for item in result:
        value = item.get("value")
        if isinstance(value, dict) and "start" in value:
            start, end = offsets.to_source(value["start"], value["end"])
            value.update(start=start, end=end, text=text[start:end])
