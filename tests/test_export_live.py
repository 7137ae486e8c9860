"""The stored snapshot still matches what a real server returns, and exports the same gold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets

from annotate.export.build import export, read_snapshot
from annotate.pipeline import ALL_FIXES, build_nlp
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.pull import pull
from annotate.studio.server import LocalServer

from .conftest import SEED_ARTICLE
from .fixtures.annotations import annotate_project
from .test_export import SNAPSHOT


def _shape(tasks: list[dict[str, Any]]) -> set[str]:
    """Key paths of tasks, annotations, predictions and result items (values and ids ignored)."""
    paths: set[str] = set()
    for task in tasks:
        paths |= {f"task.{k}" for k in task}
        for annotation in task.get("annotations", []):
            paths |= {f"annotation.{k}" for k in annotation}
            paths |= {f"result.{r['type']}.{k}" for r in annotation["result"] for k in r}
        for prediction in task.get("predictions", []):
            paths |= {f"prediction.{k}" for k in prediction}
    return paths


def _gold(out: Path) -> dict[str, set[tuple[Any, ...]]]:
    loaded = datasets.load_dataset(str(out), "documents", cache_dir=str(out.parent / f".cache-{out.name}"))
    gold: dict[str, set[tuple[Any, ...]]] = {}
    for part in loaded.values():
        for row in part:
            spans = {("entity", e["start"], e["end"], e["label"], e["origin"]) for e in row["entities"]}
            spans |= {("event", e["trigger"]["start"], e["trigger"]["end"], e["type"]) for e in row["events"]}
            spans |= {
                ("argument", e["trigger"]["start"], a["role"], a["start"], a["end"])
                for e in row["events"]
                for a in e["arguments"]
            }
            gold[row["id"]] = spans
    return gold


def test_export_live_server_matches_stored_snapshot(
    studio_server: LocalServer, news_schema: Schema, tmp_path: Path
) -> None:
    """Annotate on a real server, pull, export: same JSON shape and same gold as the stored snapshot."""
    credentials = studio_server.credentials
    live = tmp_path / "live.jsonl"
    seed_text = SEED_ARTICLE.read_text(encoding="utf-8").strip()
    with Studio.connect(credentials.url, credentials.token) as studio:
        # The stored snapshot was pre-labelled with all five entity fixes (spread is off by default
        # since): the same pre-annotator, so that the same corrections give the same gold.
        recorded = build_nlp(news_schema, fixes=ALL_FIXES)
        created = annotate_project(studio, "live-snapshot", news_schema, recorded, seed_text)
        pull(studio, "live-snapshot", live)
        studio.delete_project(created["project_id"])
    live_tasks = [json.loads(line) for line in live.read_text(encoding="utf-8").splitlines()]
    stored_tasks = [json.loads(line) for line in SNAPSHOT.read_text(encoding="utf-8").splitlines()]
    # The stored snapshot predates mention types: a live one has the per-region mention choices too.
    mention_paths = {f"result.choices.{key}" for key in ("id", "from_name", "to_name", "type", "value")}
    assert _shape(live_tasks) - mention_paths == _shape(stored_tasks)
    assert mention_paths <= _shape(live_tasks)
    export(read_snapshot(live), tmp_path / "live", news_schema)
    export(read_snapshot(SNAPSHOT), tmp_path / "stored", news_schema)
    assert _gold(tmp_path / "live") == _gold(tmp_path / "stored")
