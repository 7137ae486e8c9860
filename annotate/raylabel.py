"""Pre-labelling on a Ray cluster: the same tasks as ``prelabel_files``, made by an actor pool.

The driver only cuts the input into shards (descriptions, not data; ``annotate.inputparts``): a
folder's files in groups, large JSON-lines and CSV files in byte ranges cut at line and row ends,
large Parquet files in runs of row groups. Ray Data maps the shards over a pool of ``workers``
actors; each actor loads the spaCy pipeline once, reads its shard with annotate's own record
readers (the same validation, ids and ``file:line`` sources as on one machine) and pre-labels it
in batches of ``batch_size``. The driver streams the results back
in input order and writes the task file as they come; it keeps what the single-process reader
keeps across the whole input (one hash per text, one id per article) to drop a text seen in an
earlier shard and to refuse an id reused for another text. A bad record is reported with its file
and line (``--skip-invalid``) or stops the run naming it, as on one machine; nothing is lost in a
worker log.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from annotate.articles import (
    MAX_ARTICLE_CHARS,
    Problem,
    ReadReport,
    article_of,
    expand_paths,
    text_hash,
)
from annotate.errors import AnnotateError, ArticleError, OutputError
from annotate.inputparts import Part, input_parts, part_records
from annotate.prelabel import DEFAULT_BATCH_SIZE
from annotate.schema import Schema
from annotate.taskfile import TaskJSON
from annotate.taskshards import ShardFormat, check_task_output, write_task_output

#: Largest shard: JSON-lines files are cut into byte ranges of at most about this size.
SHARD_BYTES = 8 * 2**20
#: Smallest shard (each costs a Ray task and a pipeline batch).
MIN_SHARD_BYTES = 64 * 2**10
#: Tasks a worker sends back at a time, and the largest block Ray Data makes of them: the driver
#: holds a block or two at once, whatever the size of the shards and of the corpus.
OUTPUT_ROWS = 256
OUTPUT_BLOCK_BYTES = 8 * 2**20


def prelabel_on_ray(
    paths: list[Path],
    out: Path,
    schema: Schema,
    *,
    address: str = "auto",
    workers: int = 2,
    model: str | None = None,
    skip_invalid: bool = False,
    max_chars: int = MAX_ARTICLE_CHARS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    shard_format: ShardFormat = "jsonl",
    on_task: Callable[[], None] | None = None,
) -> tuple[int, str, ReadReport]:
    """Pre-label ``paths`` on the Ray cluster at ``address`` into the task file ``out`` (a folder,
    or a path without suffix: ``shard_format`` shards, ``annotate.taskshards``): the number of
    tasks, the model version and what was read (see the module doc).

    Raises:
        AnnotateError: Ray is not installed, or no cluster answers at ``address``.
        OutputError, ArticleError, ModelError: as ``prelabel_files``.
    """
    if any(out.resolve() == path.resolve() for path in paths):
        raise OutputError(f"{out} is also an input; write the tasks to another file with --out")
    check_task_output(out, shard_format)
    report = ReadReport()
    files = list(expand_paths(paths, report))
    total = sum(path.stat().st_size for path, _ in files)
    # at least four shards a worker, so the actors stay busy to the end; at most SHARD_BYTES each
    size = max(MIN_SHARD_BYTES, min(SHARD_BYTES, total // (4 * workers) + 1))
    shards = [{"part": part.to_json()} for part in input_parts(files, size)]
    ours = _connect(address)
    import ray.data

    context = ray.data.DataContext.get_current()
    options = context.execution_options
    saved = options.preserve_order, context.enable_progress_bars, context.target_max_block_size
    try:  # this run's settings, restored after for whatever else the process does with Ray Data
        options.preserve_order = True  # results in input order: the first text wins
        context.enable_progress_bars = False
        context.target_max_block_size = OUTPUT_BLOCK_BYTES
        blocks = max(1, len(shards))  # one block a shard: the actors share the work shard by shard
        dataset = ray.data.from_items(shards, override_num_blocks=blocks).map_batches(
            _Prelabeller,
            fn_constructor_kwargs={
                "schema_path": schema.path,
                "model": model,
                "max_chars": max_chars,
                "batch_size": batch_size,
            },
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=min(workers, blocks)),
            num_cpus=1,
        )
        version: list[str] = []
        rows = dataset.iter_rows()
        tasks = _tasks(rows, report, skip_invalid, version)
        count = write_task_output(out, tasks, shard_format=shard_format, on_task=on_task)
    finally:
        options.preserve_order, context.enable_progress_bars, context.target_max_block_size = saved
        if ours:  # leave the cluster: a driver left connected exits its process when the cluster stops
            ray.shutdown()
    return count, version[0] if version else "", report


def _connect(address: str) -> bool:
    """Join the cluster at ``address``; whether this call did (and so must leave it)."""
    # No usage reports home and no metrics poller thread in this process (it outlives the job and
    # fails at exit); a setting the user made wins.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_DATA_USAGE_DISABLED", "1")
    try:
        import ray
    except ImportError:
        raise AnnotateError("Ray is not installed: pip install 'annotate[ray]'") from None
    if ray.is_initialized():
        return False
    try:
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    except (ConnectionError, RuntimeError) as error:
        raise AnnotateError(
            f"no Ray cluster at {address!r} ({error}); start one with `ray start --head`, or give its address"
        ) from None
    return True


def _tasks(
    rows: Iterable[dict[str, Any]], report: ReadReport, skip_invalid: bool, version: list[str]
) -> Iterator[TaskJSON]:
    """The tasks of the workers' rows, each text once, each id for one text (see the module doc).

    The workers send each task as JSON text with its text hash, id and model version beside it,
    so the driver writes tasks without parsing them: its work per task stays far below the
    pipeline's (the bound on how many workers one driver can feed; ``bench/ray_memory_bench.py``).
    """
    seen_text: dict[str, str] = {}
    seen_id: dict[str, str] = {}
    for row in rows:
        source = str(row["source"])
        if row["problem"]:
            if not skip_invalid:
                raise ArticleError(f"{source}: {row['problem']}")
            report.skipped.append(Problem(source, str(row["problem"])))
            continue
        digest, doc_id = str(row["digest"]), str(row["doc_id"])
        if digest in seen_text:
            report.duplicates.append(Problem(source, f"same text as {seen_text[digest]}"))
            continue
        if doc_id in seen_id:
            problem = f"id {doc_id!r} was already used for another text at {seen_id[doc_id]}; "
            problem += "give each article its own id"
            if not skip_invalid:
                raise ArticleError(f"{source}: {problem}")
            report.skipped.append(Problem(source, problem))
            continue
        seen_text[digest] = seen_id[doc_id] = source
        report.read += 1
        if not version:
            version.append(str(row["version"]))
        yield TaskJSON(row["task"])


class _Prelabeller:
    """A Ray actor: the pipeline, loaded once, and the reading and pre-labelling of one shard."""

    def __init__(self, schema_path: str, model: str | None, max_chars: int, batch_size: int) -> None:
        from annotate.pipeline import build_nlp
        from annotate.schema import load_schema

        self.schema = load_schema(schema_path)
        self.nlp = build_nlp(self.schema, model)
        self.max_chars = max_chars
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, Any]) -> Iterator[dict[str, list[str]]]:
        """The rows of a batch's shards, ``OUTPUT_ROWS`` at a time: a bad record's source and
        problem, or a task as JSON text with its text hash, id and model version."""
        from annotate.prelabel import prelabel

        rows: list[tuple[str, ...]] = []
        for text in batch["part"]:
            articles = []
            for source, record, path, name in part_records(Part.from_json(str(text))):
                try:
                    articles.append(article_of(record, source, path, name, self.max_chars))
                except ArticleError as error:
                    rows.append((source, str(error).removeprefix(f"{source}: "), "", "", "", ""))
            tasks = prelabel(articles, self.schema, nlp=self.nlp, batch_size=self.batch_size)
            for article, task in zip(articles, tasks, strict=True):
                data, version = task["data"], str(task["predictions"][0]["model_version"])
                encoded = json.dumps(task, ensure_ascii=False)
                rows.append(
                    (article.source, "", encoded, text_hash(data["text"]), str(data["doc_id"]), version)
                )
                if len(rows) == OUTPUT_ROWS:
                    yield _columns(rows)
                    rows = []
        if rows:
            yield _columns(rows)


def _columns(rows: list[tuple[str, ...]]) -> dict[str, list[str]]:
    return {column: [row[i] for row in rows] for i, column in enumerate(_COLUMNS)}


#: What a worker sends back per record.
_COLUMNS = ("source", "problem", "task", "digest", "doc_id", "version")
