"""Read external gold corpora (MEANTIME, WikiEvents) into ``Document``s with character offsets.

The readers rebuild a text from the tokens and map labels with ``mappings/*.yaml``; whatever
cannot be mapped is left out and counted by reason (``"entity:type=FIN"``, ...).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from annotate.document import Argument, Article, Document, Event, Span
from annotate.errors import EvaluationError

#: Label prefix of entity mentions kept only because they fill an event argument.
UNMAPPED_PREFIX = "X-"

_APOSTROPHES = ("'", "\u2019")
_GLUE_LEFT = frozenset({",", ".", ";", ":", "!", "?", "%", ")", "]", "}", "''", "\u201d", *_APOSTROPHES})
_GLUE_RIGHT = frozenset({"(", "[", "{", "$", "\u00a3", "\u20ac", "``", "`", "\u201c", "\u2018"})
_CLITIC_RE = re.compile(r"^(?:'[A-Za-z]+|n't|N'T)$")
_CONTRACTION_TAILS = frozenset({"s", "m", "d", "ll", "re", "ve", "t"})

_Offsets = list[tuple[int, int]]
_Record = dict[str, Any]
_Skips = Counter[str]
_Documents = Iterator[Document]


@dataclass
class GoldCorpus:
    """A gold corpus: its documents, what was excluded (by reason) and labels scored as one."""

    documents: list[Document]
    skipped: Counter[str] = field(default_factory=Counter)
    equivalent: tuple[tuple[str, ...], ...] = ()
    names_only: bool = False  # gold entities are names only: score predicted names only


class _Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _MeantimeMapping(_Mapping):
    syntactic_types: list[str]
    entities: dict[str, str | None]
    equivalent: list[tuple[str, ...]] = []
    event_type: str = "EVENT"


class _EventRule(_Mapping):
    kairos: str
    ace: str | None
    roles: dict[str, str | None] = {}


class _KairosMapping(_Mapping):
    entities: dict[str, str | None]
    events: list[_EventRule]

    def rule(self, event_type: str) -> _EventRule | None:
        """Return the first rule matching ``event_type`` ("Prefix.*" also matches "Prefix")."""
        names = (event_type, f"{event_type}.")
        return next((rule for rule in self.events if any(fnmatchcase(n, rule.kairos) for n in names)), None)


_M = TypeVar("_M", bound=_Mapping)
_Converter = Callable[[_Record, str, _M, _Skips], Document]


def _load_mapping(name: str, model: type[_M], path: str | Path | None = None) -> _M:
    """Load and validate a label mapping: ``path``, else ``mappings/<name>.yaml`` of the package."""
    resource: Any = (
        Path(path) if path else resources.files("annotate.quality").joinpath("mappings", f"{name}.yaml")
    )
    try:
        return model.model_validate(yaml.safe_load(resource.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise EvaluationError(f"mapping {resource}: cannot be loaded ({exc}); fix the file") from exc


def detokenize(tokens: Sequence[str], sentence_ids: Sequence[int] = ()) -> tuple[str, _Offsets]:
    """Join tokens into readable text; return it with each token's ``(start, end)`` offsets.

    No space goes before closing punctuation and clitics (``,`` ``)`` ``'s`` ``n't``) or after
    opening brackets, currency signs and opening quotes; straight double quotes alternate
    between opening and closing. With ``sentence_ids`` (one per token), the first two sentences (the
    headline and the dateline) end with a line break; the other sentences are separated by a single space.
    """
    parts: list[str] = []
    offsets: _Offsets = []
    quote_open = False
    # The headline and the dateline (the first two sentences) end with a line break.
    starts = [i for i in range(1, len(sentence_ids)) if sentence_ids[i] != sentence_ids[i - 1]][:2]
    for index, token in enumerate(tokens):
        glued = index == 0 or _glued(tokens[index - 1], token, quote_open)
        separator = "\n" if index in starts else "" if glued else " "
        quote_open ^= token == '"'
        start = (offsets[-1][1] if offsets else 0) + len(separator)
        parts.extend((separator, token))
        offsets.append((start, start + len(token)))
    return "".join(parts), offsets


def _glued(previous: str, token: str, quote_open: bool) -> bool:
    """Say whether ``token`` follows ``previous`` without a space (``quote_open``: after a ``"``)."""
    opens = previous in _GLUE_RIGHT or previous.endswith("$") or (quote_open and previous == '"')
    closes = token in _GLUE_LEFT or bool(_CLITIC_RE.match(token)) or (quote_open and token == '"')
    return opens or closes or (previous.endswith(_APOSTROPHES) and token.lower() in _CONTRACTION_TAILS)


def _span(span_id: str, label: str, tokens: tuple[int, int], offsets: _Offsets, text: str) -> Span:
    """Build a span over tokens ``[first, end)`` (``ValueError`` if they are out of range)."""
    first, end = tokens
    if not 0 <= first < end <= len(offsets):
        raise ValueError(f"token span {first}-{end} of {span_id!r} is outside 0-{len(offsets)}")
    start, stop = offsets[first][0], offsets[end - 1][1]
    return Span(id=span_id, start=start, end=stop, label=label, text=text[start:stop])


def _read(path: str | Path, convert: _Converter[_M], mapping: _M, skipped: _Skips | None) -> _Documents:
    """Check now that ``path`` is a file, then convert its lines lazily."""
    if not Path(path).is_file():
        raise EvaluationError(f"{path}: gold corpus file not found; check the path")
    return _documents(Path(path), convert, mapping, Counter() if skipped is None else skipped)


def _documents(path: Path, convert: _Converter[_M], mapping: _M, skipped: _Skips) -> _Documents:
    """Convert every non-blank line; bad JSON or a malformed record raise ``EvaluationError``."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield convert(json.loads(line), f"{path}:{number}", mapping, skipped)
            except json.JSONDecodeError as exc:
                raise EvaluationError(f"{path}:{number}: not valid JSON ({exc.msg}); fix the line") from exc
            except EvaluationError:
                raise
            except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
                problem = f"malformed record ({type(exc).__name__}: {exc})"
                raise EvaluationError(f"{path}:{number}: {problem}; fix the line") from exc


def read_meantime(path: str | Path, skipped: Counter[str] | None = None) -> Iterator[Document]:
    """Read the derived MEANTIME JSON-lines file, one ``Document`` per line.

    Entities are the named mentions (``NAM``, ``PRE.NAM``) with a mapped type; event mentions
    become ``EVENT`` triggers without arguments (for ``trigger_precision``). Non-contiguous
    entity mentions are skipped; non-contiguous event mentions are split into one trigger per
    contiguous piece. ``skipped`` (optional) receives what was excluded, by reason. Raises
    ``EvaluationError`` if the file is missing, a line is not JSON or a record is malformed.
    """
    return _read(path, _meantime_document, _load_mapping("meantime", _MeantimeMapping), skipped)


def load_meantime(path: str | Path) -> GoldCorpus:
    """Read MEANTIME into a ``GoldCorpus`` with the exclusion counts and equivalent label groups."""
    mapping = _load_mapping("meantime", _MeantimeMapping)
    names = set(mapping.syntactic_types) <= {"NAM", "PRE.NAM"}
    corpus = GoldCorpus([], equivalent=tuple(mapping.equivalent), names_only=names)
    corpus.documents.extend(read_meantime(path, corpus.skipped))
    return corpus


def _meantime_document(record: _Record, source: str, mapping: _MeantimeMapping, skipped: _Skips) -> Document:
    """Turn one MEANTIME record into a ``Document``."""
    # Only the first sentences of each article are annotated: cut the text after the last
    # annotated one, so predictions on unannotated text do not count as false positives.
    sentence_ids = [int(sentence) for sentence in record["sentence_ids"]]
    mentions = [*record["entity_mentions"], *record["event_mentions"]]
    last = max((sentence_ids[int(m["token_start"])] for m in mentions), default=sentence_ids[-1])
    keep = sum(1 for sentence in sentence_ids if sentence <= last)
    tokens = [str(token) for token in record["tokens"][:keep]]
    text, offsets = detokenize(tokens, sentence_ids[:keep])
    meta = {"title": text.split("\n", 1)[0], "url": str(record.get("url") or "")}
    article = Article(id=f"meantime-{record['doc_id']}", text=text, meta=meta, source=source)
    entities = []
    for mention in record["entity_mentions"]:
        if (label := _meantime_label(mention, mapping, skipped)) is not None:
            bounds = (mention["token_start"], mention["token_end"])
            entities.append(_span(f"ent-{mention['m_id']}", label, bounds, offsets, text))
    events = []
    for mention in record["event_mentions"]:
        pieces = _pieces(mention, tokens)
        if len(pieces) != 1:
            skipped["event:non-contiguous (split)" if pieces else "event:words not found"] += 1
        for number, piece in enumerate(pieces):
            event_id = f"evt-{mention['m_id']}" + (f".{number}" if len(pieces) > 1 else "")
            trigger = _span(event_id, mapping.event_type, piece, offsets, text)
            events.append(Event(id=event_id, type=mapping.event_type, trigger=trigger))
    return Document(article=article, entities=entities, events=events)


def _meantime_label(mention: _Record, mapping: _MeantimeMapping, skipped: _Skips) -> str | None:
    """Return the mapped label of a MEANTIME entity mention, or None (counted) to skip it."""
    label = mapping.entities.get(str(mention.get("ent_type")))
    if not mention.get("contiguous", True):
        reason = "non-contiguous"
    elif (syntactic := mention.get("syntactic_type")) not in mapping.syntactic_types:
        reason = f"syntactic_type={syntactic or '<none>'}"
    elif label is None:
        reason = f"type={mention.get('ent_type') or '<none>'}"
    else:
        return label
    skipped[f"entity:{reason}"] += 1
    return None


def _pieces(mention: _Record, tokens: list[str]) -> list[tuple[int, int]]:
    """Return the token runs of an event mention's ``text`` words, aligned left to right in its range."""
    first, end = int(mention["token_start"]), int(mention["token_end"])
    words = str(mention["text"]).split()
    if tokens[first:end] == words:
        return [(first, end)]
    pieces: list[tuple[int, int]] = []
    position = first
    for word in words:
        position = next((index for index in range(position, end) if tokens[index] == word), -1)
        if position < 0:
            return []
        if pieces and pieces[-1][1] == position:
            pieces[-1] = (pieces[-1][0], position + 1)
        else:
            pieces.append((position, position + 1))
        position += 1
    return pieces


def read_wikievents(
    path: str | Path, skipped: Counter[str] | None = None, mapping: str | Path | None = None
) -> Iterator[Document]:
    """Read a WikiEvents JSON-lines split, one ``Document`` per line.

    The text is rebuilt from ``sentences`` (each word at its own character offset, gaps padded
    with spaces) because the ``text`` field drifts from those offsets. KAIROS types and roles
    are mapped onto ACE 2005; unmapped events and roles are dropped. Entity mentions with an
    unmapped type are kept as ``X-<type>`` only when they fill a kept argument. ``skipped`` and
    errors are as for ``read_meantime``. ``mapping`` replaces the packaged KAIROS mapping with a
    file of the same form (``mappings/wikievents.yaml``), for OneIE-style corpora with other labels.
    """
    return _read(path, _wikievents_document, _load_mapping("wikievents", _KairosMapping, mapping), skipped)


def load_wikievents(path: str | Path, mapping: str | Path | None = None) -> GoldCorpus:
    """Read WikiEvents (or a OneIE-style corpus with ``mapping``) into a ``GoldCorpus``."""
    corpus = GoldCorpus([])
    corpus.documents.extend(read_wikievents(path, corpus.skipped, mapping))
    return corpus


def _wikievents_text(sentences: list[Any]) -> tuple[str, _Offsets]:
    """Place every ``[word, start, end]`` at its offsets and return the text and the offsets."""
    parts: list[str] = []
    offsets: _Offsets = []
    for word, start, end in (word for words, _sentence_text in sentences for word in words):
        length = offsets[-1][1] if offsets else 0
        if start < length or end - start != len(word):
            raise ValueError(f"word {word!r} at {start}-{end} overlaps the previous word or misfits")
        parts.extend((" " * (start - length), word))
        offsets.append((start, end))
    return "".join(parts), offsets


def _wikievents_document(record: _Record, source: str, mapping: _KairosMapping, skipped: _Skips) -> Document:
    """Turn one WikiEvents record into a ``Document``."""
    text, offsets = _wikievents_text(record["sentences"])
    title = str(record["sentences"][0][1]) if record["sentences"] else ""
    article = Article(id=f"wikievents-{record['doc_id']}", text=text, meta={"title": title}, source=source)
    ids = {str(mention["id"]) for mention in record["entity_mentions"]}
    events: list[Event] = []
    for mention in record["event_mentions"]:
        rule = mapping.rule(str(mention["event_type"]))
        if rule is None or rule.ace is None:
            skipped[f"event:type={mention['event_type']}"] += 1
            skipped["argument:of excluded event"] += len(mention["arguments"])
            continue
        bounds = (mention["trigger"]["start"], mention["trigger"]["end"])
        trigger = _span(str(mention["id"]), rule.ace, bounds, offsets, text)
        arguments = _wikievents_arguments(mention, rule, ids, skipped)
        events.append(Event(id=trigger.id, type=rule.ace, trigger=trigger, arguments=arguments))
    fillers = {argument.span_id for event in events for argument in event.arguments}
    entities = []
    for mention in record["entity_mentions"]:
        raw = str(mention["entity_type"])
        if (label := mapping.entities.get(raw)) is None:
            skipped[f"entity:type={raw}"] += 1
            if str(mention["id"]) not in fillers:
                continue
        bounds = (mention["start"], mention["end"])
        entities.append(_span(str(mention["id"]), label or UNMAPPED_PREFIX + raw, bounds, offsets, text))
    return Document(article=article, entities=entities, events=events)


def _wikievents_arguments(mention: _Record, rule: _EventRule, ids: set[str], skips: _Skips) -> list[Argument]:
    """Map the KAIROS roles of one event mention; unmapped roles are dropped and counted."""
    arguments = []
    for argument in mention["arguments"]:
        if (entity_id := str(argument["entity_id"])) not in ids:
            raise ValueError(f"argument of {mention['id']!r} points to unknown entity {entity_id!r}")
        if (role := rule.roles.get(str(argument["role"]))) is None:
            skips[f"argument:role={mention['event_type']}/{argument['role']}"] += 1
        else:
            arguments.append(Argument(role=role, span_id=entity_id))
    return arguments
