"""Reading articles: formats, normalisation, ids, duplicates and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from annotate.articles import ReadReport, read_articles, text_hash
from annotate.errors import ArticleError
from annotate.offsets import normalize_text


def _write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def test_normalize_text_fixes_line_endings_bom_and_controls() -> None:
    """CRLF/CR become LF, a BOM and control characters disappear, tabs and newlines stay."""
    raw = "\ufeffKyiv\r\nsaid\rthat\x00 it\x07 was\tfine\u2028end  "
    assert normalize_text(raw) == "Kyiv\nsaid\nthat it was\tfine\nend"


def test_normalize_text_composes_accents() -> None:
    """Decomposed accents are composed (NFC) so offsets count one code point per letter."""
    assert normalize_text("Zelenskyi\u0301") == "Zelenskyí"
    assert len(normalize_text("e\u0301")) == 1


def test_read_articles_txt_gets_hash_id(tmp_path: Path) -> None:
    """A .txt file is one article whose id is the hash of its normalised text."""
    path = tmp_path / "a.txt"
    path.write_bytes(b"Rebels attacked Kabul.\r\n")
    [article] = read_articles([path])
    assert article.text == "Rebels attacked Kabul."
    assert article.id == text_hash("Rebels attacked Kabul.")
    assert article.source == str(path)


def test_read_articles_same_text_same_id_across_files(tmp_path: Path) -> None:
    """The same article always gets the same id, whatever its line endings."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "a.txt").write_text("Troops moved.\n", encoding="utf-8")
    (tmp_path / "two" / "b.txt").write_bytes(b"\xef\xbb\xbfTroops moved.\r\n")
    [first] = read_articles([tmp_path / "one"])
    [second] = read_articles([tmp_path / "two"])
    assert first.id == second.id


def test_read_articles_jsonl_keeps_id_and_metadata(tmp_path: Path) -> None:
    """JSON lines give text, id and metadata; non-string metadata is kept as JSON."""
    path = _write_jsonl(
        tmp_path / "a.jsonl",
        [{"id": 7, "text": "A bomb exploded.", "title": "Blast", "url": "http://x", "tags": ["a"]}],
    )
    [article] = read_articles([path])
    assert article.id == "7"
    assert article.meta == {"title": "Blast", "url": "http://x", "tags": '["a"]'}
    assert article.source == f"{path}:1"


def test_read_articles_json_list_and_object(tmp_path: Path) -> None:
    """A .json file holds one object or a list of objects."""
    (tmp_path / "list.json").write_text(json.dumps([{"text": "One."}, {"text": "Two."}]), encoding="utf-8")
    (tmp_path / "one.json").write_text(json.dumps({"text": "Three."}), encoding="utf-8")
    texts = [a.text for a in read_articles([tmp_path / "list.json", tmp_path / "one.json"])]
    assert texts == ["One.", "Two.", "Three."]


def test_read_articles_csv_and_parquet(tmp_path: Path) -> None:
    """Tables need a text column; other columns become metadata."""
    frame = pd.DataFrame({"id": ["a", "b"], "text": ["First story.", "Second story."], "title": ["T1", "T2"]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.assign(id=["c", "d"], text=["Third.", "Fourth."]).to_parquet(tmp_path / "t.parquet")
    articles = list(read_articles([tmp_path / "t.csv", tmp_path / "t.parquet"]))
    assert [(a.id, a.text, a.meta["title"]) for a in articles] == [
        ("a", "First story.", "T1"),
        ("b", "Second story.", "T2"),
        ("c", "Third.", "T1"),
        ("d", "Fourth.", "T2"),
    ]
    assert articles[1].source == f"{tmp_path / 't.csv'}:3"


def test_read_articles_folder_lists_ignored_files(tmp_path: Path) -> None:
    """A folder is read recursively in name order; other files are reported, not read."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("Second.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("First.", encoding="utf-8")
    (tmp_path / "NOTES.md").write_text("not news", encoding="utf-8")
    report = ReadReport()
    texts = [a.text for a in read_articles([tmp_path], report=report)]
    assert texts == ["First.", "Second."]
    assert report.ignored_files == [str(tmp_path / "NOTES.md")]
    assert report.read == 2


def test_read_articles_duplicates_reported_once(tmp_path: Path) -> None:
    """An article seen twice (even under another id) is yielded once and reported."""
    path = _write_jsonl(
        tmp_path / "a.jsonl",
        [{"id": "x", "text": "Same story."}, {"id": "y", "text": "Same story.\r\n"}, {"text": "Other."}],
    )
    report = ReadReport()
    ids = [a.id for a in read_articles([path], report=report)]
    assert ids == ["x", text_hash("Other.")]
    assert [p.source for p in report.duplicates] == [f"{path}:2"]
    assert f"{path}:1" in report.duplicates[0].reason


def test_read_articles_undecodable_bytes_name_file_and_line(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 give an error with the file and line."""
    path = tmp_path / "bad.txt"
    path.write_bytes(b"line one\nline two \xff\xfe\n")
    with pytest.raises(ArticleError, match=r"bad\.txt: line 2: bytes are not UTF-8"):
        list(read_articles([path]))


def test_read_articles_malformed_json_line_names_line(tmp_path: Path) -> None:
    """A broken JSON line is reported with its line number."""
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "ok"}\n{"text": broken}\n', encoding="utf-8")
    with pytest.raises(ArticleError, match=r"a\.jsonl:2: malformed JSON"):
        list(read_articles([path]))


def test_read_articles_missing_text_column(tmp_path: Path) -> None:
    """A table without a text column says which columns it has."""
    path = tmp_path / "t.csv"
    pd.DataFrame({"body": ["x"]}).to_csv(path, index=False)
    with pytest.raises(ArticleError, match=r"t\.csv: no 'text' column \(columns: body\)"):
        list(read_articles([path]))


def test_read_articles_empty_article_is_an_error(tmp_path: Path) -> None:
    """An article that is empty after normalisation is an error naming its line."""
    path = _write_jsonl(tmp_path / "a.jsonl", [{"text": "fine"}, {"text": " \x00\r\n "}])
    with pytest.raises(ArticleError, match=r"a\.jsonl:2: the article is empty"):
        list(read_articles([path]))


def test_read_articles_id_reused_for_other_text(tmp_path: Path) -> None:
    """One id for two different texts is an error: it would make tasks ambiguous."""
    path = _write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "text": "A."}, {"id": "1", "text": "B."}])
    with pytest.raises(ArticleError, match=r"a\.jsonl:2: id '1' was already used"):
        list(read_articles([path]))


def test_read_articles_skip_invalid_reports_every_problem(tmp_path: Path) -> None:
    """With skip_invalid, bad records and bad files are listed and the good ones still read."""
    good = _write_jsonl(tmp_path / "a.jsonl", [{"text": "Good."}, {"title": "no text"}, {"text": ""}])
    bad = tmp_path / "b.txt"
    bad.write_bytes(b"\xff")
    report = ReadReport()
    texts = [a.text for a in read_articles([good, bad], skip_invalid=True, report=report)]
    assert texts == ["Good."]
    assert [p.source for p in report.skipped] == [f"{good}:2", f"{good}:3", str(bad)]
    assert "no 'text' field" in report.skipped[0].reason


def test_read_articles_missing_path(tmp_path: Path) -> None:
    """A path that does not exist is an error naming it."""
    with pytest.raises(ArticleError, match="no such file or folder"):
        list(read_articles([tmp_path / "nope.txt"]))
