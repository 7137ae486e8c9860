"""What ``annotate push`` reads: task files as they are, and articles pre-labelled on the way."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotate.articles import MAX_ARTICLE_CHARS, ReadReport, read_articles
from annotate.sampling import Sample, choose, task_key
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.push import DEFAULT_BATCH_SIZE, PushReport, push
from annotate.taskfile import read_task_file
from annotate.taskshards import check_task_output, is_shard_folder, read_task_shards, write_task_output


def push_paths(
    paths: Iterable[str | Path],
    title: str,
    schema: Schema,
    *,
    url: str | None = None,
    api_key: str | None = None,
    insecure: bool = False,
    model: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    skip_invalid: bool = False,
    max_chars: int = MAX_ARTICLE_CHARS,
    replace_config: bool = False,
    on_task: Callable[[], None] | None = None,
    on_wait: Callable[[], None] | None = None,
    sample: Sampling | None = None,
) -> PushReport:
    """Read every task file first (a bad one fails before anything is sent), connect, then push
    the task files' tasks as they are and the articles pre-labelled on the way. With ``sample``,
    only the tasks it chooses are pushed (``annotate.sampling``); the others are written to
    ``sample.rest`` as silver predictions (``report.sample`` says what was chosen).

    Raises:
        ArticleError: a task file or an article cannot be read (articles: unless ``skip_invalid``;
            with it, bad tasks of task files are skipped alone too).
        StudioError, AlignmentError: see ``annotate.studio.push.push``.
    """
    task_files: list[tuple[Path, list[dict[str, Any]]]] = []
    article_paths: list[Path] = []
    shard_folders = [Path(p) for p in paths if is_shard_folder(Path(p))]
    for path in (Path(p) for p in paths if not is_shard_folder(Path(p))):
        tasks = read_task_file(path) if path.is_file() else None
        if tasks is None:
            article_paths.append(path)
        else:
            task_files.append((path, tasks))
    read = ReadReport()

    def all_tasks() -> Iterator[dict[str, Any]]:
        for _, tasks in task_files:
            yield from tasks
        for folder in shard_folders:  # one shard in memory at a time
            yield from read_task_shards(folder)
        if article_paths:
            from annotate.prelabel import prelabel  # spaCy loads only when articles need it

            articles = read_articles(
                article_paths, skip_invalid=skip_invalid, report=read, max_chars=max_chars
            )
            yield from prelabel(articles, schema, model=model)

    def source_of(number: int) -> str:
        for path, tasks in task_files:
            if number <= len(tasks):
                return f"{path}[{number - 1}]"
            number -= len(tasks)
        if shard_folders:
            return f"task {number} of {', '.join(map(str, shard_folders))}"
        return f"article {number} of {', '.join(map(str, article_paths))}"

    def _push(tasks: Iterable[dict[str, Any]], describe: Callable[[int], str]) -> PushReport:
        with Studio.connect(url, api_key, insecure=insecure) as studio:
            return push(
                studio,
                title,
                tasks,
                schema,
                batch_size=batch_size,
                replace_config=replace_config,
                on_task=on_task,
                on_wait=on_wait,
                source_of=describe,
                skip_invalid=skip_invalid,
            )

    if sample is None:
        report = _push(all_tasks(), source_of)
        report.read = read
        return report
    check_task_output(sample.rest)
    near = sample.rest.parent  # the spool goes on the disk the rest goes to, not a small /tmp
    while not near.is_dir():
        near = near.parent
    with tempfile.TemporaryDirectory(prefix=".annotate-sample-", dir=near) as spool:
        sampled = _sample(all_tasks(), sample, Path(spool))
        kept = [source_of(index + 1) for index in sorted(sampled.picked)]

        def describe_sampled(number: int) -> str:  # a chosen task keeps the source it was read from
            return kept[number - 1]

        report = _push(_spooled(Path(spool) / "chosen.jsonl"), describe_sampled)
    report.read = read
    report.sample = sampled
    return report


@dataclass(frozen=True)
class Sampling:
    """Push only ``n`` tasks chosen by ``strategy``; write the others to ``rest``."""

    n: int
    strategy: str
    rest: Path
    seed: str = "annotate"


def _sample(tasks: Iterable[dict[str, Any]], sample: Sampling, spool: Path) -> Sample:
    """Choose among ``tasks`` holding only their keys (memory flat in the corpus size): spool the
    tasks to disk while keying them, then read the spool once, writing the chosen to
    ``spool/chosen.jsonl`` and the rest to ``sample.rest`` (a task file, or shards)."""
    keys = []
    with (spool / "all.jsonl").open("w", encoding="utf-8") as handle:
        for index, task in enumerate(tasks):
            keys.append(task_key(task, index, sample.seed))
            handle.write(json.dumps(task, ensure_ascii=False) + "\n")
    chosen = choose(keys, sample.n, sample.strategy)
    del keys
    with (spool / "chosen.jsonl").open("w", encoding="utf-8") as picked:

        def rest() -> Iterator[dict[str, Any]]:
            for index, task in enumerate(_spooled(spool / "all.jsonl")):
                if index in chosen.picked:
                    picked.write(json.dumps(task, ensure_ascii=False) + "\n")
                else:
                    yield task

        write_task_output(sample.rest, rest())
    (spool / "all.jsonl").unlink()
    return chosen


def _spooled(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)
