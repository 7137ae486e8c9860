"""ML backend speed: ``annotate serve``'s ``/predict`` against ``annotate prelabel`` and raw spaCy
on the same texts in the same run.

Usage (from the repository root)::

    .venv/bin/python bench/serve_bench.py                 # about a minute on 2 cores
    .venv/bin/python bench/serve_bench.py --articles 400

Synthetic articles come from ``bench/prelabel_bench.py`` (seed sentences recombined, 3–6 each).
A real ``annotate serve`` process is started on a free loopback port; requests go over HTTP as
Label Studio sends them (``{"tasks": [...], "label_config": ...}``).

1. Batch throughput (Retrieve predictions sends tasks in batches): ``--articles`` (100) tasks in
   ``/predict`` requests of ``--batch`` tasks, against ``annotate prelabel`` (the library call,
   tasks built and validated) and raw ``nlp.pipe`` of the same model over the same texts and batch
   size in this process. Ratio = served / baseline articles per second.
2. Interactive latency (one task per request, as the editor asks when a task is opened): p50 and
   p95 over ``--single`` requests of the seed article (warm), against ``prelabel`` of that one
   article and raw ``nlp(text)``.
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

from annotate.articles import read_articles
from annotate.document import Article
from annotate.labelstudio.labelconfig import label_config
from annotate.pipeline import build_nlp, load_model
from annotate.prelabel import prelabel
from annotate.schema import load_schema

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_4dfab99024a4c301.txt"

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
    parser.add_argument("--articles", type=int, default=100, help="articles for the batch throughput")
    parser.add_argument("--batch", type=int, default=32, help="tasks per /predict request")
    parser.add_argument("--single", type=int, default=50, help="one-task requests for the latency")
    args = parser.parse_args()

    articles = list(synthetic_articles(args.articles, seed_sentences(), 3, 6))
    texts = [text for _, text in articles]
    (seed,) = read_articles([SEED])
    schema = load_schema()
    config = label_config(schema)
    nlp = load_model()
    annotator = build_nlp(schema)
    list(nlp.pipe(texts[:16]))  # warm up
    list(prelabel(seed_articles(articles[:16]), schema, nlp=annotator))
    port = _free_port()
    url = f"http://127.0.0.1:{port}/predict"
    process = _start(port)
    try:
        _post(url, {"tasks": [{"id": 0, "data": {"text": texts[0]}}], "label_config": config})  # warm up
        start = time.perf_counter()
        list(nlp.pipe(texts, batch_size=args.batch))
        raw = time.perf_counter() - start
        start = time.perf_counter()
        list(prelabel(seed_articles(articles), schema, nlp=annotator, batch_size=args.batch))
        prelabelled = time.perf_counter() - start
        start = time.perf_counter()
        served_tasks = 0
        for first in range(0, len(texts), args.batch):
            chunk = texts[first : first + args.batch]
            tasks = [{"id": first + i, "data": {"text": text}} for i, text in enumerate(chunk)]
            served_tasks += len(_post(url, {"tasks": tasks, "label_config": config})["results"])
        served = time.perf_counter() - start
        assert served_tasks == len(texts)

        raw_single, prelabel_single, served_single = [], [], []
        task = {"tasks": [{"id": 1, "data": {"text": seed.text}}], "label_config": config}
        for _ in range(args.single):
            start = time.perf_counter()
            nlp(seed.text)
            raw_single.append(time.perf_counter() - start)
            start = time.perf_counter()
            list(prelabel([seed], schema, nlp=annotator))
            prelabel_single.append(time.perf_counter() - start)
            start = time.perf_counter()
            _post(url, task)
            served_single.append(time.perf_counter() - start)
    finally:
        process.terminate()
        process.wait(30)

    def p95(values: list[float]) -> float:
        return sorted(values)[max(0, int(len(values) * 0.95) - 1)]

    n = len(texts)
    print(
        f"{n} tasks, batches of {args.batch}: raw spaCy {n / raw:.1f} articles/s, "
        f"annotate prelabel {n / prelabelled:.1f}, /predict {n / served:.1f}"
    )
    print(f"/predict / prelabel throughput: {prelabelled / served:.2f}; / raw spaCy: {raw / served:.2f}")
    samples = {"raw": raw_single, "prelabel": prelabel_single, "served": served_single}
    ms = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    print(
        f"seed article ({len(seed.text)} chars), one task per request, p50: raw spaCy {ms['raw']:.0f} ms, "
        f"prelabel {ms['prelabel']:.0f} ms, /predict {ms['served']:.0f} ms "
        f"(p95 {p95(served_single) * 1000:.0f})"
    )
    print(f"/predict / prelabel p50 latency: {ms['served'] / ms['prelabel']:.2f}")


def seed_articles(articles: list[tuple[str, str]]) -> list[Article]:
    """``Article``s of the synthetic (id, text) pairs."""
    return [Article(doc_id, text) for doc_id, text in articles]


if __name__ == "__main__":
    main()
