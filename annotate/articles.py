"""Read news articles from files and folders, normalise their text and give them stable ids.

Text is normalised once, here, before any offset is computed; everything downstream (spaCy,
Label Studio, the dataset) sees exactly the normalised text that the task carries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.document import Article
from annotate.errors import ArticleError
from annotate.offsets import normalize_with_offsets
from annotate.records import Record, records

SUFFIXES = (".txt", ".jsonl", ".json", ".csv", ".parquet")
META_FIELDS = ("title", "url", "published")
#: Longest article read by default (spaCy's own ``max_length``); longer ones are refused.
MAX_ARTICLE_CHARS = 1_000_000


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
    max_chars: int = MAX_ARTICLE_CHARS,
) -> Iterator[Article]:
    """Yield the articles in ``paths`` (files or folders), streamed, each once.

    ``.txt`` files hold one article (its metadata ``file`` is the file's path under the folder
    given, or its name); ``.jsonl``/``.json`` hold objects with a ``text`` field and optional
    ``id``, ``title``, ``url``, ``published`` (other scalar fields are kept as metadata);
    ``.csv`` and ``.parquet`` need a ``text`` column. Folders are read recursively in name order;
    files of other types are listed in ``report.ignored_files``.

    An article's id is the given one, else the hash of its normalised text. An article whose
    text already appeared (under any id) is listed in ``report.duplicates`` and not yielded
    again; an id reused for another text is an error, and so is an article longer than
    ``max_chars`` characters (a book or a data dump rather than news; pre-labelling it would take
    minutes and gigabytes).

    Every record is read on its own (``annotate.records``): with ``skip_invalid`` a bad record
    is listed in ``report.skipped`` and the records after it are read as usual, so the articles
    read, skipped and reported as duplicates add up to the records of the input.

    Raises:
        ArticleError: naming the file and line, for undecodable bytes, malformed JSON or CSV, a
            missing ``text`` column or field, an empty or too long article or a clashing id; with
            ``skip_invalid`` these are recorded in ``report.skipped`` instead.
    """
    report = report if report is not None else ReadReport()
    seen_text: dict[str, str] = {}
    seen_id: dict[str, str] = {}
    for path, name in expand_paths(paths, report):
        for source, record in records(path):
            try:
                article = article_of(record, source, path, name, max_chars)
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


def article_of(record: Record, source: str, path: Path, name: str, max_chars: int) -> Article:
    """One record of ``path`` (named ``name`` under the folder given) as an article.

    Raises:
        ArticleError: the record could not be read, or is not an article, or is too long.
    """
    if isinstance(record, ArticleError):
        raise record
    if path.suffix.lower() == ".txt":
        record["file"] = name
    article = _to_article(record, source)
    if len(article.text) > max_chars:
        raise ArticleError(
            f"{source}: the article has {len(article.text):,} characters, more than the limit of "
            f"{max_chars:,}; split it into articles, or raise the limit (--max-chars)"
        )
    return article


def expand_paths(paths: Iterable[str | Path], report: ReadReport) -> Iterator[tuple[Path, str]]:
    """The article files of ``paths``, each with its name relative to the folder given."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.suffix.lower() in SUFFIXES and not child.name.startswith("."):
                    yield child, child.relative_to(path).as_posix()
                else:
                    report.ignored_files.append(str(child))
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise ArticleError(
                    f"{path}: unsupported file type {path.suffix!r}; use one of {', '.join(SUFFIXES)}"
                )
            yield path, path.name
        else:
            raise ArticleError(f"{path}: no such file or folder")


def _to_article(record: dict[str, Any], source: str) -> Article:
    text = record.get("text")
    if text is None or (isinstance(text, float) and text != text):  # NaN from a table
        raise ArticleError(f"{source}: no 'text' field; every article needs its text")
    if not isinstance(text, str):
        raise ArticleError(f"{source}: 'text' must be a string, got {type(text).__name__}")
    text, offsets = normalize_with_offsets(text)
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
    return Article(id=article_id, text=text, meta=meta, source=source, offsets=offsets)
