"""Read news articles from files and folders, normalise their text and give them stable ids.

Text is normalised once, here, before any offset is computed; everything downstream (spaCy,
Label Studio, the dataset) sees exactly the normalised text that the task carries.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotate.document import Article
from annotate.errors import ArticleError

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".txt", ".jsonl", ".json", ".csv", ".parquet")
META_FIELDS = ("title", "url", "published")
_CSV_CHUNK_ROWS = 2_000
# C0/C1 control characters except tab and newline; they break offsets in browsers and parsers.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\x85|\u2028|\u2029")


def normalize_text(text: str) -> str:
    """Return ``text`` in the one form every offset refers to.

    Unicode NFC; a leading BOM removed; CRLF, CR and Unicode line separators turned into LF;
    NUL and other control characters (except tab and newline) removed; leading and trailing
    white space stripped.
    """
    text = unicodedata.normalize("NFC", text.removeprefix("\ufeff"))
    text = _LINE_BREAK_RE.sub("\n", text)
    return _CONTROL_RE.sub("", text).strip()


def text_hash(text: str) -> str:
    """Hash of a normalised text: the identity of an article's content."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Problem:
    """An input that was skipped or reported, and where it came from."""

    source: str
    reason: str


@dataclass
class ReadReport:
    """What a read saw besides the articles it yielded: skipped input, duplicates, other files."""

    read: int = 0
    skipped: list[Problem] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)


def read_articles(
    paths: Iterable[str | Path],
    *,
    skip_invalid: bool = False,
    report: ReadReport | None = None,
) -> Iterator[Article]:
    """Yield the articles in ``paths`` (files or folders), streamed, each once.

    ``.txt`` files hold one article; ``.jsonl``/``.json`` hold objects with a ``text`` field and
    optional ``id``, ``title``, ``url``, ``published`` (other scalar fields are kept as
    metadata); ``.csv`` and ``.parquet`` need a ``text`` column. Folders are read recursively in
    name order; files of other types are listed in ``report.ignored_files``.

    An article's id is the given one, else the hash of its normalised text. An article whose
    text already appeared (under any id) is listed in ``report.duplicates`` and not yielded
    again; an id reused for another text is an error.

    Raises:
        ArticleError: naming the file and line, for undecodable bytes, malformed JSON, a
            missing ``text`` column or field, an empty article or a clashing id; with
            ``skip_invalid`` these are recorded in ``report.skipped`` instead.
    """
    report = report if report is not None else ReadReport()
    seen_text: dict[str, str] = {}
    seen_id: dict[str, str] = {}
    for path in _expand(paths, report):
        try:
            for source, record in _records(path):
                try:
                    article = _to_article(record, source)
                    digest = text_hash(article.text)
                    if digest in seen_text:
                        report.duplicates.append(Problem(source, f"same text as {seen_text[digest]}"))
                        continue
                    if article.id in seen_id:
                        raise ArticleError(
                            f"{source}: id {article.id!r} was already used for another text at "
                            f"{seen_id[article.id]}; give each article its own id"
                        )
                except ArticleError as err:
                    if not skip_invalid:
                        raise
                    report.skipped.append(Problem(source, str(err).removeprefix(f"{source}: ")))
                    continue
                seen_text[digest] = seen_id[article.id] = source
                report.read += 1
                yield article
        except ArticleError as err:
            # A whole-file problem (undecodable, unreadable table): skip the rest of the file.
            if not skip_invalid or not str(err).startswith(str(path)):
                raise
            report.skipped.append(Problem(str(path), str(err).removeprefix(f"{path}: ")))


def _expand(paths: Iterable[str | Path], report: ReadReport) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.suffix.lower() in SUFFIXES and not child.name.startswith("."):
                    yield child
                else:
                    report.ignored_files.append(str(child))
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise ArticleError(
                    f"{path}: unsupported file type {path.suffix!r}; use one of {', '.join(SUFFIXES)}"
                )
            yield path
        else:
            raise ArticleError(f"{path}: no such file or folder")


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix == ".txt":
        yield str(path), {"text": _read_text(path)}
    elif suffix == ".jsonl":
        yield from _jsonl_records(path)
    elif suffix == ".json":
        yield from _json_records(path)
    else:
        yield from _table_records(path)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ArticleError(
            f"{path}: line {line}: bytes are not UTF-8 (at byte {err.start}); re-encode the file as UTF-8"
        ) from None


def _jsonl_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            source = f"{path}:{number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ArticleError(f"{source}: bytes are not UTF-8; re-encode the file as UTF-8") from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ArticleError(f"{source}: malformed JSON ({err.msg} at column {err.colno})") from None
            yield source, _as_record(record, source)


def _json_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as err:
        raise ArticleError(f"{path}: line {err.lineno}: malformed JSON ({err.msg})") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ArticleError(f"{path}: expected an object or a list of objects with a 'text' field")
    for index, record in enumerate(data):
        source = f"{path}[{index}]"
        yield source, _as_record(record, source)


def _table_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        if path.suffix.lower() == ".csv":
            import pandas as pd

            with pd.read_csv(
                path, dtype=str, keep_default_na=False, chunksize=_CSV_CHUNK_ROWS, encoding="utf-8"
            ) as chunks:
                yield from _chunk_records(path, chunks, first_row=2)  # the header is line 1
        else:
            import pyarrow.parquet as pq

            with pq.ParquetFile(path) as parquet:
                batches = (b.to_pandas() for b in parquet.iter_batches(batch_size=_CSV_CHUNK_ROWS))
                yield from _chunk_records(path, batches, first_row=1)
    except UnicodeDecodeError:
        raise ArticleError(f"{path}: bytes are not UTF-8; re-encode the file as UTF-8") from None
    except (ValueError, OSError) as err:
        if isinstance(err, ArticleError):
            raise
        raise ArticleError(f"{path}: cannot read the table: {err}") from None


def _chunk_records(
    path: Path, chunks: Iterable[pd.DataFrame], first_row: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    offset = 0
    for chunk in chunks:
        if "text" not in chunk.columns:
            raise ArticleError(
                f"{path}: no 'text' column (columns: {', '.join(map(str, chunk.columns))}); "
                "name the column holding the article text 'text'"
            )
        for position, record in enumerate(chunk.to_dict(orient="records")):
            yield f"{path}:row {offset + position + first_row}", {str(k): v for k, v in record.items()}
        offset += len(chunk)


def _as_record(record: Any, source: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise ArticleError(
            f"{source}: expected a JSON object with a 'text' field, got {type(record).__name__}"
        )
    return record


def _to_article(record: dict[str, Any], source: str) -> Article:
    text = record.get("text")
    if text is None or (isinstance(text, float) and text != text):  # NaN from a table
        raise ArticleError(f"{source}: no 'text' field; every article needs its text")
    if not isinstance(text, str):
        raise ArticleError(f"{source}: 'text' must be a string, got {type(text).__name__}")
    text = normalize_text(text)
    if not text:
        raise ArticleError(f"{source}: the article is empty; remove it or fill in its text")
    given = record.get("id")
    article_id = text_hash(text) if given is None or str(given).strip() == "" else str(given).strip()
    meta = {
        key: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        for key, value in record.items()
        if key not in ("text", "id")
        and value is not None
        and not (isinstance(value, float) and value != value)
    }
    return Article(id=article_id, text=text, meta=meta, source=source)
