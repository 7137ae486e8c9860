"""The one module that talks to Label Studio through ``label_studio_sdk``.

``Studio`` wraps the SDK client with verb methods on plain dicts and dataclasses; SDK errors and
network failures become one-line ``StudioError``s that say what went wrong (wrong URL, refused
connection, rejected token, server too old) and never contain the token.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from annotate.errors import StudioError
from annotate.instructions import instructions_html
from annotate.labelconfig import ENTITY_CONTROL, EVENT_CONTROL, label_config
from annotate.schema import Schema
from annotate.studio.server import DEFAULT_DIR, load_credentials
from annotate.studio.validation import ConfigValidator

URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"
#: Personal access tokens (JWT) arrived in 1.17; older servers are refused up front.
MIN_SERVER_VERSION = (1, 17)
DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Project:
    """A Label Studio project as annotate sees it."""

    id: int
    title: str
    model_version: str
    created: bool = False
    labels_added: tuple[str, ...] = ()
    config_updated: bool = False


@dataclass(frozen=True)
class RemoteTask:
    """What push needs to know of a task already on the server."""

    id: int
    doc_id: str
    text_hash: str
    model_versions: frozenset[str] = field(default_factory=frozenset)


def resolve_connection(
    url: str | None = None, api_key: str | None = None, studio_dir: Path = DEFAULT_DIR
) -> tuple[str, str]:
    """URL and API key: explicit values, else the environment, else the local server's credentials."""
    url = url or os.environ.get(URL_ENV)
    api_key = api_key or os.environ.get(KEY_ENV)
    if not (url and api_key):
        credentials_path = studio_dir / "credentials.json"
        if not credentials_path.exists():
            missing = " and ".join(n for n, v in ((URL_ENV, url), (KEY_ENV, api_key)) if not v)
            raise StudioError(
                f"no Label Studio to talk to: set {missing}, or start a local one with `annotate studio up`"
            )
        credentials = load_credentials(credentials_path)
        url, api_key = url or credentials.url, api_key or credentials.token
    return url.rstrip("/"), api_key


class Studio:
    """A connection to one Label Studio server."""

    def __init__(self, url: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url.rstrip("/")
        # Our own HTTP client, so that close() releases its connections.
        self._http = httpx.Client(timeout=timeout)
        try:
            with self._calling("connect"):
                self.client = LabelStudio(base_url=self.url, api_key=api_key, httpx_client=self._http)
        except StudioError:
            self.close()
            raise

    def close(self) -> None:
        """Release the connections to the server."""
        self._http.close()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @classmethod
    def connect(
        cls, url: str | None = None, api_key: str | None = None, *, studio_dir: Path = DEFAULT_DIR
    ) -> Studio:
        """Connect and check the server: reachable, token accepted, version recent enough."""
        studio = cls(*resolve_connection(url, api_key, studio_dir))
        try:
            studio.check()
        except StudioError:
            studio.close()
            raise
        return studio

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        try:
            yield
        except ApiError as error:
            raise StudioError(_describe(error, what, self.url)) from None
        except httpx.ConnectError:
            raise StudioError(
                f"cannot connect to Label Studio at {self.url} (connection refused or unknown host); "
                "check the URL, or start a local server with `annotate studio up`"
            ) from None
        except httpx.TimeoutException:
            raise StudioError(
                f"Label Studio at {self.url} did not answer in time to {what}; try again"
            ) from None
        except httpx.HTTPError as error:
            raise StudioError(f"cannot {what} at {self.url}: {type(error).__name__}") from None

    def check(self) -> str:
        """Return the server version; raise if the token is refused or the server is too old."""
        with self._calling("check the API key"):
            self.client.users.whoami()
        with self._calling("read the server version"):
            info = self.client.versions.get().model_dump()
        release = str(info.get("release") or info.get("label_studio_os_package", {}).get("version", "0"))
        numbers = tuple(int(part) for part in release.split(".")[:2] if part.isdigit())
        if numbers < MIN_SERVER_VERSION:
            wanted = ".".join(map(str, MIN_SERVER_VERSION))
            raise StudioError(
                f"Label Studio at {self.url} is version {release}; annotate needs {wanted} or newer"
            )
        return release

    def find_project(self, title: str) -> Project | None:
        """The project with exactly this title, if any (an ambiguous title is an error)."""
        with self._calling(f"look up project {title!r}"):
            found = [p for p in self.client.projects.list(title=title, page_size=100) if p.title == title]
        if len(found) > 1:
            ids = ", ".join(str(p.id) for p in found)
            raise StudioError(f"{len(found)} projects are titled {title!r} (ids {ids}); rename all but one")
        if not found:
            return None
        project = found[0]
        return Project(int(project.id or 0), title, str(project.model_version or ""))

    def ensure_project(self, title: str, schema: Schema) -> Project:
        """Find or create the project; bring its labeling config up to date with the schema.

        Labels the schema adds are added to the project, and a config generated by another version
        of annotate (colours, hotkeys, layout) is replaced. Labels or roles the project has but the
        schema lacks are refused: removing them could orphan annotations.
        """
        config = label_config(schema)
        project = self.find_project(title)
        if project is None:
            with self._calling(f"create project {title!r}"):
                created = self.client.projects.create(
                    title=title, label_config=config, expert_instruction=instructions_html(schema),
                    show_collab_predictions=True, description=f"schema {schema.name}@{schema.version}",
                )  # fmt: skip
            return Project(int(created.id or 0), title, "", created=True)
        with self._calling(f"read project {title!r}"):
            current = str(self.client.projects.get(id=project.id).label_config or "")
        missing, added = _compare_configs(current, config)
        if missing:
            raise StudioError(
                f"project {title!r} (id {project.id}) has labels the schema lacks: {', '.join(missing)}; "
                "removing them could orphan annotations: add them back to the schema or push to a new project"
            )
        # Same labels but another look (colours, hotkeys, layout of a newer annotate): updated too.
        outdated = current.strip() != config.strip()  # also true when labels were added
        if outdated:
            with self._calling(f"update the labeling config of project {title!r}"):
                self.client.projects.update(
                    id=project.id, label_config=config, expert_instruction=instructions_html(schema)
                )
        return Project(
            project.id, title, project.model_version, labels_added=tuple(added), config_updated=outdated
        )

    def remote_tasks(self, project_id: int, page_size: int = 1000) -> Iterator[RemoteTask]:
        """Every task of the project with its identity and the model versions of its predictions."""
        with self._calling(f"list the tasks of project {project_id}"):
            pager = self.client.tasks.list(
                project=project_id,
                fields="all",
                include="id,data,predictions_model_versions",
                page_size=page_size,
            )
            for task in pager:
                data = task.data or {}
                versions = str(getattr(task, "predictions_model_versions", "") or "")
                yield RemoteTask(
                    int(task.id or 0), str(data.get("doc_id", "")), str(data.get("text_hash", "")),
                    frozenset(v.strip() for v in versions.split(",") if v.strip()),
                )  # fmt: skip

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        """Create tasks (with their predictions) in one request; return the new task ids."""
        with self._calling(f"import {len(tasks)} tasks into project {project_id}"):
            response = self._post_json(
                f"api/projects/{project_id}/import", tasks, params={"return_task_ids": "true"}
            )
        return [int(i) for i in (response.get("task_ids") or [])]

    def import_predictions(self, project_id: int, predictions: list[dict[str, Any]]) -> int:
        """Add predictions (each with its ``task`` id) to existing tasks; return how many were created."""
        with self._calling(f"import {len(predictions)} predictions into project {project_id}"):
            response = self._post_json(f"api/projects/{project_id}/import/predictions", predictions)
        return int(response.get("created") or 0)

    def _post_json(self, path: str, payload: Any, params: dict[str, str] | None = None) -> dict[str, Any]:
        """POST ``payload`` as JSON through the SDK's HTTP client (base URL, token, timeout, retries).

        The SDK's own ``import_tasks``/``import_predictions`` send the same request but first walk
        every value of every region with a Python encoder: about a third of the server's import
        time for tasks with predictions, against a tenth of that for ``json.dumps``.
        """
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        http = self.client._client_wrapper.httpx_client
        response = http.request(
            path, method="POST", params=params, content=body, headers={"content-type": "application/json"}
        )
        try:
            answer = response.json()
        except ValueError:
            answer = response.text
        if not 200 <= response.status_code < 300:
            raise ApiError(status_code=response.status_code, headers=dict(response.headers), body=answer)
        return answer if isinstance(answer, dict) else {}

    def set_model_version(self, project_id: int, model_version: str) -> None:
        """Make ``model_version`` the predictions annotators see in the editor."""
        with self._calling(f"set the model version of project {project_id}"):
            self.client.projects.update(id=project_id, model_version=model_version)

    def tasks(self, project_id: int, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every task in full (data, annotations, predictions with results and relations), page by page."""
        with self._calling(f"read the tasks of project {project_id}"):
            for task in self.client.tasks.list(project=project_id, fields="all", page_size=page_size):
                yield json.loads(task.model_dump_json(exclude_none=True))

    def current_user_id(self) -> int:
        """Id of the user the API key belongs to."""
        with self._calling("read the current user"):
            return int(self.client.users.whoami().id or 0)

    def save_annotation(
        self,
        task_id: int,
        result: list[dict[str, Any]],
        *,
        ground_truth: bool = False,
        annotation_id: int | None = None,
    ) -> int:
        """Create an annotation by the current user (or replace ``annotation_id``'s result); return its id."""
        with self._calling(f"save an annotation of task {task_id}"):
            if annotation_id is not None:
                saved = self.client.annotations.update(
                    id=annotation_id, result=result, ground_truth=ground_truth
                )
            else:
                saved = self.client.annotations.create(id=task_id, result=result, ground_truth=ground_truth)
        return int(saved.id or 0)

    def delete_project(self, project_id: int) -> None:
        """Delete a project with its tasks and annotations."""
        with self._calling(f"delete project {project_id}"):
            self.client.projects.delete(id=project_id)


def _compare_configs(current: str, wanted: str) -> tuple[list[str], list[str]]:
    """Labels (per control) and roles the server has but the schema lacks, and the reverse."""

    def labels(config: str) -> set[str]:
        if not config.strip():
            return set()
        validator = ConfigValidator(config)
        found = {
            f"{name}:{label}" for name in (ENTITY_CONTROL, EVENT_CONTROL) for label in validator.labels(name)
        }
        return found | {f"role:{role}" for role in validator.relation_labels()}

    have, want = labels(current), labels(wanted)
    return sorted(have - want), sorted(want - have)


def _describe(error: ApiError, what: str, url: str) -> str:
    status = error.status_code
    if status in (401, 403):
        return (
            f"Label Studio at {url} refused the API key ({status}) when trying to {what}; check "
            f"{KEY_ENV} (a personal access token or, if the organisation allows them, a legacy token)"
        )
    if status == 404:
        return f"Label Studio at {url} answered 404 to {what}: is the URL the server's root?"
    body = error.body if isinstance(error.body, str) else json.dumps(error.body, default=str)
    return f"Label Studio at {url} answered {status} to {what}: {body[:300]}"
