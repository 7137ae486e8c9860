"""Pre-label throughput: ``prelabel`` (entities + events + task building) against raw ``nlp.pipe``.

Usage (from the repository root)::

    .venv/bin/python bench/prelabel_bench.py            # quick: about a minute and a half on 2 cores
    .venv/bin/python bench/prelabel_bench.py --full     # 1,000-article ratio, scaling 1k/10k/50k

Synthetic articles are sentences of the real seed articles (``seeds/``) recombined
deterministically (``random.Random(0)``), each text distinct.

1. Ratio: ``annotate.prelabel.prelabel`` (``build_nlp`` pipeline, tasks validated) against
   ``nlp.pipe`` of the same model loaded by ``annotate.pipeline.load_model`` (nothing disabled),
   same texts and batch size; rounds interleaved, best of ``--repeat``. Tokens are counted once
   with the tokenizer. Target: prelabel >= 0.85 x raw.
2. ``prelabel`` with ``n_process=2`` against ``n_process=1`` (measured in the same rounds; the
   worker start-up is included, as a user pays it). Target: >= 1.7 x.
3. Scaling: for each size, a .jsonl of synthetic articles is written, then a fresh subprocess runs
   ``prelabel_files([file], out, schema)`` (streamed) and reports its time and peak RSS
   (``ru_maxrss``); peak(largest) / peak(smallest) shows whether memory stays flat.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
BATCH_SIZE = 64
RATIO_TARGET = 0.85
SPEEDUP_TARGET = 1.7
_SENTENCE_END = re.compile(r"([.!?][\"”’]?)\s+(?=[\"“‘(]?[A-Z0-9])")


def seed_sentences(seeds: Path = SEEDS) -> list[str]:
    """The sentences of the seed articles (``.txt`` files and ``text`` of ``.jsonl`` records)."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(seeds.glob("*.txt"))]
    for path in sorted(seeds.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle if line.strip()]
    sentences = []
    for text in texts:
        for paragraph in text.split("\n"):
            parts = _SENTENCE_END.split(paragraph)
            for i in range(0, len(parts), 2):
                sentence = (parts[i] + (parts[i + 1] if i + 1 < len(parts) else "")).strip()
                if sentence:
                    sentences.append(sentence)
    return sentences


def synthetic_articles(n: int, sentences: list[str], low: int, high: int) -> Iterator[tuple[str, str]]:
    """``n`` distinct (id, text) articles of ``low``..``high`` seed sentences, deterministic."""
    rng = random.Random(0)
    seen: set[int] = set()
    made = 0
    while made < n:
        text = " ".join(rng.sample(sentences, rng.randint(low, high)))
        if hash(text) in seen:
            continue
        seen.add(hash(text))
        yield f"syn-{made:06d}", text
        made += 1


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def throughput(n_articles: int, repeat: int, low: int, high: int) -> None:
    """Sections 1 and 2: raw vs prelabel, and prelabel with 2 processes vs 1, interleaved."""
    from annotate.document import Article
    from annotate.pipeline import build_nlp, load_model
    from annotate.prelabel import prelabel
    from annotate.schema import load_schema

    schema = load_schema()
    raw, full = load_model(), build_nlp(schema)
    pairs = list(synthetic_articles(n_articles, seed_sentences(), low, high))
    texts = [text for _, text in pairs]
    articles = [Article(doc_id, text) for doc_id, text in pairs]
    tokenizer: Any = raw.tokenizer
    tokens: int = sum(len(doc) for doc in tokenizer.pipe(texts))

    def run_raw() -> None:
        for _ in raw.pipe(texts, batch_size=BATCH_SIZE):
            pass

    def run_prelabel(n_process: int) -> None:
        for _ in prelabel(articles, schema, nlp=full, batch_size=BATCH_SIZE, n_process=n_process):
            pass

    sides: dict[str, Callable[[], None]] = {
        "raw nlp.pipe": run_raw,
        "prelabel, 1 process": lambda: run_prelabel(1),
        "prelabel, n_process=2": lambda: run_prelabel(2),
    }
    for _ in raw.pipe(texts[:16]):  # warm-up, untimed
        pass
    for _ in prelabel(articles[:16], schema, nlp=full):
        pass
    best = dict.fromkeys(sides, float("inf"))
    for _ in range(repeat):
        for name, run in sides.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    print(
        f"throughput: {n_articles:,} articles of {low}-{high} seed sentences, {tokens:,} tokens, "
        f"batch size {BATCH_SIZE}, best of {repeat} interleaved rounds"
    )
    print(
        f"  model pipes: {', '.join(raw.pipe_names)}; "
        "prelabel adds: annotate_entities, annotate_events, task building + validation"
    )
    print(f"{'side':<26}{'seconds':>9}{'articles/s':>12}{'tokens/s':>11}")
    for name, seconds in best.items():
        print(f"{name:<26}{seconds:>9.2f}{n_articles / seconds:>12,.1f}{tokens / seconds:>11,.0f}")
    ratio = best["raw nlp.pipe"] / best["prelabel, 1 process"]
    speedup = best["prelabel, 1 process"] / best["prelabel, n_process=2"]
    print(
        f"ratio prelabel / raw (1 process): {ratio:.2f} "
        f"(target >= {RATIO_TARGET}: {'met' if ratio >= RATIO_TARGET else 'MISSED'})"
    )
    print(
        f"speed-up n_process=2 / 1: {speedup:.2f} "
        f"(target >= {SPEEDUP_TARGET}: {'met' if speedup >= SPEEDUP_TARGET else 'MISSED'})"
    )


def scale_worker(source: Path, out: Path) -> dict[str, Any]:
    """In a fresh interpreter: ``prelabel_files`` over ``source``; time and peak RSS."""
    from annotate.prelabel import prelabel_files
    from annotate.schema import load_schema

    schema = load_schema()
    start = time.perf_counter()
    report = prelabel_files([source], out, schema, batch_size=BATCH_SIZE)
    return {"seconds": time.perf_counter() - start, "peak_mb": peak_rss_mb(), "tasks": report.tasks}


def scaling(sizes: list[int], low: int, high: int, work: Path) -> None:
    """Section 3: one subprocess per size, each streaming a .jsonl through ``prelabel_files``."""
    sentences = seed_sentences()
    print(
        f"scaling: prelabel_files over a .jsonl of N articles of {low}-{high} seed sentences, "
        "one subprocess each"
    )
    print(f"{'articles':>9}{'seconds':>9}{'articles/s':>12}{'peak RSS MB':>13}{'tasks':>9}")
    peaks = []
    for size in sizes:
        source, out = work / f"articles-{size}.jsonl", work / f"tasks-{size}.json"
        with source.open("w", encoding="utf-8") as handle:
            for doc_id, text in synthetic_articles(size, sentences, low, high):
                handle.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
        completed = subprocess.run(
            [sys.executable, __file__, "--scale-worker", str(source), str(out)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        peaks.append(result["peak_mb"])
        print(
            f"{size:>9,}{result['seconds']:>9.2f}{size / result['seconds']:>12,.1f}"
            f"{result['peak_mb']:>13,.0f}{result['tasks']:>9,}"
        )
        source.unlink()
        out.unlink()
    print(
        f"peak RSS ratio {sizes[-1]:,} / {sizes[0]:,} articles: {peaks[-1] / peaks[0]:.2f} "
        f"(flat = 1.00; {sizes[-1] // sizes[0]}x the articles)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="1,000-article ratio; scaling 1k/10k/50k articles."
    )
    parser.add_argument(
        "--articles", type=int, help="Articles for the throughput ratio (default 200, --full 1000)."
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", help="Scaling sizes (default 200 800 2000, --full 1k 10k 50k)."
    )
    parser.add_argument("--repeat", type=int, default=3, help="Interleaved rounds; the best time is kept.")
    parser.add_argument("--skip-scaling", action="store_true", help="Only the throughput ratios.")
    parser.add_argument("--scale-worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_worker:
        print(json.dumps(scale_worker(*args.scale_worker)))
        return

    mode = (
        "custom sizes"
        if args.articles or args.sizes
        else "full"
        if args.full
        else "quick (--full: 1,000-article ratio, scaling 1k/10k/50k of 3-8 sentences)"
    )
    print(f"prelabel bench, {mode}")
    throughput(args.articles or (1000 if args.full else 200), args.repeat, 3, 6)
    if args.skip_scaling:
        return
    print()
    sizes = args.sizes or ([1_000, 10_000, 50_000] if args.full else [200, 800, 2_000])
    low, high = (3, 8) if args.full else (2, 2)  # quick: tiny two-sentence articles
    work = Path(tempfile.mkdtemp(prefix="prelabel_bench."))
    try:
        scaling(sorted(sizes), low, high, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
