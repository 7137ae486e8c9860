"""The records of article files, one reader per format, streamed.

Every reader yields one ``(source, record)`` pair per record of the file, in file order, where
``source`` names the file and the line (``news.jsonl:12``, ``news.csv:7``, ``news.json[3]``,
``news.parquet:row 5``)
and ``record`` is a dict, or the ``ArticleError`` that says why that record cannot be read. A bad
record never stops the reader: the records after it are read as usual, so a caller that skips bad
records loses exactly those. Only a file that cannot be read at all (not UTF-8 where the whole
file is one record, a ``.json`` that is not JSON, a table without a ``text`` column) gives one
error for the whole file.

A byte order mark at the start of any text format is removed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotate.errors import ArticleError

#: A record, or why it cannot be read.
Record = dict[str, Any] | ArticleError

_BOM = "\ufeff"
_UTF8_BOM = _BOM.encode("utf-8")
_TABLE_BATCH_ROWS = 2_000
# What ``errors="surrogateescape"`` turns undecodable bytes into.
_UNDECODED_RE = re.compile("[\udc80-\udcff]")


def read_text_file(path: Path) -> str:
    """The text of a whole file, decoded as UTF-8 (a leading byte order mark removed).

    Raises:
        ArticleError: the bytes are not UTF-8 (naming the line), or the file cannot be read.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ArticleError(f"{path}: cannot read the file ({error.strerror})") from None
    try:
        return data.decode("utf-8").removeprefix(_BOM)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ArticleError(
            f"{path}: line {line}: bytes are not UTF-8 (at byte {err.start}); re-encode the file as UTF-8"
        ) from None


def records(path: Path) -> Iterator[tuple[str, Record]]:
    """The records of ``path`` by its suffix (see the module doc)."""
    suffix = path.suffix.lower()
    readers = {".txt": _txt_records, ".jsonl": _jsonl_records, ".json": _json_records, ".csv": _csv_records}
    yield from readers.get(suffix, _parquet_records)(path)


def _txt_records(path: Path) -> Iterator[tuple[str, Record]]:
    try:
        yield str(path), {"text": read_text_file(path)}
    except ArticleError as error:
        yield str(path), error


def _jsonl_records(path: Path) -> Iterator[tuple[str, Record]]:
    try:
        handle = path.open("rb")
    except OSError as error:
        yield str(path), ArticleError(f"{path}: cannot read the file ({error.strerror})")
        return
    with handle:
        for number, raw in enumerate(handle, start=1):
            source = f"{path}:{number}"
            record = jsonl_record(raw, source, first=number == 1)
            if record is not None:
                yield source, record


def jsonl_record(raw: bytes, source: str, *, first: bool = False) -> Record | None:
    """One line of a JSON-lines file as a record (None for a blank line); ``first``: may hold a BOM."""
    if first:
        raw = raw.removeprefix(_UTF8_BOM)
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ArticleError(f"{source}: bytes are not UTF-8; re-encode the file as UTF-8")
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        return ArticleError(f"{source}: malformed JSON ({err.msg} at column {err.colno})")
    return _as_record(record, source)


def _json_records(path: Path) -> Iterator[tuple[str, Record]]:
    try:
        data = json.loads(read_text_file(path))
    except ArticleError as error:
        yield str(path), error
        return
    except json.JSONDecodeError as err:
        yield str(path), ArticleError(f"{path}: line {err.lineno}: malformed JSON ({err.msg})")
        return
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        yield str(path), ArticleError(f"{path}: expected an object or a list of objects with a 'text' field")
        return
    for index, record in enumerate(data):
        source = f"{path}[{index}]"
        yield source, _as_record(record, source)


def _csv_records(path: Path) -> Iterator[tuple[str, Record]]:
    """CSV rows (RFC 4180: quoted fields may hold commas, quotes and line breaks).

    A row with more or fewer fields than the header, a stray quote and a quote never closed are
    each a bad record; the reader goes on at the next line. A quoted field whose following lines
    all look like rows of their own is reported too: an unbalanced quote merges rows silently.
    """
    try:
        handle = path.open("r", encoding="utf-8", errors="surrogateescape", newline="")
    except OSError as error:
        yield str(path), ArticleError(f"{path}: cannot read the file ({error.strerror})")
        return
    with handle:
        yield from _csv_rows(path, _strip_bom(handle), None, 0)


def csv_range_records(
    path: Path, header: list[str], start: int, end: int, line: int
) -> Iterator[tuple[str, Record]]:
    """The records of the rows in bytes ``[start, end)`` of a CSV file, cut at a row end, read
    under ``header``; the first is on line ``line`` (sources as ``_csv_records`` names them)."""
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            data = handle.read(end - start)
    except OSError as error:
        yield f"{path}:{line}", ArticleError(f"{path}: cannot read the file ({error.strerror})")
        return
    lines = (raw.decode("utf-8", errors="surrogateescape") for raw in io.BytesIO(data))
    yield from _csv_rows(path, lines, header, line - 1)


def _csv_rows(
    path: Path, lines: Iterator[str], header: list[str] | None, before: int
) -> Iterator[tuple[str, Record]]:
    """The records of CSV ``lines`` (the first is line ``before + 1``; the first row is the header
    unless ``header`` is given)."""
    reader = csv.reader(lines, strict=True)
    end = 0
    while True:
        first = before + end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            end = reader.line_num
            last = before + end
            yield f"{path}:{first}", ArticleError(f"{path}:{first}: {_csv_problem(err, first, last)}")
            continue
        end = reader.line_num
        source = f"{path}:{first}"
        if header is None:
            header = row
            if "text" not in header:
                yield str(path), _no_text_column(path, header)
                return
            continue
        if not any(field.strip() for field in row):
            continue
        yield source, _csv_record(row, header, source, before + end - first + 1)


def _strip_bom(lines: io.TextIOBase) -> Iterator[str]:
    for number, line in enumerate(lines):
        yield line.removeprefix(_BOM) if number == 0 else line


def _csv_problem(error: csv.Error, first: int, end: int) -> str:
    if "end of data" in str(error):
        return (
            f"a quote opened on this line is never closed (lines {first}-{end} would be one row); "
            "close or double the quote"
        )
    return f"malformed CSV row ({error}); quote fields that hold quotes, commas or line breaks"


def _csv_record(row: list[str], header: list[str], source: str, lines: int) -> Record:
    if len(row) != len(header):
        return ArticleError(
            f"{source}: the row has {len(row)} fields, the header {len(header)}; quote fields "
            "that hold commas"
        )
    if any(_UNDECODED_RE.search(field) for field in row):
        return ArticleError(f"{source}: bytes are not UTF-8; re-encode the file as UTF-8")
    if lines > 1 and len(header) > 1:
        merged = _rows_inside(row, len(header))
        if merged:
            return ArticleError(
                f"{source}: a quoted field runs over {lines} lines and its lines {merged} look like rows "
                "of their own: is a quote unbalanced? Close it where the field ends"
            )
    return dict(zip(header, row, strict=True))


def _rows_inside(row: list[str], columns: int) -> str:
    """The lines after the first of a multi-line field, if every one parses as a full row."""
    for field in row:
        lines = field.split("\n")[1:]
        if not lines:
            continue
        parsed = [next(csv.reader([line]), []) for line in lines]
        if all(len(fields) == columns and fields[0].strip() for fields in parsed):
            return ", ".join(repr(line[:40]) for line in lines[:3]) + (" ..." if len(lines) > 3 else "")
    return ""


def _parquet_records(path: Path) -> Iterator[tuple[str, Record]]:
    yield from parquet_records(path)


def parquet_records(
    path: Path, row_groups: range | None = None, first_row: int = 1
) -> Iterator[tuple[str, Record]]:
    """The records of a Parquet file, or of its ``row_groups`` whose first row is ``first_row``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        yield str(path), ArticleError(f"{path}: cannot read the Parquet file: {error}")
        return
    with parquet:
        if "text" not in parquet.schema_arrow.names:
            yield str(path), _no_text_column(path, parquet.schema_arrow.names)
            return
        number = first_row - 1
        groups = None if row_groups is None else list(row_groups)
        batches = parquet.iter_batches(batch_size=_TABLE_BATCH_ROWS, row_groups=groups)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except (OSError, pa.ArrowException) as error:  # a corrupt row group: the rest is unreadable
                yield (
                    f"{path}:row {number + 1}",
                    ArticleError(f"{path}: rows from {number + 1} on cannot be read: {error}"),
                )
                return
            for record in batch.to_pylist():
                number += 1
                yield f"{path}:row {number}", {str(key): value for key, value in record.items()}


def _no_text_column(path: Path, columns: list[str]) -> ArticleError:
    return ArticleError(
        f"{path}: no 'text' column (columns: {', '.join(columns)}); name the column holding the "
        "article text 'text'"
    )


def _as_record(record: Any, source: str) -> Record:
    if not isinstance(record, dict):
        kind = type(record).__name__
        return ArticleError(f"{source}: expected a JSON object with a 'text' field, got {kind}")
    return record
