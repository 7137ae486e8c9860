"""Export throughput: ``annotate export`` (both configurations + card) against Label Studio's converter.

Usage (from the repository root)::

    .venv/bin/python bench/export_bench.py            # quick: 10,000 tasks
    .venv/bin/python bench/export_bench.py --full     # 100,000 tasks

A synthetic snapshot of N tasks is built by replicating the tasks of ``tests/data/snapshot.jsonl``
(annotated by several annotators, one skipped, one unannotated): every copy gets a unique task,
annotation and prediction id, a unique ``doc_id`` and " Copy {i}." appended to the END of its text,
so texts differ and every region's offsets stay valid. The copies of one text are near-duplicates,
so the export's near-duplicate grouping puts all of them in one split.

The snapshot is written twice: JSON lines for ``annotate.export.build.export`` (``formats=["hf"]``:
``documents`` and ``tokens`` Parquet + dataset card) and a JSON list for
``label_studio_sdk.converter.Converter`` (CONLL2003, entity BIO tags only; JSON_MIN when the
converter refuses the config). Each side runs in its own subprocess (so its peak RSS is its own),
interleaved, best of ``--repeat``; the time is the conversion call (imports excluded; model and
config loading included). ``annotate export`` reads a snapshot file this large in worker
processes (one per CPU, at most 4): its peak RSS is that of the main process plus, for each
worker, that of the largest worker (an upper bound of their sum). Prints tasks/s for both, the
ratio, and what each produced.

``annotate export`` runs as the command does by default: the card's quality figures counted in
the export's own pass (``--no-quality`` leaves them out). ``annotate report`` (the whole quality
report, streamed) is measured on its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "data" / "snapshot.jsonl"
QUICK_TASKS = 10_000
FULL_TASKS = 100_000
MEMORY_TARGET_MB = 2048
SIDES = ("ours", "ours-no-quality", "converter", "report")


def synthetic_tasks(n: int, seed_path: Path = SNAPSHOT) -> Iterator[dict[str, Any]]:
    """``n`` tasks replicated from ``seed_path``, each with unique ids and a distinct text."""
    from annotate.articles import text_hash

    lines = [line for line in seed_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    next_id = {"annotation": 1, "prediction": 1}
    for i in range(n):
        task: dict[str, Any] = json.loads(lines[i % len(lines)])
        text = task["data"]["text"] + f" Copy {i}."
        task["id"] = i + 1
        task["data"]["text"] = text
        task["data"]["doc_id"] = f"{task['data'].get('doc_id', 'doc')}-{i:06d}"
        task["data"]["text_hash"] = text_hash(text)
        renamed: dict[Any, int] = {}
        for prediction in task.get("predictions") or []:
            renamed[prediction.get("id")] = next_id["prediction"]
            prediction["id"] = next_id["prediction"]
            prediction["task"] = task["id"]
            next_id["prediction"] += 1
        for annotation in task.get("annotations") or []:
            annotation["id"] = next_id["annotation"]
            annotation["task"] = task["id"]
            next_id["annotation"] += 1
            if annotation.get("parent_prediction") is not None:
                annotation["parent_prediction"] = renamed.get(annotation["parent_prediction"])
        yield task


def write_snapshot(n: int, jsonl: Path, json_list: Path) -> None:
    """Stream ``n`` synthetic tasks to a JSON-lines snapshot and to a JSON list (for the converter)."""
    with jsonl.open("w", encoding="utf-8") as lines, json_list.open("w", encoding="utf-8") as listed:
        listed.write("[")
        for i, task in enumerate(synthetic_tasks(n)):
            encoded = json.dumps(task, ensure_ascii=False)
            lines.write(encoded + "\n")
            listed.write(("," if i else "") + "\n" + encoded)
        listed.write("\n]\n")


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak RSS of this process, or (``RUSAGE_CHILDREN``) of its largest finished child."""
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def run_report(snapshot: Path, out: Path) -> dict[str, Any]:
    """``annotate report``'s figures over the snapshot, read as a stream."""
    from annotate.export.build import read_snapshot
    from annotate.quality.report import build_report
    from annotate.schema import load_schema

    schema = load_schema()
    start = time.perf_counter()
    report = build_report(read_snapshot(snapshot), schema)
    seconds = time.perf_counter() - start
    produced = (
        f"{report.tasks:,} tasks, {report.gold_tasks:,} gold, agreement on "
        f"{report.agreement.tasks:,} tasks, {len(report.prediction_vs_gold)} model versions"
    )
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "produced": produced, "rss": "one process"}


def run_ours(snapshot: Path, out: Path, *, quality: bool = True) -> dict[str, Any]:
    """``annotate export`` as the command runs by default: the card's quality figures, then the export."""
    from annotate.export.build import export, read_snapshot
    from annotate.export.parallel import PARALLEL_BYTES, default_workers
    from annotate.schema import load_schema

    schema = load_schema()
    workers = default_workers() if snapshot.stat().st_size >= PARALLEL_BYTES else 0
    start = time.perf_counter()
    report = export(read_snapshot(snapshot), out, schema, formats=["hf"], measure_quality=quality)
    seconds = time.perf_counter() - start
    # Before counting what was written. The worker processes have ended: their peak counts too,
    # as if each had used as much as the largest one.
    main, worker = peak_rss_mb(), peak_rss_mb(resource.RUSAGE_CHILDREN)
    peak = main + workers * worker
    rss = f"main process {main:,.0f} MB + {workers} worker processes of at most {worker:,.0f} MB each"
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rows = {config: 0 for config in ("documents", "tokens")}
    entities = events = arguments = 0
    for config in rows:
        for part in sorted((out / config).glob("*.parquet")):
            file = pq.ParquetFile(part)
            rows[config] += file.metadata.num_rows
            if config == "documents":  # counted in Arrow, a row group at a time
                for group in range(file.num_row_groups):
                    table = file.read_row_group(group, columns=["entities", "events"])
                    flat_events = pc.list_flatten(table.column("events"))
                    entities += len(pc.list_flatten(table.column("entities")))
                    events += len(flat_events)
                    arguments += len(pc.list_flatten(pc.struct_field(flat_events, "arguments")))
    produced = (
        f"{rows['documents']:,} document rows ({entities:,} entities, {events:,} events, "
        f"{arguments:,} arguments), {rows['tokens']:,} sentence rows (ner + trigger BIO), "
        f"card {len((out / 'README.md').read_bytes()):,} B; splits {report.splits}, "
        f"left out {report.left_out}"
    )
    return {"seconds": seconds, "peak_mb": peak, "produced": produced, "rss": rss}


def run_converter(json_list: Path, out: Path) -> dict[str, Any]:
    from label_studio_sdk.converter import Converter

    from annotate.labelstudio.labelconfig import label_config
    from annotate.schema import load_schema

    config = label_config(load_schema())
    start = time.perf_counter()
    converter = Converter(config=config, project_dir=None, download_resources=False)
    note = ""
    try:
        converter.convert(str(json_list), str(out), "CONLL2003", is_dir=False)
        fmt = "CONLL2003"
    except Exception as error:  # the converter refuses configs it cannot map; fall back
        note = f" (CONLL2003 refused: {error})"
        converter.convert(str(json_list), str(out), "JSON_MIN", is_dir=False)
        fmt = "JSON_MIN"
    seconds, peak = time.perf_counter() - start, peak_rss_mb()
    if fmt == "CONLL2003":
        tokens = tagged = sequences = 0
        with (out / "result.conll").open(encoding="utf-8") as handle:
            for line in handle:
                if line == "\n":
                    sequences += 1
                elif not line.startswith("-DOCSTART-"):
                    tokens += 1
                    tagged += line.rstrip("\n").rsplit(" ", 1)[-1].startswith("B-")
        produced = (
            f"one CoNLL file: {sequences:,} sequences (one per non-skipped annotation, whole text), "
            f"{tokens:,} tokens, {tagged:,} entity spans (first Labels control only; no events, "
            "no relations, no splits, no card)"
        )
    else:
        size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
        produced = f"JSON_MIN, {size:,} B"
    return {"seconds": seconds, "peak_mb": peak, "produced": fmt + ": " + produced + note}


def worker(side: str, source: Path, out: Path) -> dict[str, Any]:
    """Run one side in a fresh interpreter and return its JSON result."""
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", side, "--source", str(source), "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help=f"{FULL_TASKS:,} tasks instead of {QUICK_TASKS:,}."
    )
    parser.add_argument("--tasks", type=int, help="Number of tasks (overrides --full).")
    parser.add_argument("--repeat", type=int, default=1, help="Runs per side, interleaved; the best is kept.")
    parser.add_argument("--keep", type=Path, help="Write the snapshot and outputs here and keep them.")
    parser.add_argument("--no-quality", action="store_true", help="Export as `--no-quality` does.")
    parser.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        runs = {
            "ours": run_ours,
            "ours-no-quality": lambda source, out: run_ours(source, out, quality=False),
            "converter": run_converter,
            "report": run_report,
        }
        print(json.dumps(runs[args.worker](args.source, args.out)))
        return
    ours = "ours-no-quality" if args.no_quality else "ours"

    n = args.tasks or (FULL_TASKS if args.full else QUICK_TASKS)
    mode = "custom" if args.tasks else "full" if args.full else "quick; --full for 100,000"
    work = args.keep or Path(tempfile.mkdtemp(prefix="export_bench."))
    work.mkdir(parents=True, exist_ok=True)
    try:
        jsonl, json_list = work / "snapshot.jsonl", work / "snapshot.json"
        start = time.perf_counter()
        write_snapshot(n, jsonl, json_list)
        built = time.perf_counter() - start
        size_mb = jsonl.stat().st_size / 2**20
        print(
            f"export: {n:,} tasks ({mode}), synthetic snapshot from {SNAPSHOT.relative_to(ROOT)} "
            f"({size_mb:,.0f} MB, built in {built:.1f} s), best of {args.repeat}, interleaved"
        )
        best: dict[str, dict[str, Any]] = {}
        for attempt in range(args.repeat):
            for side, source in ((ours, jsonl), ("converter", json_list), ("report", jsonl)):
                out = work / f"out-{side}-{attempt}"
                result = worker(side, source, out)
                if side not in best or result["seconds"] < best[side]["seconds"]:
                    best[side] = result
                if not args.keep:
                    shutil.rmtree(out, ignore_errors=True)
        names = {
            ours: f"annotate export ({'no quality' if args.no_quality else 'default: quality figures'})",
            "converter": "LS Converter",
            "report": "annotate report (streamed)",
        }
        print(f"{'side':<44}{'seconds':>9}{'tasks/s':>10}{'peak RSS MB':>13}")
        for side in (ours, "converter", "report"):
            result = best[side]
            print(
                f"{names[side]:<44}{result['seconds']:>9.2f}{n / result['seconds']:>10,.0f}"
                f"{result['peak_mb']:>13,.0f}"
            )
        ratio = best["converter"]["seconds"] / best[ours]["seconds"]
        print(
            f"ratio annotate / converter tasks/s: {ratio:.2f} "
            f"(target > 1.00: {'met' if ratio > 1 else 'MISSED'})"
        )
        peak = best[ours]["peak_mb"]
        verdict = "met" if peak < MEMORY_TARGET_MB else "MISSED"
        print(
            f"annotate export peak RSS at {n:,} tasks: {peak:,.0f} MB, {best[ours]['rss']} "
            f"(target < {MEMORY_TARGET_MB:,} MB at 100,000: {verdict})"
        )
        print(f"annotate report peak RSS: {best['report']['peak_mb']:,.0f} MB")
        for side in (ours, "converter", "report"):
            print(f"produced by {names[side]}: {best[side]['produced']}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
