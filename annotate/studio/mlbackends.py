"""Connect `annotate serve` to a Label Studio project, the way *Settings > Model > Connect Model* does.

``connect_backend`` registers the backend's URL on the project (titled with its model version,
interactive pre-annotation on or off, HTTP Basic credentials if the backend asks for them) and
makes the backend's model version the project's, so the editor shows its predictions. Running it
again updates the same registration instead of adding another. Label Studio checks the
backend's ``/health`` while registering it, so the backend must already be listening.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotate.errors import StudioError
from annotate.studio.client import Studio


@dataclass(frozen=True)
class Connected:
    """The backend's registration on a project."""

    backend_id: int
    project_id: int
    created: bool


def connect_backend(
    studio: Studio,
    title: str,
    url: str,
    model_version: str,
    *,
    interactive: bool = False,
    auth: tuple[str, str] | None = None,
) -> Connected:
    """Register ``url`` as the project's ML backend (once) and make ``model_version`` current.

    Raises:
        StudioError: no such project, or Label Studio could not reach the backend (its message says why).
    """
    project = studio.project(title)
    # The title is the model version: Label Studio 1.23 accepts as a project's model version only a
    # live model's title (or a version it holds predictions of), and the editor shows the
    # predictions whose version is the project's.
    fields: dict[str, Any] = {
        "url": url,
        "project": project.id,
        "title": model_version,
        "is_interactive": interactive,
    }
    fields |= _auth_fields(auth)
    same = [
        b
        for b in project_backends(studio, project.id)
        if str(b.get("url", "")).rstrip("/") == url.rstrip("/")
    ]
    if same:
        backend_id, created = int(same[0]["id"]), False
        studio.request("PATCH", f"api/ml/{backend_id}", f"update ML backend {backend_id}", body=fields)
    else:
        try:
            answer = studio.request(
                "POST", "api/ml", f"connect the ML backend {url} to project {title!r}", body=fields
            )
        except StudioError as error:
            if error.status == 403 and "reserved network" in str(error):
                raise StudioError(
                    f"{error}. Label Studio 1.23 refuses backends on loopback by default: run it with "
                    "`annotate studio up` (which allows loopback and nothing else), or see the README"
                ) from None
            raise
        backend_id, created = int(answer["id"]), True
    studio.set_model_version(project.id, model_version)
    return Connected(backend_id, project.id, created)


def project_backends(studio: Studio, project_id: int) -> list[dict[str, Any]]:
    """The ML backends registered on a project, as Label Studio lists them."""
    found = studio.request(
        "GET", "api/ml", f"list the ML backends of project {project_id}", params={"project": project_id}
    )
    return [backend for backend in found or [] if isinstance(backend, dict)]


def make_current(
    studio: Studio,
    project_id: int,
    model_version: str,
    *,
    url: str | None,
    previous: set[str],
    auth: tuple[str, str] | None = None,
) -> int:
    """After a retraining: retitle the project's registrations of this backend (its ``url``, or a
    title that is one of its ``previous`` versions) with ``model_version`` and make it the
    project's, so the editor shows the new model's predictions; how many were retitled."""
    ours = [
        backend
        for backend in project_backends(studio, project_id)
        if ((url is not None and _at(backend, url)) or backend.get("title") in previous)
    ]
    for backend in ours:  # Label Studio 1.23 re-checks the backend on PATCH: it needs url, project, auth
        body = {"url": backend["url"], "project": project_id, "title": model_version, **_auth_fields(auth)}
        studio.request("PATCH", f"api/ml/{backend['id']}", f"retitle ML backend {backend['id']}", body=body)
    if ours:
        studio.set_model_version(project_id, model_version)
    return len(ours)


def _at(backend: dict[str, Any], url: str) -> bool:
    """Whether a registered backend is the one at ``url``."""
    return str(backend.get("url", "")).rstrip("/") == url.rstrip("/")


def _auth_fields(auth: tuple[str, str] | None) -> dict[str, Any]:
    """The registration fields of a backend that asks for HTTP Basic credentials (none otherwise)."""
    if auth is None:
        return {}
    return {"auth_method": "BASIC_AUTH", "basic_auth_user": auth[0], "basic_auth_pass": auth[1]}
