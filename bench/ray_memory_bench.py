"""The Ray driver's memory and CPU as the corpus grows: 1,000 / 10,000 / 100,000 articles.

Usage (from the repository root)::

    .venv/bin/python bench/ray_memory_bench.py                       # 1k, 10k, 100k (about 25 min)
    .venv/bin/python bench/ray_memory_bench.py --sizes 1000 10000     # quicker

Synthetic articles (``bench/prelabel_bench.py``: 2-3 seed sentences recombined, distinct) in one
JSON-lines file per size; ``annotate prelabel --ray`` writes JSON-lines shards into a folder on a
one-node cluster started here (``ray start --head``, 2 CPUs, stopped at the end). Each run is a
fresh driver process, which reports its own peak resident memory (``ru_maxrss``; and the peaks of
its private and its shared pages, sampled every 0.1 s) and CPU time;
the baseline in the same run is a driver that imports annotate and Ray and joins the cluster,
nothing more. The driver's CPU seconds per 1,000 tasks (less the baseline's) bound how many
articles a second one driver can take from a cluster of any size: the write rate of the scaling
model in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prelabel_bench import seed_sentences, synthetic_articles
from ray_bench import RAY, _free_port


def _memory() -> dict[str, float]:
    """This process's resident memory now, MB: private (``RssAnon``) and shared (``RssShmem``: the
    Ray object store's pages this process touched while reading results, counted in ``ru_maxrss``)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssShmem"):
            found[name] = int(value.split()[0]) / 1024
    return found


def _sample(peaks: dict[str, float], done: threading.Event) -> None:
    while not done.wait(0.1):
        for name, value in _memory().items():
            peaks[name] = max(peaks.get(name, 0.0), value)


def child(source: str, out: str, address: str) -> None:
    """One driver: pre-label ``source`` on Ray into ``out`` (nothing when ``source`` is empty)."""
    started = time.perf_counter()
    peaks: dict[str, float] = {}
    done = threading.Event()
    sampler = threading.Thread(target=_sample, args=(peaks, done), daemon=True)
    sampler.start()
    from annotate import raylabel
    from annotate.schema import load_schema

    tasks = 0
    if source:
        tasks, _, _ = raylabel.prelabel_on_ray(
            [Path(source)], Path(out), load_schema(), address=address, workers=2
        )
    else:
        raylabel._connect(address)
        import ray

        ray.shutdown()
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "tasks": tasks,
                "peak_mb": usage.ru_maxrss / 1024,
                "private_mb": peaks.get("RssAnon", 0.0),
                "shared_mb": peaks.get("RssShmem", 0.0),
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "wall_s": time.perf_counter() - started,
            }
        )
    )


def _run(source: str, out: str, address: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", source, out, address]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"driver failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sentences = seed_sentences()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="ray_memory_bench.", dir="/tmp") as scratch:
        folder = Path(scratch)
        port = _free_port()
        ray_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
        command = [RAY, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port)]
        command += ["--num-cpus", "2", "--include-dashboard=false", "--disable-usage-stats"]
        subprocess.run([*command, "--temp-dir", ray_dir], check=True, capture_output=True)
        address = f"127.0.0.1:{port}"
        try:
            results["baseline (join only)"] = _run("", "", address)
            for size in sorted(args.sizes):
                source = folder / f"news-{size}.jsonl"
                with source.open("w", encoding="utf-8") as handle:
                    for doc_id, text in synthetic_articles(size, sentences, 2, 3):
                        handle.write(json.dumps({"id": doc_id, "text": text}) + "\n")
                result = _run(str(source), str(folder / f"tasks-{size}"), address)
                assert result["tasks"] == size, result
                result["input_mb"] = source.stat().st_size / 2**20
                results[f"{size:,} articles"] = result
                source.unlink()
        finally:
            subprocess.run([RAY, "stop", "--force"], capture_output=True, check=False)
    base = results["baseline (join only)"]
    columns = f"{'input MB':>10}{'peak MB':>9}{'vs base':>9}{'private':>9}{'shared':>8}"
    columns += f"{'CPU s':>8}{'wall s':>8}{'CPU ms/task':>13}"
    print(f"{'driver':<22}{columns}")
    for name, result in results.items():
        tasks = result["tasks"]
        per_task = (result["cpu_s"] - base["cpu_s"]) * 1000 / tasks if tasks else 0.0
        print(
            f"{name:<22}{result.get('input_mb', 0):>10.1f}{result['peak_mb']:>9.0f}"
            f"{result['peak_mb'] / base['peak_mb']:>9.2f}"
            f"{result['private_mb']:>9.0f}{result['shared_mb']:>8.0f}"
            f"{result['cpu_s']:>8.1f}{result['wall_s']:>8.1f}"
            f"{per_task:>13.2f}"
        )


if __name__ == "__main__":
    main()
