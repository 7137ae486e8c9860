"""Stage every chunk of an export, in order: in worker processes when the snapshot file is large.

Parsing the JSON, reading the annotations and running spaCy's tokenizer and sentence splitter
take nearly all of an export's time and are independent from task to task. Given a snapshot file
(``read_snapshot``) of at least ``PARALLEL_BYTES``, each worker process parses byte ranges of the
file itself (only offsets cross the process boundary) and stages them (``stage_chunk``); results
come back in file order, with at most two chunks per worker in flight, so memory stays bounded.
Anything else is staged in this process, ``CHUNK_TASKS`` tasks at a time.
"""

from __future__ import annotations

import itertools
import os
import pickle
from collections.abc import Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from annotate.errors import ExportError
from annotate.export.snapshot import MalformedLine, Snapshot, byte_ranges, parse_range
from annotate.export.stage import StagedChunk, StageOptions, gc_paused, stage_chunk, stage_tokenizer
from annotate.workers import ordered_map

#: Tasks per chunk when staging in this process.
CHUNK_TASKS = 64
#: Bytes of snapshot per chunk when staging in worker processes.
CHUNK_BYTES = 4 * 2**20
#: Snapshots smaller than this are staged in this process (starting workers takes seconds).
PARALLEL_BYTES = 64 * 2**20
#: Most worker processes started by default (each holds a spaCy pipeline).
MAX_WORKERS = 4

_options: StageOptions | None = None  # in a worker process


def default_workers() -> int:
    """One worker per CPU this process may use, at most ``MAX_WORKERS``."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cpus))


def stage_all(
    tasks: Iterable[dict[str, Any]], options: StageOptions, workers: int | None = None
) -> Iterator[StagedChunk]:
    """Stage ``tasks`` chunk by chunk, yielding each chunk's result in task order.

    Raises:
        ExportError: the snapshot cannot be read or has a malformed line, or a task has no text.
    """
    workers = default_workers() if workers is None else workers
    if isinstance(tasks, Snapshot) and not tasks.started and workers > 1:
        try:
            size = tasks.path.stat().st_size
        except OSError:
            size = 0  # reading it will say why
        if size >= PARALLEL_BYTES:
            yield from _in_workers(tasks, options, workers)
            return
    iterator = iter(tasks)
    for number in itertools.count():
        with gc_paused():  # the tasks are parsed here
            chunk = list(itertools.islice(iterator, CHUNK_TASKS))
        if not chunk:
            return
        yield stage_chunk(chunk, number, options)


def _in_workers(snapshot: Snapshot, options: StageOptions, workers: int) -> Iterator[StagedChunk]:
    # The options go through a file: a worker that dies while starting (e.g. re-running an
    # unguarded main script) would leave the parent blocked on a pipe larger than its buffer.
    # Spawned, not forked: the parent may run threads.
    settings = options.spill / "options.pickle"
    settings.write_bytes(pickle.dumps(options))
    ranges = [
        (snapshot.path, start, end, number)
        for number, (start, end) in enumerate(byte_ranges(snapshot.path, CHUNK_BYTES))
    ]
    staged_chunks = ordered_map(
        _stage_range, ranges, workers=workers, start="spawn", initializer=_start, initargs=(settings,)
    )
    lines = 0
    while True:
        try:
            staged = next(staged_chunks, None)
        except MalformedLine as error:
            raise snapshot.malformed(lines + error.line, error.msg) from None
        except BrokenProcessPool:
            raise ExportError(
                "a worker process of the export stopped (its error is above). Called from a "
                'script? Guard the call with `if __name__ == "__main__":` (worker processes '
                "import the main module), or pass workers=1"
            ) from None
        if staged is None:
            return
        lines += staged.lines
        yield staged


def _start(settings: Path) -> None:
    global _options
    options = _options = pickle.loads(settings.read_bytes())
    stage_tokenizer(options.model)  # load the pipeline while the first chunk is read


def _stage_range(chunk: tuple[Path, int, int, int]) -> StagedChunk:
    path, start, end, number = chunk
    assert _options is not None, "worker not started with _start"
    with gc_paused():
        tasks, lines = parse_range(path, start, end)
        staged = stage_chunk(tasks, number, _options)
    staged.lines = lines
    return staged
