"""Many annotators at once: Label Studio on SQLite, on PostgreSQL, and on PostgreSQL with web workers.

Usage (from the repository root)::

    .venv/bin/python bench/webworkers_bench.py                  # 8 annotators, 320 saves
    .venv/bin/python bench/webworkers_bench.py --annotators 16  # more at once

Servers as ``annotate studio up`` starts them, one after the other in temporary folders: SQLite
(``label-studio start``, the default), ``--database postgresql`` (same server, PostgreSQL), and
``--database postgresql --web-workers 2`` and ``4`` (uWSGI). On each, a project of the
``bench/push_bench.py`` tasks (seeds replicated, pushed untimed), then ``--annotators`` threads, each
its own connection, doing what an annotator's browser does for one task: open the task
(``GET /api/tasks/ID``), save an annotation (``POST /api/tasks/ID/annotations``, the prediction's
result as the annotation), and reload the data manager's first page (``GET /api/tasks?page=1``).
Reported: annotation saves a second over the whole run and the latency of one task's three requests
(mean, median and 95th percentile), and the throughput as a ratio to SQLite's in the same run. Every save
is checked afterwards: the project holds exactly one annotation per save.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from push_bench import free_port, replicate, seed_tasks

from annotate.schema import load_schema
from annotate.studio.client import Studio
from annotate.studio.database import choose_database
from annotate.studio.push import push
from annotate.studio.server import LocalServer

SETUPS = (("sqlite", 1), ("postgresql", 1), ("postgresql", 2), ("postgresql", 4))


@dataclass(frozen=True)
class Run:
    """One server's figures."""

    saves: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.saves / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def annotate_tasks(url: str, token: str, project_id: int, task_ids: list[int], results: list[float]) -> None:
    """One annotator: open, save and go back to the list, for each of ``task_ids``."""
    with Studio(url, token, timeout=600) as studio:
        for task_id in task_ids:
            started = time.perf_counter()
            task = studio.request("GET", f"api/tasks/{task_id}", f"open task {task_id}")
            result: list[dict[str, Any]] = task["predictions"][0]["result"] if task["predictions"] else []
            body = {"result": result, "ground_truth": False}
            studio.request("POST", f"api/tasks/{task_id}/annotations", f"save task {task_id}", body=body)
            params = {"project": project_id, "page": 1, "page_size": 30}
            studio.request("GET", "api/tasks", "reload the task list", params=params)
            results.append(time.perf_counter() - started)


def run(engine: str, workers: int, tasks: list[dict[str, Any]], annotators: int, folder: Path) -> Run:
    """The figures of one server on ``engine`` with ``workers`` web processes."""
    studio_dir = folder / f"{engine}-{workers}"
    database = choose_database(studio_dir, engine, None)
    server = LocalServer(studio_dir, port=free_port(), database=database, web_workers=workers)
    try:
        creds = server.start()
        with Studio(server.url, creds.token, timeout=1200) as studio:
            push(studio, "bench", tasks, load_schema())
            project_id = studio.project("bench").id
            ids = [int(task["id"]) for task in studio.tasks(project_id)]
        shares = [ids[i::annotators] for i in range(annotators)]
        latencies: list[float] = []
        login = (server.url, creds.token, project_id)
        threads = [threading.Thread(target=annotate_tasks, args=(*login, part, latencies)) for part in shares]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        assert len(latencies) == len(ids), f"{len(ids) - len(latencies)} saves failed (see above)"
        with Studio(server.url, creds.token, timeout=1200) as studio:
            saved = sum(task.annotations for task in studio.remote_tasks(project_id))
        assert saved == len(ids), f"{saved} annotations for {len(ids)} saves"
    finally:
        server.stop()
    return Run(len(ids), seconds, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=8, help="threads saving at once")
    parser.add_argument("--saves", type=int, default=320, help="tasks in the project, each saved once")
    args = parser.parse_args()
    tasks = replicate(seed_tasks(), args.saves, "w")
    results: dict[tuple[str, int], Run] = {}
    with tempfile.TemporaryDirectory(prefix="webworkers_bench.", dir="/tmp") as scratch:
        folder = Path(scratch)
        folder.chmod(0o755)  # as root, PostgreSQL runs as the postgres user, who must reach its folder
        for engine, workers in SETUPS:
            results[engine, workers] = run(engine, workers, tasks, args.annotators, folder)
    baseline = results["sqlite", 1].rate
    print(f"{args.annotators} annotators, {args.saves} saves (open, save, reload the list)")
    print(f"{'server':<26}{'saves/s':>9}{'vs SQLite':>11}{'mean s':>8}{'median s':>10}{'p95 s':>8}")
    for (engine, workers), figures in results.items():
        name = f"{engine}, {workers} process{'es' if workers > 1 else ''}"
        print(
            f"{name:<26}{figures.rate:>9.2f}{figures.rate / baseline:>11.2f}"
            f"{statistics.mean(figures.latencies):>8.2f}{statistics.median(figures.latencies):>10.2f}"
            f"{figures.percentile(0.95):>8.2f}"
        )


if __name__ == "__main__":
    main()
