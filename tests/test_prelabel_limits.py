"""Long articles, oversized articles, unwritable outputs and a SIGTERM: each handled cleanly."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from spacy.language import Language
from typer.testing import CliRunner

from annotate.cli import app
from annotate.document import Article
from annotate.errors import ArticleError, OutputError
from annotate.prelabel import MAX_PIECE_CHARS, pieces, prelabel_documents, prelabel_files
from annotate.schema import Schema

from .conftest import SEED_ARTICLE
from .fixtures.readonly import read_only


def test_pieces_cut_at_paragraphs_and_cover_the_text() -> None:
    """Pieces are consecutive, cover the text, end after a blank line when there is one."""
    text = ("A sentence here. " * 30 + "\n\n") * 12
    bounds = pieces(text, size=1200)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(text)
    assert all(end == start for (_, end), (start, _) in itertools.pairwise(bounds))
    assert all(end - start <= 1200 for start, end in bounds)
    assert all(text[:end].endswith("\n\n") for _, end in bounds[:-1])
    assert pieces("x" * 250, size=100) == [(0, 100), (100, 200), (200, 250)]  # no space: hard cuts


@pytest.mark.slow
def test_prelabel_long_article_in_pieces_keeps_whole_text_offsets(nlp: Language, news_schema: Schema) -> None:
    """An article over the piece size gets the same spans in every copy of a paragraph, at its offsets."""
    seed = SEED_ARTICLE.read_text(encoding="utf-8").strip()
    copies = MAX_PIECE_CHARS * 2 // len(seed) + 2  # three pieces
    text = "\n\n".join([seed] * copies)
    (document,) = prelabel_documents([Article("long", text)], news_schema, nlp=nlp)
    step = len(seed) + 2
    per_copy: list[set[tuple[int, int, str]]] = [set() for _ in range(copies)]
    for span in document.entities:
        assert text[span.start : span.end] == span.text
        per_copy[span.start // step].add((span.start % step, span.end % step or step, span.label))
    assert per_copy[0] and all(found == per_copy[0] for found in per_copy), "every copy alike"
    assert len({span.id for span in document.entities}) == len(document.entities)
    assert max(span.start for span in document.entities) > 2 * MAX_PIECE_CHARS


def test_prelabel_refuses_an_oversized_article_by_name(tmp_path: Path, news_schema: Schema) -> None:
    """A 5 MB article is an error naming it and the limit; with --skip-invalid the rest goes on."""
    path = tmp_path / "news.jsonl"
    records = [{"id": "huge", "text": "word " * 1_000_000}, {"id": "small", "text": "Rebels attacked Kabul."}]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    with pytest.raises(ArticleError, match=r"news\.jsonl:1: the article has 4,999,999 characters, more than"):
        prelabel_files([path], tmp_path / "tasks.json", news_schema)
    result = CliRunner().invoke(
        app, ["prelabel", str(path), "--out", str(tmp_path / "t.json"), "--skip-invalid"]
    )
    assert result.exit_code == 0, result.output
    assert "skipped" in result.stderr and "--max-chars" in result.stderr
    assert [t["data"]["doc_id"] for t in json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))] == [
        "small"
    ]


@pytest.mark.parametrize("where", ["folder", "under-a-file", "read-only"])
def test_prelabel_unwritable_out_fails_before_any_work(
    tmp_path: Path, news_schema: Schema, where: str
) -> None:
    """A folder holding other files (shards would go there), a path under a file, a read-only
    folder: one clear error, nothing run."""
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    missing = tmp_path / "no-such-input.jsonl"  # would fail later: the output check comes first
    if where == "folder":
        with pytest.raises(OutputError, match="holds other files; write the task shards into a new"):
            prelabel_files([missing], tmp_path, news_schema)
    elif where == "under-a-file":
        with pytest.raises(OutputError, match=r"file\.txt is a file, not a folder"):
            prelabel_files([missing], blocker / "tasks.json", news_schema)
    else:
        with read_only(tmp_path / "ro") as folder, pytest.raises(OutputError, match="cannot write"):
            prelabel_files([missing], folder / "tasks.json", news_schema)


def test_prelabel_never_overwrites_what_it_did_not_write(tmp_path: Path, news_schema: Schema) -> None:
    """--out on an input, or on a file that is not a task file, is refused; its own output is replaced."""
    articles = tmp_path / "news.json"
    articles.write_text(json.dumps([{"id": "a", "text": "Rebels attacked Kabul."}]), encoding="utf-8")
    before = articles.read_bytes()
    with pytest.raises(OutputError, match="is also an input"):
        prelabel_files([articles], articles, news_schema)
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": true}', encoding="utf-8")
    with pytest.raises(OutputError, match="exists and is not a task file annotate wrote"):
        prelabel_files([articles], notes, news_schema)
    assert articles.read_bytes() == before and notes.read_text(encoding="utf-8") == '{"mine": true}'
    out = tmp_path / "tasks.json"
    for _ in range(2):  # the second run replaces the first run's task file
        assert prelabel_files([articles], out, news_schema).tasks == 1


def test_prelabel_sigterm_leaves_no_temporary_file(tmp_path: Path) -> None:
    """SIGTERM while the task file is being written: exit 130, no hidden temporary file, no output."""
    path = tmp_path / "news.jsonl"
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    path.write_text(
        "\n".join(json.dumps({"id": str(n), "text": f"{text}\n\nUpdate {n}."}) for n in range(400)) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, "-m", "annotate", "prelabel", str(path), "--out", str(out / "tasks.json")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(out.glob(".tasks.json.*")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    assert list(out.glob(".tasks.json.*")), "the task file was never started"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert list(out.iterdir()) == []
