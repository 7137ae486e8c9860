"""The model folders a serving backend trains, one line of folders per project.

``<root>/project-<id>/<n>/`` is the ``n``-th model trained for project ``id`` (a folder of
``annotate train``); ``<root>/project-<id>/CURRENT`` names the one served, written atomically when
a model is promoted, so a restarted backend serves what it served before. Only folders the store
made are ever removed: a training that was not promoted, and promoted models older than the last
``keep``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from annotate.atomic import atomic_writer
from annotate.training.model import is_model_folder

_PROJECT = re.compile(r"project-(\d+)")
CURRENT = "CURRENT"


class ModelStore:
    """Per-project model folders under ``root`` (see the module doc)."""

    def __init__(self, root: Path, *, keep: int = 3) -> None:
        self.root = root
        self.keep = keep

    def folder(self, project_id: int) -> Path:
        """The folder of the project's models."""
        return self.root / f"project-{project_id}"

    def projects(self) -> list[int]:
        """The projects with a served model, by id."""
        if not self.root.is_dir():
            return []
        found = (_PROJECT.fullmatch(path.name) for path in self.root.iterdir())
        return sorted(int(m.group(1)) for m in found if m and self.current(int(m.group(1))))

    def current(self, project_id: int) -> Path | None:
        """The project's served model folder, if one was promoted and is still there."""
        try:
            name = (self.folder(project_id) / CURRENT).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        path = self.folder(project_id) / name
        return path if name.isdigit() and is_model_folder(path) else None

    def new_model(self, project_id: int) -> Path:
        """A path for the project's next model (not created: ``annotate train`` writes it)."""
        numbers = self._numbers(project_id)
        path = self.folder(project_id) / str(max(numbers, default=0) + 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def promote(self, project_id: int, model: Path) -> None:
        """Serve ``model`` for the project from now on, also after a restart; prune older models."""
        with atomic_writer(self.folder(project_id) / CURRENT) as handle:
            handle.write(model.name + "\n")
        older = [number for number in self._numbers(project_id) if number < int(model.name)]
        for number in older[: max(0, len(older) - (self.keep - 1))]:
            shutil.rmtree(self.folder(project_id) / str(number), ignore_errors=True)

    def discard(self, model: Path) -> None:
        """Remove a model this store made that is not served (a failed or gated training)."""
        if (
            model.parent.parent == self.root
            and model.name.isdigit()
            and model != self.current(int(model.parent.name.removeprefix("project-")))
        ):
            shutil.rmtree(model, ignore_errors=True)

    def _numbers(self, project_id: int) -> list[int]:
        folder = self.folder(project_id)
        if not folder.is_dir():
            return []
        return sorted(int(path.name) for path in folder.iterdir() if path.name.isdigit() and path.is_dir())
