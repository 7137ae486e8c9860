"""A bad record is skipped alone: every other record of the file is still read (real files)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from annotate.articles import ReadReport, read_articles
from annotate.errors import ArticleError

BOM = "\ufeff".encode()


def _read(path: Path) -> tuple[list[str], ReadReport]:
    report = ReadReport()
    texts = [article.text for article in read_articles([path], skip_invalid=True, report=report)]
    return texts, report


def _jsonl_lines(texts: list[str]) -> list[bytes]:
    return [json.dumps({"text": text}).encode() for text in texts]


def test_read_articles_bom_jsonl_with_bad_middle_lines_keeps_every_other_article(tmp_path: Path) -> None:
    """A BOM .jsonl with a malformed line and a non-UTF-8 line: the other 8 articles are all read."""
    lines = _jsonl_lines([f"Article number {n}." for n in range(1, 9)])
    lines.insert(3, b'{"text": "broken')
    lines.insert(6, b'{"text": "caf\xe9"}')
    path = tmp_path / "news.jsonl"
    path.write_bytes(BOM + b"\n".join(lines) + b"\n")
    texts, report = _read(path)
    assert texts == [f"Article number {n}." for n in range(1, 9)]
    assert [(p.source, p.reason.split(" (")[0]) for p in report.skipped] == [
        (f"{path}:4", "malformed JSON"),
        (f"{path}:7", "bytes are not UTF-8; re-encode the file as UTF-8"),
    ]
    assert report.read + len(report.skipped) + len(report.duplicates) == len(lines)


def test_read_articles_bom_json_and_csv_are_read(tmp_path: Path) -> None:
    """A byte order mark at the start of .json, .jsonl and .csv files is removed, not an error."""
    (tmp_path / "a.json").write_bytes(BOM + json.dumps([{"text": "From JSON."}]).encode())
    (tmp_path / "b.jsonl").write_bytes(BOM + json.dumps({"id": "x", "text": "From JSON lines."}).encode())
    (tmp_path / "c.csv").write_bytes(BOM + b"id,text\ny,From CSV.\n")
    articles = list(read_articles([tmp_path]))
    assert [(a.id, a.text) for a in articles][1:] == [("x", "From JSON lines."), ("y", "From CSV.")]
    assert articles[0].text == "From JSON."


def test_read_articles_csv_row_with_extra_field_is_skipped_alone(tmp_path: Path) -> None:
    """A CSV row with one field too many is reported by line; the rows after it are read."""
    path = tmp_path / "news.csv"
    rows = "id,text\na,First.\nb,Second, with an unquoted comma\nc,Third.\nd,Fourth.\n"
    path.write_text(rows, encoding="utf-8")
    texts, report = _read(path)
    assert texts == ["First.", "Third.", "Fourth."]
    assert [p.source for p in report.skipped] == [f"{path}:3"]
    assert "3 fields, the header 2" in report.skipped[0].reason
    with pytest.raises(ArticleError, match=r"news\.csv:3: the row has 3 fields"):
        list(read_articles([path]))


def test_read_articles_csv_keeps_quoted_commas_quotes_and_line_breaks(tmp_path: Path) -> None:
    """Quoted fields may hold commas, doubled quotes and paragraphs; line numbers stay physical."""
    path = tmp_path / "news.csv"
    path.write_text(
        'id,text\na,"Kyiv, Ukraine.\n\nA second paragraph, with ""quotes""."\nb,After it.\n', encoding="utf-8"
    )
    articles = list(read_articles([path]))
    assert [a.text for a in articles] == ['Kyiv, Ukraine.\n\nA second paragraph, with "quotes".', "After it."]
    assert [a.source for a in articles] == [f"{path}:2", f"{path}:5"]


def test_read_articles_csv_unbalanced_quote_merging_rows_is_reported(tmp_path: Path) -> None:
    """A quote left open merges five rows into three: that is reported, not read silently."""
    path = tmp_path / "news.csv"
    path.write_text('id,text\na,"First, opened\nb,Second\nc,Third."\nd,Fourth.\ne,Fifth.\n', encoding="utf-8")
    with pytest.raises(ArticleError, match=r"news\.csv:2: a quoted field runs over 3 lines"):
        list(read_articles([path]))
    texts, report = _read(path)
    assert texts == ["Fourth.", "Fifth."]
    assert [p.source for p in report.skipped] == [f"{path}:2"]


def test_read_articles_csv_quote_never_closed_is_reported(tmp_path: Path) -> None:
    """A quote opened on the last rows and never closed names the line where it opened."""
    path = tmp_path / "news.csv"
    path.write_text('id,text\na,First.\nb,"Second\nc,Third.\n', encoding="utf-8")
    texts, report = _read(path)
    assert texts == ["First."]
    assert [p.source for p in report.skipped] == [f"{path}:3"]
    assert "never closed" in report.skipped[0].reason


def test_read_articles_csv_stray_quote_and_bad_bytes_skip_their_row_only(tmp_path: Path) -> None:
    """A stray quote after a quoted field and a row with non-UTF-8 bytes are each skipped alone."""
    path = tmp_path / "news.csv"
    path.write_bytes(b'id,text\na,"Quoted" then more\nb,caf\xe9\nc,Third.\n')
    texts, report = _read(path)
    assert texts == ["Third."]
    assert [p.source for p in report.skipped] == [f"{path}:2", f"{path}:3"]
    assert "not UTF-8" in report.skipped[1].reason


def test_read_articles_counts_add_up_over_formats(tmp_path: Path) -> None:
    """Read + skipped + duplicates equals the records of every file, whatever went wrong where."""
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_bytes(b"\n".join([*_jsonl_lines(["One.", "Two."]), b"[1]", *_jsonl_lines(["One."])]))
    table = pa.table({"id": ["p", "q", "r"], "text": ["Three.", None, "Four."]})
    pq.write_table(table, tmp_path / "b.parquet")
    (tmp_path / "c.txt").write_bytes(b"\xff\xfe")
    texts, report = _read(tmp_path)
    assert texts == ["One.", "Two.", "Three.", "Four."]
    assert report.read + len(report.skipped) + len(report.duplicates) == 4 + 3 + 1
    assert [p.source for p in report.duplicates] == [f"{jsonl}:4"]


def test_read_articles_txt_files_carry_their_file_name(tmp_path: Path) -> None:
    """A .txt article's metadata names its file under the folder given (or the file's own name)."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "story.txt").write_text("A story.", encoding="utf-8")
    (tmp_path / "top.txt").write_text("Top story.", encoding="utf-8")
    from_folder = {a.text: a.meta["file"] for a in read_articles([tmp_path])}
    assert from_folder == {"A story.": "sub/story.txt", "Top story.": "top.txt"}
    (direct,) = read_articles([tmp_path / "sub" / "story.txt"])
    assert direct.meta["file"] == "story.txt"
