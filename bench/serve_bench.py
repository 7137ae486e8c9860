"""ML backend speed: ``annotate serve``'s ``/predict`` against raw ``nlp.pipe`` in the same run.

Usage (from the repository root)::

    .venv/bin/python bench/serve_bench.py                 # about two minutes on 2 cores
    .venv/bin/python bench/serve_bench.py --articles 400

Synthetic articles come from ``bench/prelabel_bench.py`` (seed sentences recombined, 3–6 each).
A real ``annotate serve`` process is started on a free loopback port; requests go over HTTP as
Label Studio sends them (``{"tasks": [...], "label_config": ...}``).

1. Batch throughput (Retrieve predictions sends tasks in batches): all articles in ``/predict``
   requests of ``--batch`` tasks, against raw ``nlp.pipe`` of the same model over the same texts
   and batch size in this process. Ratio = served / raw articles per second.
2. Interactive latency (one task per request, as the labeling stream asks): p50 and p95 over
   ``--single`` requests, against raw ``nlp(text)`` on the same texts (p50 ratio).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prelabel_bench import seed_sentences, synthetic_articles

from annotate.labelstudio.labelconfig import label_config
from annotate.pipeline import load_model
from annotate.schema import load_schema

_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(url: str, body: Any) -> Any:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with _HTTP.open(request, timeout=600) as response:
        return json.loads(response.read())


def _start(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "annotate", "serve", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with _HTTP.open(f"http://127.0.0.1:{port}/health", timeout=5):
                return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit("annotate serve did not answer in 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=200, help="articles for the batch throughput")
    parser.add_argument("--batch", type=int, default=32, help="tasks per /predict request")
    parser.add_argument("--single", type=int, default=100, help="one-task requests for the latency")
    args = parser.parse_args()

    texts = [text for _, text in synthetic_articles(args.articles, seed_sentences(), 3, 6)]
    config = label_config(load_schema())
    nlp = load_model()
    list(nlp.pipe(texts[:16]))  # warm up
    port = _free_port()
    url = f"http://127.0.0.1:{port}/predict"
    process = _start(port)
    try:
        _post(url, {"tasks": [{"id": 0, "data": {"text": texts[0]}}], "label_config": config})  # warm up
        start = time.perf_counter()
        list(nlp.pipe(texts, batch_size=args.batch))
        raw = time.perf_counter() - start
        start = time.perf_counter()
        served_tasks = 0
        for first in range(0, len(texts), args.batch):
            chunk = texts[first : first + args.batch]
            tasks = [{"id": first + i, "data": {"text": text}} for i, text in enumerate(chunk)]
            served_tasks += len(_post(url, {"tasks": tasks, "label_config": config})["results"])
        served = time.perf_counter() - start
        assert served_tasks == len(texts)

        raw_single, served_single = [], []
        for number, text in enumerate(texts[: args.single]):
            start = time.perf_counter()
            nlp(text)
            raw_single.append(time.perf_counter() - start)
            start = time.perf_counter()
            _post(url, {"tasks": [{"id": number, "data": {"text": text}}], "label_config": config})
            served_single.append(time.perf_counter() - start)
    finally:
        process.terminate()
        process.wait(30)

    def p95(values: list[float]) -> float:
        return sorted(values)[max(0, int(len(values) * 0.95) - 1)]

    print(
        f"batch {args.batch}: raw {len(texts) / raw:.1f} articles/s, "
        f"served {len(texts) / served:.1f} articles/s"
    )
    print(f"served / raw throughput: {raw / served:.2f}")
    print(
        f"one task per request: raw p50 {statistics.median(raw_single) * 1000:.0f} ms, "
        f"served p50 {statistics.median(served_single) * 1000:.0f} ms, "
        f"p95 {p95(served_single) * 1000:.0f} ms"
    )
    print(f"served / raw p50 latency: {statistics.median(served_single) / statistics.median(raw_single):.2f}")


if __name__ == "__main__":
    main()
