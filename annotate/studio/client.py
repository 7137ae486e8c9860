"""``Studio``: a connection to one Label Studio server, with verb methods on plain dicts and dataclasses.

Reads of projects, users and annotations go through ``label_studio_sdk``; task pages, imports and
deletions (``annotate.studio.taskapi``, mixed in) go through annotate's own client
(``annotate.studio.http``), which never retries a write. Both ignore proxy settings for a
loopback server, so a local server's key never passes a proxy, and neither follows redirects, so
the key never reaches another host. Every failure becomes a one-line ``StudioError`` that says
what went wrong and never contains the key.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from label_studio_sdk import LabelStudio

from annotate.errors import StudioError
from annotate.studio.connection import is_loopback, resolve_connection
from annotate.studio.credentials import DEFAULT_DIR
from annotate.studio.http import Http
from annotate.studio.taskapi import TaskAPI

#: Personal access tokens (JWT) arrived in 1.17; older servers are refused up front.
MIN_SERVER_VERSION = (1, 17)
DEFAULT_TIMEOUT = 120.0
_NO_RETRY = {"max_retries": 0}  # the SDK retries a write whose answer was lost: never for writes


@dataclass(frozen=True)
class Project:
    """A Label Studio project as annotate sees it."""

    id: int
    title: str
    model_version: str
    created: bool = False
    labels_added: tuple[str, ...] = ()
    config_updated: bool = False
    description: str = ""
    tasks: int = 0


class Studio(TaskAPI):
    """A connection to one Label Studio server."""

    def __init__(self, url: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.http = Http(self.url, api_key, timeout=timeout)
        # The SDK's own client: proxy settings apply to remote servers only, as for ``self.http``.
        self._sdk_http = httpx.Client(timeout=timeout, trust_env=not is_loopback(self.url))
        try:
            with self._calling("connect"):
                self.client = LabelStudio(base_url=self.url, api_key=api_key, httpx_client=self._sdk_http)
        except StudioError:
            self.close()
            raise

    def close(self) -> None:
        """Release the connections to the server."""
        self.http.close()
        self._sdk_http.close()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @classmethod
    def connect(
        cls,
        url: str | None = None,
        api_key: str | None = None,
        *,
        studio_dir: Path = DEFAULT_DIR,
        insecure: bool = False,
    ) -> Studio:
        """Connect and check the server: reachable, key accepted, version recent enough.

        The URL and key are resolved by ``annotate.studio.connection.resolve_connection``.
        """
        connection = resolve_connection(url, api_key, studio_dir=studio_dir, insecure=insecure)
        studio = cls(connection.url, connection.api_key)
        try:
            studio.check()
        except StudioError:
            studio.close()
            raise
        return studio

    def _calling(self, what: str) -> AbstractContextManager[None]:
        return self.http.calling(what)

    def request(
        self, method: str, path: str, what: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        """``Http.request`` on this server (see ``annotate.studio.http``)."""
        return self.http.request(method, path, what, params=params, body=body)

    def check(self) -> str:
        """Return the server version; raise if the key is refused or the server is too old."""
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

    def projects_titled(self, title: str) -> list[Project]:
        """Every project with exactly this title, oldest first."""
        with self._calling(f"look up project {title!r}"):
            found = [p for p in self.client.projects.list(title=title, page_size=100) if p.title == title]
        projects = [
            Project(
                int(p.id or 0),
                title,
                str(p.model_version or ""),
                description=str(p.description or ""),
                tasks=int(getattr(p, "task_number", 0) or 0),
            )
            for p in found
        ]
        return sorted(projects, key=lambda project: project.id)

    def find_project(self, title: str) -> Project | None:
        """The project with exactly this title, if any (an ambiguous title is an error)."""
        found = self.projects_titled(title)
        if len(found) > 1:
            ids = ", ".join(str(p.id) for p in found)
            raise StudioError(
                f"{len(found)} projects are titled {title!r} (ids {ids}); `annotate push` to it removes "
                "empty copies annotate made, otherwise rename all but one"
            )
        return found[0] if found else None

    def project(self, title: str) -> Project:
        """The project titled ``title``; raise when there is none."""
        found = self.find_project(title)
        if found is None:
            raise StudioError(
                f"no project titled {title!r} at {self.url}; push to it first with `annotate push`"
            )
        return found

    def create_project(self, title: str, config: str, instructions: str, description: str) -> int:
        """Create a project (sent once, never retried); its id."""
        with self._calling(f"create project {title!r}"):
            created = self.client.projects.create(
                title=title,
                label_config=config,
                expert_instruction=instructions,
                description=description,
                show_collab_predictions=True,
                request_options=_NO_RETRY,
            )
        return int(created.id or 0)

    def label_config(self, project_id: int) -> str:
        """The project's labeling config."""
        with self._calling(f"read project {project_id}"):
            return str(self.client.projects.get(id=project_id).label_config or "")

    def check_config(self, project_id: int, config: str) -> None:
        """Ask the server whether ``config`` may replace the project's (strictly: annotations and
        drafts must keep every control and label they use); a refusal is a ``StudioError`` (400)."""
        self.request(
            "POST",
            f"api/projects/{project_id}/validate/",
            f"check a labeling config for project {project_id}",
            body={"label_config": config},
        )

    def update_project(self, project_id: int, **fields: Any) -> None:
        """Change project fields (``label_config``, ``expert_instruction``, ``model_version`` ...)."""
        with self._calling(f"update project {project_id}"):
            self.client.projects.update(id=project_id, request_options=_NO_RETRY, **fields)

    def set_model_version(self, project_id: int, model_version: str) -> None:
        """Make ``model_version`` the predictions annotators see in the editor."""
        self.update_project(project_id, model_version=model_version)

    def delete_project(self, project_id: int) -> None:
        """Delete a project with its tasks and annotations."""
        with self._calling(f"delete project {project_id}"):
            self.client.projects.delete(id=project_id)

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
        """Create an annotation by the current user (or replace ``annotation_id``'s result); its id."""
        with self._calling(f"save an annotation of task {task_id}"):
            if annotation_id is not None:
                saved = self.client.annotations.update(
                    id=annotation_id, result=result, ground_truth=ground_truth, request_options=_NO_RETRY
                )
            else:
                saved = self.client.annotations.create(
                    id=task_id, result=result, ground_truth=ground_truth, request_options=_NO_RETRY
                )
        return int(saved.id or 0)
