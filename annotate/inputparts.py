"""A corpus cut into parts that workers read on their own, with the sources one reader would give.

``input_parts`` describes the input (a description, never the data) as parts of about ``size``
bytes, in input order: ``.txt`` files in groups; a large JSON-lines file in byte ranges cut at
line ends; a large CSV file in byte ranges cut at row ends (a quoted field may span lines, so the
driver parses the file once to find them) with its header; a large Parquet file in runs of row
groups. ``.json`` files, small files and files whose structure cannot be read stay whole, so
their reader reports what is wrong as it does on one machine.

``part_records`` reads one part with annotate's own readers (``annotate.records``): the same
validation and the same ``file:line`` sources as reading the whole input in one process, so a
worker's bad record is reported exactly as the single-process path reports it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from annotate.records import Record, csv_range_records, jsonl_record, parquet_records, records

#: ``.txt`` articles per part.
PART_FILES = 64


@dataclass(frozen=True)
class Part:
    """One independently readable part of the input.

    ``kind`` is ``files`` (the whole of each file in ``files``), ``lines`` (bytes ``[start, end)``
    of a JSON-lines file whose first line is number ``line``), ``csv`` (the rows in bytes
    ``[start, end)`` of a CSV file, the first on line ``line``, read under ``header``) or
    ``parquet`` (the row groups ``start`` to ``end - 1``, the first row being number ``line``).
    ``files`` holds ``(path, name)`` pairs: ``name`` is the article name the reader derives ids from.
    """

    files: tuple[tuple[str, str], ...]
    kind: str = "files"
    start: int = 0
    end: int = 0
    line: int = 1
    header: tuple[str, ...] = ()

    def to_json(self) -> str:
        """The part as JSON text (what travels to a worker)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Part:
        """The part ``to_json`` wrote."""
        fields = json.loads(text)
        files = tuple((str(path), str(name)) for path, name in fields.pop("files"))
        return cls(files=files, header=tuple(fields.pop("header")), **fields)


def input_parts(files: list[tuple[Path, str]], size: int) -> Iterator[Part]:
    """The parts of ``files`` (``(path, name)`` pairs in input order), each about ``size`` bytes."""
    texts: list[tuple[str, str]] = []
    grouped = 0
    for path, name in files:
        suffix = path.suffix.lower()
        if suffix == ".txt":
            texts.append((str(path), name))
            grouped += path.stat().st_size
            if len(texts) == PART_FILES or grouped >= size:
                yield Part(tuple(texts))
                texts, grouped = [], 0
            continue
        if texts:
            yield Part(tuple(texts))
            texts, grouped = [], 0
        whole = Part(((str(path), name),))
        if path.stat().st_size <= size or suffix == ".json":
            yield whole
        elif suffix == ".jsonl":
            yield from _line_parts(whole, size)
        elif suffix == ".csv":
            yield from _csv_parts(whole, size)
        else:
            yield from _parquet_parts(whole, size)
    if texts:
        yield Part(tuple(texts))


def part_records(part: Part) -> Iterator[tuple[str, Record, Path, str]]:
    """The records of ``part`` with their sources, files and names (see the module doc)."""
    if part.kind == "files":
        for file, name in part.files:
            path = Path(file)
            for source, record in records(path):
                yield source, record, path, name
        return
    ((file, name),) = part.files
    path = Path(file)
    if part.kind == "lines":
        read = _range_lines(path, part.start, part.end, part.line)
    elif part.kind == "csv":
        read = csv_range_records(path, list(part.header), part.start, part.end, part.line)
    else:
        read = parquet_records(path, range(part.start, part.end), part.line)
    for source, record in read:
        yield source, record, path, name


def _line_parts(whole: Part, size: int) -> Iterator[Part]:
    """Byte ranges of about ``size`` of a JSON-lines file, cut at line ends, with first line numbers."""
    path = Path(whole.files[0][0])
    line, start = 1, 0
    with path.open("rb") as handle:
        total = path.stat().st_size
        while start < total:
            handle.seek(start + size)
            handle.readline()
            end = min(handle.tell(), total) if start + size < total else total
            yield Part(whole.files, "lines", start, end, line)
            handle.seek(start)
            line += handle.read(end - start).count(b"\n")
            start = end


def _range_lines(path: Path, start: int, end: int, line: int) -> Iterator[tuple[str, Record]]:
    with path.open("rb") as handle:
        handle.seek(start)
        lines = io.BytesIO(handle.read(end - start))  # split at b"\n" only, as iterating the file does
        for number, raw in enumerate(lines, start=line):
            record = jsonl_record(raw, f"{path}:{number}", first=number == 1)
            if record is not None:
                yield f"{path}:{number}", record


def _csv_parts(whole: Part, size: int) -> Iterator[Part]:
    """Byte ranges of about ``size`` of a CSV file, cut where a row ends (one parse of the file).

    The file stays whole when its header cannot be read or has no ``text`` column (its reader
    then says so), or when a line ends in a lone carriage return (a text reader would count
    lines differently than this byte reader).
    """
    path = Path(whole.files[0][0])
    offsets = _CountingLines(path)
    reader = csv.reader(offsets, strict=True)
    try:
        header = next(reader)
        if "text" not in header:
            raise ValueError
    except (StopIteration, csv.Error, ValueError):
        offsets.close()
        yield whole
        return
    parts: list[Part] = []
    start, line = offsets.consumed, reader.line_num + 1
    try:
        while True:
            try:
                next(reader)
            except StopIteration:
                break
            except csv.Error:
                pass  # the reader goes on at the next line, as annotate's own reader does
            if offsets.consumed - start >= size:
                parts.append(Part(whole.files, "csv", start, offsets.consumed, line, tuple(header)))
                start, line = offsets.consumed, reader.line_num + 1
    except ValueError:
        yield whole
        return
    finally:
        offsets.close()
    if offsets.consumed > start:
        parts.append(Part(whole.files, "csv", start, offsets.consumed, line, tuple(header)))
    yield from parts


class _CountingLines:
    """The lines of a file as text for ``csv.reader``, counting the bytes handed out so far."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("rb")
        self.consumed = 0

    def __iter__(self) -> _CountingLines:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline()
        if not raw:
            raise StopIteration
        if b"\r" in raw.rstrip(b"\r\n") or raw.endswith(b"\r"):
            raise ValueError("a lone carriage return")
        first = self.consumed == 0
        self.consumed += len(raw)
        text = raw.decode("utf-8", errors="surrogateescape")
        return text.removeprefix("\ufeff") if first else text

    def close(self) -> None:
        self.handle.close()


def _parquet_parts(whole: Part, size: int) -> Iterator[Part]:
    """Runs of row groups of about ``size`` bytes (uncompressed) of a Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(whole.files[0][0]) as parquet:
            if "text" not in parquet.schema_arrow.names:
                raise ValueError
            meta = parquet.metadata
            groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
            sizes = [(group.num_rows, group.total_byte_size) for group in groups]
    except (OSError, ValueError, pa.ArrowException):
        yield whole  # its reader says what is wrong
        return
    first, row, rows, grouped = 0, 1, 0, 0
    for number, (count, nbytes) in enumerate(sizes):
        rows, grouped = rows + count, grouped + nbytes
        if grouped >= size or number == len(sizes) - 1:
            yield Part(whole.files, "parquet", first, number + 1, row)
            first, row, rows, grouped = number + 1, row + rows, 0, 0
