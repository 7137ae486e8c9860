"""Push and pull throughput against a real local Label Studio, as ratios to the SDK's raw calls.

Usage (from the repository root)::

    .venv/bin/python bench/push_bench.py             # quick: 2,000 tasks
    .venv/bin/python bench/push_bench.py --full      # 10,000 tasks
    .venv/bin/python bench/push_bench.py --tasks 500

One ``LocalServer`` (defaults, as ``annotate studio up``) is started in a temporary folder on a free
loopback port and stopped at the end, also on error. The tasks are the ``annotate prelabel`` tasks
of ``seeds/`` (spaCy runs once, on those few articles), replicated N times: each copy keeps its
text, ``text_hash`` and predictions and gets a unique ``doc_id``, so copies are distinct tasks to
push. Each step gets its own fresh project, in this order (the database grows as it goes, which
only penalises the later steps):

a. raw: ONE ``client.projects.import_tasks`` request with all N tasks (the SDK, nothing else;
   its time includes the SDK's own Python encoding of the payload);
b. push: ``annotate.studio.push.push`` (project creation, listing, validation of every
   prediction, batches of the default size encoded with ``json.dumps``, model version);
c. re-push: the same N tasks into project (b); must create nothing;
d. naive: one ``import_tasks`` request per task, for a sample (``--naive-sample``), extrapolated;
e. pull: a project of N tasks each with its prediction and one annotation (imported in batches,
   untimed) read by ``annotate.studio.pull.pull``, against the easy export
   (``client.projects.exports.download_sync``, JSON, all tasks) streamed to a file.

Times are wall clock (``time.perf_counter``) of the call alone. Targets: push at least 0.8 of
raw throughput; re-push at most 0.2 of push's time.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from annotate.articles import read_articles, text_hash
from annotate.prelabel import prelabel
from annotate.schema import Schema, load_schema
from annotate.studio.client import Studio
from annotate.studio.projects import ensure_project
from annotate.studio.pull import pull
from annotate.studio.push import DEFAULT_BATCH_SIZE, push
from annotate.studio.server import LocalServer

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QUICK_TASKS = 2_000
FULL_TASKS = 10_000
NAIVE_SAMPLE = 200
SETUP_BATCH = 500  # tasks a request when importing the annotated project for the pull (untimed)
PUSH_TARGET = 0.8  # push throughput / raw throughput, at least
REPUSH_TARGET = 0.2  # re-push time / push time, at most

T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    step: str
    tasks: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.tasks / self.seconds if self.seconds else float("inf")


def timed(call: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def seed_tasks() -> list[dict[str, Any]]:
    """The tasks ``annotate prelabel seeds/`` makes (spaCy runs here, once)."""
    tasks = list(prelabel(read_articles([SEEDS]), load_schema()))
    for task in tasks:
        assert text_hash(task["data"]["text"]) == task["data"]["text_hash"], task["data"]["doc_id"]
    return tasks


def replicate(seeds: list[dict[str, Any]], n: int, tag: str) -> list[dict[str, Any]]:
    """``n`` tasks cycling over ``seeds``, each with a unique ``doc_id`` and text (a line added at the
    end, so the predictions' offsets still fit; predictions shared, not copied): push pushes one
    text once, whatever its id."""
    tasks = []
    for i in range(n):
        seed = seeds[i % len(seeds)]
        text = f"{seed['data']['text']}\n\nCopy {tag}{i:06d}."
        data = {**seed["data"], "doc_id": f"{seed['data']['doc_id']}-{tag}{i:06d}", "text": text}
        tasks.append({"data": {**data, "text_hash": text_hash(text)}, "predictions": seed["predictions"]})
    return tasks


def annotated(tasks: list[dict[str, Any]], user_id: int) -> list[dict[str, Any]]:
    """The tasks with one annotation each (the prediction's regions, accepted as they are)."""
    return [
        {
            **task,
            "annotations": [
                {"result": task["predictions"][0]["result"], "completed_by": user_id, "lead_time": 30.0}
            ],
        }
        for task in tasks
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help=f"{FULL_TASKS:,} tasks, not {QUICK_TASKS:,}.")
    parser.add_argument("--tasks", type=int, help="Number of tasks (overrides --full).")
    parser.add_argument(
        "--naive-sample", type=int, default=NAIVE_SAMPLE, help="Tasks sent one request each (extrapolated)."
    )
    args = parser.parse_args()
    n = args.tasks or (FULL_TASKS if args.full else QUICK_TASKS)
    mode = "custom --tasks" if args.tasks else "full" if args.full else f"quick; --full for {FULL_TASKS:,}"
    sample = min(args.naive_sample, n)

    schema = load_schema()
    seeds, prelabel_s = timed(seed_tasks)
    tasks = replicate(seeds, n, "p")
    payload_mb = len(json.dumps(tasks, ensure_ascii=False).encode("utf-8")) / 2**20
    regions = sum(len(task["predictions"][0]["result"]) for task in tasks)
    print(
        f"push/pull: {n:,} tasks ({mode}), {len(seeds)} seed tasks pre-labelled in {prelabel_s:.1f} s and "
        f"replicated with unique doc_ids; {regions / n:.0f} prediction results a task, {payload_mb:,.0f} MB "
        f"of JSON; push batch size {DEFAULT_BATCH_SIZE}",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="push_bench.") as tmp:
        server = LocalServer(Path(tmp) / "studio", port=free_port())
        try:
            creds, started = timed(server.start)
            print(f"Label Studio on {server.url} started in {started:.1f} s", flush=True)
            with Studio(server.url, creds.token, timeout=600) as studio:
                studio.check()
                rows = run(studio, schema, seeds, tasks, sample, Path(tmp))
        finally:
            server.stop()
    report(rows, n, sample)


def run(
    studio: Studio,
    schema: Schema,
    seeds: list[dict[str, Any]],
    tasks: list[dict[str, Any]],
    sample: int,
    tmp: Path,
) -> dict[str, Row]:
    n = len(tasks)
    sdk = studio.client
    rows: dict[str, Row] = {}

    def project(title: str) -> int:
        return ensure_project(studio, title, schema).id

    # Warm-up (untimed): the server's first requests load code and fill caches.
    sdk.projects.import_tasks(id=project("warm-up"), request=replicate(seeds, len(seeds), "w"))

    raw_id = project("raw")
    response, seconds = timed(lambda: sdk.projects.import_tasks(id=raw_id, request=tasks))
    assert response.task_count == n, response
    rows["raw"] = Row("raw: 1 import_tasks request", n, seconds, "SDK only: no validation, no dedup")
    print(f"  raw   {seconds:8.1f} s", flush=True)

    pushed, seconds = timed(lambda: push(studio, "push", tasks, schema))
    assert pushed.created == n, pushed
    rows["push"] = Row("push (annotate)", n, seconds, f"created {pushed.created:,}")
    print(f"  push  {seconds:8.1f} s", flush=True)

    again, seconds = timed(lambda: push(studio, "push", tasks, schema))
    assert again.created == 0 and again.predictions_added == 0 and again.unchanged == n, again
    note = f"created {again.created}, unchanged {again.unchanged:,}"
    rows["repush"] = Row("re-push (same tasks)", n, seconds, note)
    print(f"  re-push {seconds:6.1f} s", flush=True)

    naive_id = project("naive")

    def naive() -> None:
        for task in tasks[:sample]:
            sdk.projects.import_tasks(id=naive_id, request=[task])

    _, seconds = timed(naive)
    note = f"{sample:,}-task sample; {n:,} would take {seconds * n / sample:,.0f} s"
    rows["naive"] = Row("naive: 1 request a task", sample, seconds, note)
    print(f"  naive {seconds:8.1f} s ({sample} tasks)", flush=True)

    pull_id = project("pull")
    user_id = studio.current_user_id()
    with_annotations = annotated(replicate(seeds, n, "a"), user_id)

    def import_annotated() -> None:
        for start in range(0, n, SETUP_BATCH):
            sdk.projects.import_tasks(id=pull_id, request=with_annotations[start : start + SETUP_BATCH])

    _, seconds = timed(import_annotated)
    print(f"  annotated project imported in {seconds:.1f} s (untimed setup)", flush=True)

    snapshot = tmp / "snapshot.jsonl"
    pulled, seconds = timed(lambda: pull(studio, "pull", snapshot))
    assert pulled.tasks == n and pulled.annotations == n and pulled.predictions == n, pulled
    first = json.loads(snapshot.open(encoding="utf-8").readline())
    rows["pull"] = Row(
        "pull (annotate)",
        n,
        seconds,
        f"{snapshot.stat().st_size / 2**20:,.0f} MB JSONL; predictions {describe(first['predictions'][0])}",
    )
    print(f"  pull  {seconds:8.1f} s", flush=True)

    export = tmp / "export.json"

    def easy_export() -> None:
        with export.open("wb") as handle:
            for chunk in sdk.projects.exports.download_sync(
                pull_id, export_type="JSON", download_all_tasks=True
            ):
                handle.write(chunk)

    _, seconds = timed(easy_export)
    exported = json.loads(export.read_text(encoding="utf-8"))
    assert len(exported) == n, len(exported)
    size = export.stat().st_size / 2**20
    note = f"{size:,.0f} MB JSON list; predictions {describe(exported[0]['predictions'][0])}"
    rows["export"] = Row("raw: easy export (JSON)", n, seconds, note)
    print(f"  export {seconds:7.1f} s", flush=True)
    return rows


def describe(prediction: Any) -> str:
    if isinstance(prediction, dict):
        return f"in full ({len(prediction.get('result') or [])} results)"
    return f"as ids only ({type(prediction).__name__})"


def report(rows: dict[str, Row], n: int, sample: int) -> None:
    print()
    print(f"{'step':<30}{'tasks':>8}{'seconds':>10}{'tasks/s':>10}  note")
    for row in rows.values():
        print(f"{row.step:<30}{row.tasks:>8,}{row.seconds:>10.2f}{row.rate:>10.1f}  {row.note}")
    push_raw = rows["push"].rate / rows["raw"].rate
    repush_push = rows["repush"].seconds / rows["push"].seconds
    push_naive = rows["push"].rate / rows["naive"].rate
    pull_export = rows["pull"].rate / rows["export"].rate

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print()
    print(f"{'ratio':<44}{'value':>8}  target")
    met = verdict(push_raw >= PUSH_TARGET)
    print(f"{'push / raw (tasks/s)':<44}{push_raw:>8.2f}  >= {PUSH_TARGET} {met}")
    print(
        f"{'re-push / push (seconds)':<44}{repush_push:>8.2f}  <= {REPUSH_TARGET} "
        f"{verdict(repush_push <= REPUSH_TARGET)}"
    )
    print(f"{'push / naive (tasks/s, naive extrapolated)':<44}{push_naive:>8.1f}")
    print(f"{'pull / easy export (tasks/s)':<44}{pull_export:>8.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
