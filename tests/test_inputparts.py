"""Input parts: a corpus cut into parts read on their own gives exactly the records, sources and
errors of reading each file whole."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from annotate.errors import ArticleError
from annotate.inputparts import Part, input_parts, part_records
from annotate.records import Record, records


def _flat(record: Record) -> object:
    return str(record) if isinstance(record, ArticleError) else record


def _whole(files: list[Path]) -> list[tuple[str, object]]:
    return [(source, _flat(record)) for path in files for source, record in records(path)]


def _parted(files: list[Path], size: int) -> tuple[list[Part], list[tuple[str, object]]]:
    parts = list(input_parts([(path, path.stem) for path in files], size))
    read = [
        (source, _flat(record))
        for part in parts
        for source, record, _, _ in part_records(Part.from_json(part.to_json()))
    ]
    return parts, read


def _csv(path: Path) -> Path:
    """A CSV file with multi-line quoted fields, a short row (line 8) and an empty row."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        for n in range(12):
            if n == 4:
                handle.write("only-one-field\r\n")
            if n == 6:
                handle.write(",\r\n")
            text = f'Troops entered city {n}.\nResidents fled; "witnesses" said.' if n % 3 else f"Plain {n}"
            writer.writerow([f"c{n}", text])
    return path


def test_input_parts_cut_csv_at_row_ends_with_the_same_sources(tmp_path: Path) -> None:
    """Rows whose quoted text spans lines are never split; sources, a short row's error and line
    numbers match reading the file whole."""
    path = _csv(tmp_path / "news.csv")
    parts, read = _parted([path], 60)
    assert len(parts) > 3 and {part.kind for part in parts} == {"csv"}
    whole = _whole([path])
    assert read == whole
    assert sum(isinstance(record, str) for _, record in whole) == 1  # the short row, not lost
    assert any(source == f"{path}:8" for source, record in whole if isinstance(record, str))


def test_input_parts_cut_jsonl_at_line_ends_with_their_line_numbers(tmp_path: Path) -> None:
    """JSON lines in byte ranges: the same records, a malformed line named by its own number, a
    carriage return inside a line not taken for a line end."""
    path = tmp_path / "news.jsonl"
    lines = [json.dumps({"id": f"j{n}", "text": f"Police arrested man {n}."}) for n in range(20)]
    lines[4] = '{"id": "bad",'
    lines[9] = '{"id": "cr",\r "text": "A carriage return between JSON tokens."}'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
    parts, read = _parted([path], 100)
    assert len(parts) > 5 and read == _whole([path])
    assert read[4][0] == f"{path}:5" and isinstance(read[4][1], str)
    assert read[9] == (f"{path}:10", {"id": "cr", "text": "A carriage return between JSON tokens."})


def test_input_parts_cut_parquet_into_runs_of_row_groups(tmp_path: Path) -> None:
    """A Parquet file of several row groups: runs of them, rows numbered from the file's start."""
    path = tmp_path / "news.parquet"
    rows = [{"id": f"p{n}", "text": f"Storm hit coast {n}."} for n in range(50)]
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=7)
    parts, read = _parted([path], 100)
    assert len(parts) > 2 and {part.kind for part in parts} == {"parquet"}
    assert read == _whole([path])
    assert read[-1] == (f"{path}:row 50", rows[-1])


def test_input_parts_keep_what_cannot_be_cut_whole(tmp_path: Path) -> None:
    """A CSV without a text column, a CSV with lone carriage returns, and a JSON list stay one
    part each, so their reader reports them as on one machine; .txt files are grouped."""
    no_text = tmp_path / "a.csv"
    no_text.write_text("id,body\n" + "".join(f"x{n},Body {n}\n" for n in range(30)), encoding="utf-8")
    old_mac = tmp_path / "b.csv"
    old_mac.write_text("id,text\r" + "".join(f"m{n},Text {n}\r" for n in range(30)), newline="")
    listed = tmp_path / "c.json"
    listed.write_text(json.dumps([{"text": f"Item {n}"} for n in range(30)]), encoding="utf-8")
    texts = [tmp_path / f"t{n}.txt" for n in range(3)]
    for path in texts:
        path.write_text("Rebels attacked the town.", encoding="utf-8")
    files = [no_text, old_mac, listed, *texts]
    parts, read = _parted(files, 40)
    assert [part.kind for part in parts] == ["files"] * 5
    assert [len(part.files) for part in parts] == [1, 1, 1, 2, 1]  # 25-byte texts, 40-byte parts
    assert read == _whole(files)


@pytest.mark.parametrize("size", [1, 10**9])
def test_input_parts_cover_a_file_once_whatever_the_size(tmp_path: Path, size: int) -> None:
    """Tiny parts (one row each) and one huge part both read every record exactly once."""
    path = _csv(tmp_path / "news.csv")
    _, read = _parted([path], size)
    assert read == _whole([path])
