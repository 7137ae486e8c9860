"""Label Studio on PostgreSQL against SQLite, same run: push, re-push, pull, the task list's first page.

Usage (from the repository root)::

    .venv/bin/python bench/database_bench.py                 # 10,000 tasks
    .venv/bin/python bench/database_bench.py --tasks 100000  # the issue's large size (long)

Two local servers as ``annotate studio up`` starts them, one after the other in temporary folders:
SQLite (the default) and ``--database postgresql`` (a local PostgreSQL of its own). On each, the
``bench/push_bench.py`` tasks (the seeds pre-labelled once, replicated with unique ids): ``push``
into a new project, ``push`` again (creates nothing), ``pull`` of the project, and the data
manager's first page of 30 tasks (``/api/tasks?page=1&page_size=30``, what the browser asks for),
best of 3. Ratios are PostgreSQL / SQLite times (< 1: PostgreSQL faster).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from push_bench import free_port, replicate, seed_tasks, timed

from annotate.schema import load_schema
from annotate.studio.client import Studio
from annotate.studio.database import choose_database
from annotate.studio.pull import pull
from annotate.studio.push import push
from annotate.studio.server import LocalServer


def run(engine: str, tasks: list[dict[str, object]], folder: Path) -> dict[str, float]:
    """The timings of one server on ``engine``."""
    schema = load_schema()
    studio_dir = folder / engine
    database = choose_database(studio_dir, engine, None)
    server = LocalServer(studio_dir, port=free_port(), database=database)
    times: dict[str, float] = {}
    try:
        creds, times["start"] = timed(server.start)
        with Studio(server.url, creds.token, timeout=1200) as studio:
            studio.check()
            pushed, times["push"] = timed(lambda: push(studio, "bench", tasks, schema))
            assert pushed.created == len(tasks), pushed
            again, times["re-push"] = timed(lambda: push(studio, "bench", tasks, schema))
            assert again.created == 0, again
            _, times["pull"] = timed(lambda: pull(studio, "bench", folder / f"{engine}.jsonl"))
            project_id = studio.project("bench").id
            params = {"project": project_id, "page": 1, "page_size": 30}
            pages = []
            for _ in range(3):
                started = time.perf_counter()
                studio.request("GET", "api/tasks", "read the first page", params=params)
                pages.append(time.perf_counter() - started)
            times["first page"] = min(pages)
    finally:
        server.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    args = parser.parse_args()
    tasks = replicate(seed_tasks(), args.tasks, "d")
    with tempfile.TemporaryDirectory(prefix="database_bench.", dir="/tmp") as scratch:
        folder = Path(scratch)
        folder.chmod(0o755)  # as root, PostgreSQL runs as the postgres user, who must reach its folder
        results = {engine: run(engine, tasks, folder) for engine in ("sqlite", "postgresql")}
    print(f"{args.tasks:,} tasks; seconds, and PostgreSQL / SQLite")
    print(f"{'step':<14}{'SQLite':>10}{'PostgreSQL':>12}{'ratio':>8}")
    for step in ("start", "push", "re-push", "pull", "first page"):
        sqlite, postgres = results["sqlite"][step], results["postgresql"][step]
        print(f"{step:<14}{sqlite:>10.2f}{postgres:>12.2f}{postgres / sqlite:>8.2f}")


if __name__ == "__main__":
    main()
