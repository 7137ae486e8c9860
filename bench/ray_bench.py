"""Pre-labelling on Ray against one machine, same articles, same run.

Usage (from the repository root)::

    .venv/bin/python bench/ray_bench.py                  # 2,000 articles (about 5 minutes on 2 cores)
    .venv/bin/python bench/ray_bench.py --articles 10000 # the issue's size (about 20 minutes)

Synthetic articles from ``bench/prelabel_bench.py`` (seed sentences recombined, 3-6 each) in one
JSON-lines file; ``annotate.prelabel.prelabel_files`` with ``n_process`` 1 and 2, then
``annotate.raylabel.prelabel_on_ray`` with 1 and 2 workers on a one-node cluster started here
(``ray start --head``, 2 CPUs, stopped at the end). Each run writes its own task file; the Ray ones
must equal the single-process one. Times are wall clock of the call (the pipeline loads included).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prelabel_bench import seed_sentences, synthetic_articles

from annotate import raylabel
from annotate.prelabel import prelabel_files
from annotate.schema import load_schema

RAY = str(Path(sys.executable).parent / "ray")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sorted_tasks(path: Path) -> list[str]:
    return sorted(json.dumps(task, sort_keys=True) for task in json.loads(path.read_text(encoding="utf-8")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2_000)
    args = parser.parse_args()
    schema = load_schema()
    with tempfile.TemporaryDirectory(prefix="ray_bench.", dir="/tmp") as scratch:
        folder = Path(scratch)
        source = folder / "news.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for doc_id, text in synthetic_articles(args.articles, seed_sentences(), 3, 6):
                handle.write(json.dumps({"id": doc_id, "text": text}) + "\n")
        source_mb = source.stat().st_size / 2**20
        times: dict[str, float] = {}
        for n_process in (1, 2):
            started = time.perf_counter()
            prelabel_files([source], folder / f"here-{n_process}.json", schema, n_process=n_process)
            times[f"one machine, n_process {n_process}"] = time.perf_counter() - started
        port = _free_port()
        ray_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
        command = [RAY, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port)]
        command += [
            "--num-cpus",
            "2",
            "--include-dashboard=false",
            "--disable-usage-stats",
            "--temp-dir",
            ray_dir,
        ]
        subprocess.run(command, check=True, capture_output=True)
        try:
            expected = _sorted_tasks(folder / "here-1.json")
            for workers in (1, 2):
                out = folder / f"ray-{workers}.json"
                started = time.perf_counter()
                raylabel.prelabel_on_ray([source], out, schema, address=f"127.0.0.1:{port}", workers=workers)
                times[f"Ray, {workers} workers"] = time.perf_counter() - started
                assert _sorted_tasks(out) == expected, f"Ray with {workers} workers made other tasks"
        finally:
            subprocess.run([RAY, "stop", "--force"], capture_output=True)
    base = times["one machine, n_process 1"]
    print(f"{args.articles:,} articles ({source_mb:.1f} MB of JSON lines)")
    print(f"{'run':<30}{'seconds':>9}{'articles/s':>12}{'vs n_process 1':>16}")
    for name, seconds in times.items():
        print(f"{name:<30}{seconds:>9.1f}{args.articles / seconds:>12.1f}{base / seconds:>16.2f}")
    print(f"Ray 2 workers / n_process 2: {times['one machine, n_process 2'] / times['Ray, 2 workers']:.2f}")


if __name__ == "__main__":
    main()
