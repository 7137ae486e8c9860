"""Read a snapshot written by ``annotate pull``: JSON lines, one Label Studio task per line.

``read_snapshot`` streams the tasks. The object it returns also keeps the path, so that the
export can instead hand byte ranges of the file (``byte_ranges``, cut at line ends) to several
processes, each parsing its own lines (``parse_range``).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotate.errors import ExportError


class MalformedLine(ExportError):
    """A line of a byte range is not JSON; ``line`` counts from 1 at the start of the range."""

    def __init__(self, line: int, msg: str) -> None:
        super().__init__(line, msg)
        self.line, self.msg = line, msg


class Snapshot(Iterator[dict[str, Any]]):
    """The tasks of a snapshot file, parsed lazily, one line at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._tasks: Iterator[dict[str, Any]] | None = None

    @property
    def started(self) -> bool:
        """Whether tasks have been read from this iterator already."""
        return self._tasks is not None

    def __iter__(self) -> Snapshot:
        return self

    def __next__(self) -> dict[str, Any]:
        if self._tasks is None:
            self._tasks = _tasks(self.path)
        return next(self._tasks)

    def malformed(self, line: int, msg: str) -> ExportError:
        """The error for a line (counted from 1) that is not JSON."""
        return ExportError(f"{self.path}:{line}: malformed JSON ({msg}); pull the snapshot again")


def read_snapshot(path: str | Path) -> Snapshot:
    """Stream the tasks of a snapshot written by ``annotate pull``.

    Raises (while iterating):
        ExportError: the file cannot be read, or a line is not JSON (with its number).
    """
    return Snapshot(path)


def _tasks(path: Path) -> Iterator[dict[str, Any]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise cannot_read(path, error) from None
    with handle:
        try:
            yield from _parse(handle)
        except MalformedLine as error:
            raise Snapshot(path).malformed(error.line, error.msg) from None


def cannot_read(path: Path, error: OSError) -> ExportError:
    """The error for a snapshot that cannot be opened."""
    return ExportError(f"{path}: cannot read the snapshot ({error.strerror}); write one with `annotate pull`")


def _parse(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as error:
                raise MalformedLine(number, error.msg) from None


def byte_ranges(path: Path, size: int) -> Iterator[tuple[int, int]]:
    """Consecutive ``(start, end)`` byte ranges of about ``size`` bytes covering the file, each
    ending at a line end (or the end of the file).

    Raises:
        ExportError: the file cannot be read.
    """
    try:
        handle = path.open("rb")
    except OSError as error:
        raise cannot_read(path, error) from None
    with handle:
        total = os.fstat(handle.fileno()).st_size
        start = 0
        while start < total:
            end = total
            if start + size < total:
                handle.seek(start + size)
                handle.readline()
                end = handle.tell()
            yield start, end
            start = end


def parse_range(path: Path, start: int, end: int) -> tuple[list[dict[str, Any]], int]:
    """The tasks of the lines in ``[start, end)`` of ``path`` and the number of lines there.

    Lines are split as a text file opened with ``encoding="utf-8"`` splits them.

    Raises:
        MalformedLine: a line is not JSON (numbered from the start of the range).
    """
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    lines = io.StringIO(data.decode("utf-8"), newline=None).readlines()
    del data
    return list(_parse(iter(lines))), len(lines)
