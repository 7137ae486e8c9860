"""What ``annotate push`` reads: task files as they are, and articles pre-labelled on the way."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from annotate.articles import MAX_ARTICLE_CHARS, ReadReport, read_articles
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.push import DEFAULT_BATCH_SIZE, PushReport, push
from annotate.taskfile import read_task_file


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
) -> PushReport:
    """Read every task file first (a bad one fails before anything is sent), connect, then push
    the task files' tasks as they are and the articles pre-labelled on the way.

    Raises:
        ArticleError: a task file or an article cannot be read (articles: unless ``skip_invalid``;
            with it, bad tasks of task files are skipped alone too).
        StudioError, AlignmentError: see ``annotate.studio.push.push``.
    """
    task_files: list[tuple[Path, list[dict[str, Any]]]] = []
    article_paths: list[Path] = []
    for path in map(Path, paths):
        tasks = read_task_file(path) if path.is_file() else None
        if tasks is None:
            article_paths.append(path)
        else:
            task_files.append((path, tasks))
    read = ReadReport()

    def all_tasks() -> Iterator[dict[str, Any]]:
        for _, tasks in task_files:
            yield from tasks
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
        return f"article {number} of {', '.join(map(str, article_paths))}"

    with Studio.connect(url, api_key, insecure=insecure) as studio:
        report = push(
            studio,
            title,
            all_tasks(),
            schema,
            batch_size=batch_size,
            replace_config=replace_config,
            on_task=on_task,
            on_wait=on_wait,
            source_of=source_of,
            skip_invalid=skip_invalid,
        )
    report.read = read
    return report
