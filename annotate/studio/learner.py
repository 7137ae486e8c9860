"""Retraining behind `annotate serve`: learn from each project's gold as annotators submit it.

Label Studio's webhook carries events, not data. ``Learner`` counts a project's annotation events
and, after ``every`` of them (or at once on *Start Training*), queues the project. One worker
thread takes the queue in order, so one training runs at a time (per project and overall: the
machine's cores are the backend's too):

1. pull the project into a snapshot through the API (the key comes from the environment or the
   local credentials, is sent only to that server and never logged);
2. skip when the gold is the gold the served model learned from (an update that changed nothing);
3. run ``annotate train --from SNAPSHOT`` in a child process (its promotion gate included), so
   ``/predict`` keeps its cores' worth of Python while it trains; its output goes to
   ``<models>/project-<id>/train.log``;
4. when the gate kept a learned layer, load the new model, hand it to the backend (``on_model``)
   and make it current in the store (a restart serves it too), then retitle the project's
   backend and model version in Label Studio and ask for the new model's predictions on the
   tasks nobody has worked on, in chunks (``annotate.studio.retrieval``).

A failed training keeps the served model, and says why in the log. Events that arrive while a
project trains count towards its next training; *Start Training* (or the count reached) while it
trains queues it once more, so the gold they add is never left out.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language

from annotate.errors import AnnotateError, EvaluationError
from annotate.pipeline import build_nlp
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.connection import KEY_ENV
from annotate.studio.mlbackends import make_current
from annotate.studio.pull import pull_project
from annotate.studio.retrieval import retrieve_predictions
from annotate.training.gold import GoldSource, load_gold
from annotate.training.model import model_meta
from annotate.training.store import ModelStore
from annotate.training.train import DEFAULT_EVAL_SPLIT, split_gold

#: Label Studio's names of the events that change a project's gold (it says ANNOTATIONS_DELETED).
CHANGES = frozenset(
    {"ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED", "ANNOTATIONS_CREATED"}
)
START = "START_TRAINING"
DEFAULT_EVERY = 10


@dataclass
class ProjectState:
    """What the learner knows of one project (``/status`` shows it)."""

    changes: int = 0  # annotation events since its last training started
    state: str = "idle"  # idle | queued | training
    trainings: int = 0
    model_version: str = ""  # the last promoted model's version, "" while the base model serves
    last: str = ""  # what the last training did


@dataclass(frozen=True)
class Settings:
    """How the learner trains."""

    every: int = DEFAULT_EVERY
    base_model: str | None = None
    eval_split: float = DEFAULT_EVAL_SPLIT
    seed: str = "annotate"
    backend_url: str | None = None  # this backend as Label Studio knows it, to retitle it
    auth: tuple[str, str] | None = field(default=None, repr=False)  # its HTTP Basic credentials


class Learner:
    """Per-project retraining in one background worker (see the module doc)."""

    def __init__(
        self,
        schema: Schema,
        store: ModelStore,
        connect: Callable[[], Studio],
        on_model: Callable[[int, Language, str], None],
        settings: Settings = Settings(),
        log: Callable[[str], None] = print,
    ) -> None:
        self.schema, self.store, self.connect = schema, store, connect
        self.on_model, self.settings, self.log = on_model, settings, log
        self.projects: dict[int, ProjectState] = {}
        self.versions: set[str] = set()  # every version this backend served, to find its registrations
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._lock = threading.Lock()
        self._child: subprocess.Popen[str] | None = None
        self._worker = threading.Thread(target=self._run, name="annotate-learner", daemon=True)
        self._worker.start()

    def note(self, project_id: int, action: str) -> bool:
        """Count one webhook event; whether it queued a training."""
        with self._lock:
            state = self.projects.setdefault(project_id, ProjectState())
            if action in CHANGES:
                state.changes += 1
            wanted = action == START or (self.settings.every > 0 and state.changes >= self.settings.every)
            if not wanted or state.state.endswith("queued"):
                return False
            state.state = "queued" if state.state == "idle" else state.state + "+queued"
        self._queue.put(project_id)
        return True

    def start(self, project_id: int) -> bool:
        """*Start Training*: queue the project now; whether it was queued (not already)."""
        return self.note(project_id, START)

    def status(self) -> dict[str, Any]:
        """Every project's state, for ``/status``."""
        with self._lock:
            return {str(pid): vars(state).copy() for pid, state in sorted(self.projects.items())}

    def close(self) -> None:
        """Stop the worker; a training in progress is stopped and its folder removed."""
        self._queue.put(None)
        child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
        self._worker.join(30)

    def _run(self) -> None:
        while (project_id := self._queue.get()) is not None:
            with self._lock:
                state = self.projects[project_id]
                state.state, state.changes = "training", 0
            try:
                outcome = self._train(project_id)
            except AnnotateError as error:
                outcome = f"training failed, the served model stays: {error}"
            except Exception as error:  # a bug must not stop the worker: it is logged and the model stays
                outcome = f"training failed (a bug in annotate), the served model stays: {error!r}"
            with self._lock:
                state.trainings += 1
                state.last = outcome
                state.state = "queued" if state.state.endswith("+queued") else "idle"
            self.log(f"project {project_id}: {outcome}")

    def _train(self, project_id: int) -> str:
        with tempfile.TemporaryDirectory(prefix="annotate-learner-") as scratch:
            snapshot = Path(scratch) / "snapshot.jsonl"
            with self.connect() as studio:
                pull_project(studio, project_id, snapshot)
            gold = load_gold([GoldSource(snapshot, "snapshot")], self.schema)
            current = self.store.current(project_id)
            if current is not None and gold.identity == model_meta(current).get("gold_identity"):
                return "the gold is what the served model learned from: nothing to train"
            try:
                split_gold(gold.documents, self.settings.eval_split, self.settings.seed)
            except EvaluationError as error:
                return f"not trained yet: {error}"
            self.log(f"project {project_id}: training on {len(gold.documents)} gold articles")
            model = self.store.new_model(project_id)
            report = self._run_train(project_id, snapshot, model, Path(scratch) / "report.json")
        if report is None:
            self.store.discard(model)
            return f"`annotate train` failed, the served model stays; see {self._log_file(project_id)}"
        layers: dict[str, str] = report.get("layers", {})
        if "learned" not in layers.values():
            self.store.discard(model)
            return f"the gate kept the rules on every layer ({_figures(report)}); the served model stays"
        nlp = build_nlp(self.schema, str(model))
        version = str(report["model_version"])
        self.store.promote(project_id, model)
        self.on_model(project_id, nlp, version)
        with self._lock:
            self.projects[project_id].model_version = version
        self._announce(project_id, version)
        self.versions.add(version)
        return f"now serving {version} (layers {layers}; {_figures(report)})"

    def _run_train(self, project_id: int, snapshot: Path, model: Path, report: Path) -> dict[str, Any] | None:
        settings = self.settings
        command = [sys.executable, "-m", "annotate", "train", "--from", str(snapshot), "--out", str(model)]
        command += ["--json", str(report), "--eval-split", str(settings.eval_split), "--seed", settings.seed]
        command += ["--schema", str(self.schema.path)]
        if settings.base_model:
            command += ["--model", settings.base_model]
        env = {k: v for k, v in os.environ.items() if k != KEY_ENV}  # it reads a file: no key
        with self._log_file(project_id).open("a", encoding="utf-8") as log:
            self._child = subprocess.Popen(command, env=env, stdout=log, stderr=log, text=True)
            code = self._child.wait()
            self._child = None
        if code != 0:
            return None
        loaded: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        return loaded

    def _log_file(self, project_id: int) -> Path:
        return self.store.folder(project_id) / "train.log"

    def _announce(self, project_id: int, version: str) -> None:
        """Tell Label Studio about the new version and fill the untouched tasks with its predictions."""
        try:
            with self.connect() as studio:
                url = self.settings.backend_url
                auth = self.settings.auth
                if make_current(studio, project_id, version, url=url, previous=self.versions, auth=auth):
                    report = retrieve_predictions(studio, project_id)
                    self.log(
                        f"project {project_id}: {report.asked} untouched tasks asked for predictions of "
                        f"{report.model_version}, {len(report.missing)} still without"
                    )
        except AnnotateError as error:
            self.log(f"project {project_id}: serving {version}, but Label Studio was not told: {error}")


def _figures(report: dict[str, Any]) -> str:
    figures = report.get("figures", {})
    parts = []
    for system in ("rules", "learned"):
        f1 = figures.get(system, {}).get("trigger_classification", {}).get("f1")
        if f1 is not None:
            parts.append(f"{system} trigger F1 {f1:.3f}")
    return ", ".join(parts) or "no figures"
