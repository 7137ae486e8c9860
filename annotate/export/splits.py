"""Deterministic, leak-free train/validation/test splits by article.

A document's split is a pure function of ``sha256(seed + group key)``: the hash, read as a number
in [0, 1), falls into one of the cumulative ratio intervals. Nothing else enters it (not the
number of documents, not their order), so adding articles never moves existing ones.

Near-duplicates (the same story from two outlets, a wire story with a new lead) would leak from
train into test if split independently. They are grouped first, and every member of a group uses
the group's smallest document id as its key, so a group lands in one split. Two texts are
near-duplicates when the Jaccard similarity of their word 5-gram sets is at least 0.5; groups are
the connected components of that relation.

A text's 5-grams are kept as its *signature*: the sorted, distinct 64-bit hashes of its shingles
in a NumPy array (``shingle_signature``; 8 bytes a shingle, the same in every process), so that
the export can keep the signatures of many articles and drop their texts.

Candidate pairs come from an exact prefix filter (as in the AllPairs set-similarity join): with
the shingles of every text ordered rarest first, two sets of Jaccard similarity >= t always share
one of the first ``|A| - ceil(t * |A|) + 1`` shingles of each. Those prefixes are mostly shingles
that occur in no other text, so each text meets few candidates, and only candidates get an exact
comparison: no O(n^2) scan, and no false negatives (unlike MinHash LSH).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from annotate.articles import text_hash
from annotate.document import Document
from annotate.errors import ExportError

DEFAULT_RATIOS: Mapping[str, float] = MappingProxyType({"train": 0.8, "validation": 0.1, "test": 0.1})
DEFAULT_SEED = "annotate"
#: Words per shingle.
SHINGLE_WORDS = 5
#: Jaccard similarity of shingle sets from which two texts count as near-duplicates.
DUPLICATE_THRESHOLD = 0.5
_WORD = re.compile(r"\w+")
_TOLERANCE = 1e-6
#: Odd multiplier combining the word hashes of a shingle (arithmetic modulo 2**64).
_MIX = np.uint64(0x9E3779B97F4A7C15)
_word_hashes: dict[str, int] = {}  # per process; the values are the same in every process

Signature = npt.NDArray[np.uint64]


def shingle_signature(text: str) -> Signature:
    """The sorted, distinct 64-bit hashes of the word 5-grams of ``text``.

    Words are lower-cased ``\\w+`` runs; a text of fewer than 5 words is one shingle, a text
    without words has none. Hashes come from BLAKE2b, not Python's salted ``hash``, so signatures
    made in different processes compare; two different shingles share a hash with probability
    about 2**-64.
    """
    words = _WORD.findall(text.lower())
    if not words:
        return np.empty(0, dtype=np.uint64)
    cache = _word_hashes
    if len(cache) > 1_000_000:
        cache.clear()
    hashes = []
    for word in words:
        value = cache.get(word)
        if value is None:
            value = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
            cache[word] = value
        hashes.append(value)
    array = np.array(hashes, dtype=np.uint64)
    width = min(SHINGLE_WORDS, len(words))
    combined = array[: len(array) - width + 1].copy()
    for offset in range(1, width):
        combined *= _MIX
        combined ^= array[offset : len(array) - width + 1 + offset]
    combined += np.uint64(width)  # a short text's one shingle differs from a 5-gram of the same words
    return np.unique(combined)


def assign_splits(
    docs: Sequence[Document], ratios: Mapping[str, float] = DEFAULT_RATIOS, seed: str = DEFAULT_SEED
) -> dict[str, str]:
    """Map each document id to a split name.

    The split of a document depends only on ``seed``, its group key and ``ratios`` (whose order
    sets the order of the intervals). Its group key is its own id, or, if it has near-duplicates
    among ``docs``, the smallest id of its group (see ``near_duplicate_groups``).

    Limitation: grouping depends on the documents present. An existing document moves only when
    its group key changes: when a new article is a near-duplicate of it and has a smaller id, or
    when a new article bridges two groups (it is a near-duplicate of a member of each), which then
    merge and take the smaller of their two keys, so the other group may move to another split.
    Use ids that never sort before existing ones (e.g. prefixed with the ingestion date) to avoid
    the first case; the second is the price of keeping duplicates together.

    Args:
        docs: the documents to split; several documents of one article (one task's annotators,
            same id and source) share its split; the same id from two tasks is an error.
        ratios: split name -> share of documents; positive, summing to 1.
        seed: salt of the hash; change it to draw a different split.

    Raises:
        ExportError: the ratios are empty, not positive or do not sum to 1, or an id repeats.
    """
    check_ratios(ratios)
    origins = [f"{doc.article.source} (text {text_hash(doc.article.text)})" for doc in docs]
    check_unique([doc.article.id for doc in docs], origins)
    first: dict[str, Document] = {}
    for doc in docs:
        first.setdefault(doc.article.id, doc)
    ids = list(first)
    return assign_signed_splits(ids, [shingle_signature(first[i].article.text) for i in ids], ratios, seed)


def assign_signed_splits(
    ids: Sequence[str],
    signatures: Sequence[Signature],
    ratios: Mapping[str, float] = DEFAULT_RATIOS,
    seed: str = DEFAULT_SEED,
) -> dict[str, str]:
    """``assign_splits`` for documents given by id and ``shingle_signature`` (ids unique)."""
    bounds = check_ratios(ratios)
    key_of = dict(zip(ids, ids, strict=True))
    for group in _groups(dict(zip(ids, signatures, strict=True)), DUPLICATE_THRESHOLD):
        key = min(group)
        key_of.update(dict.fromkeys(group, key))
    return {doc_id: _split(seed + key, bounds) for doc_id, key in key_of.items()}


def check_unique(ids: Sequence[str], sources: Sequence[str] | None = None) -> None:
    """Raise ``ExportError`` naming the first document id that two articles share.

    With ``sources`` (where each document came from, e.g. its task), an id may repeat for
    documents of the same source (the annotations of one task by several annotators).
    """
    seen: dict[str, str | None] = {}
    for number, doc_id in enumerate(ids):
        source = sources[number] if sources is not None else None
        if doc_id in seen and (sources is None or seen[doc_id] != source):
            where = f" ({seen[doc_id]} and {source})" if sources is not None else ""
            raise ExportError(
                f"document id {doc_id!r} appears twice{where}; each article must be split once: give "
                "each article its own id"
            )
        seen.setdefault(doc_id, source)


def near_duplicate_groups(
    texts: Mapping[str, str], threshold: float = DUPLICATE_THRESHOLD
) -> list[list[str]]:
    """Groups (of two or more ids, each sorted) of texts linked by near-duplicate pairs.

    Two texts are near-duplicates when the Jaccard similarity of their sets of word 5-grams
    (lower-cased ``\\w+`` words; a text of fewer words is one shingle) is at least ``threshold``.
    Groups are sorted by their first id.
    """
    return _groups({doc_id: shingle_signature(text) for doc_id, text in texts.items()}, threshold)


def _groups(signatures: Mapping[str, Signature], threshold: float) -> list[list[str]]:
    if not 0 < threshold <= 1:
        raise ExportError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
    ids = sorted(signatures)
    sets = [signatures[doc_id] for doc_id in ids]
    repeated, frequency = _repeated(sets)
    # Postings are grouped by the group (union-find root, possibly stale) of their texts: once a
    # text has joined a group, the group's other members need no comparison, so a story repeated
    # in thousands of texts costs one comparison per text instead of one per earlier copy.
    postings: dict[int, dict[int, list[int]]] = defaultdict(dict)
    parent = list(range(len(ids)))
    for index, shingles in enumerate(sets):
        size = len(shingles)
        prefix_length = size - math.ceil(threshold * size) + 1
        if not size or not len(repeated):
            continue
        where = np.minimum(np.searchsorted(repeated, shingles), len(repeated) - 1)
        found = repeated[where] == shingles
        shared, counts = shingles[found], frequency[where[found]]
        unique = size - len(shared)
        if not len(shared) or unique >= prefix_length:
            continue
        # Shingles found in one text only come first in the order and can find no candidate.
        prefix = shared[np.lexsort((shared, counts))][: prefix_length - unique].tolist()
        compared: set[int] = set()
        for shingle in prefix:
            for root, members in postings.get(shingle, {}).items():
                if _find(parent, root) == _find(parent, index):
                    continue  # already in this text's group
                for other in members:
                    if other not in compared:
                        compared.add(other)
                        if _jaccard(shingles, sets[other]) >= threshold:
                            _union(parent, index, other)
                            break
        root = _find(parent, index)
        for shingle in prefix:
            postings[shingle].setdefault(root, []).append(index)
    groups: dict[int, list[str]] = defaultdict(list)
    for index, doc_id in enumerate(ids):
        groups[_find(parent, index)].append(doc_id)
    return sorted((members for members in groups.values() if len(members) > 1), key=lambda g: g[0])


def _repeated(sets: Sequence[Signature]) -> tuple[Signature, npt.NDArray[np.int64]]:
    """The shingles found in more than one text (sorted) and the number of texts of each."""
    if not sets:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    every = np.concatenate(sets)
    every.sort()
    # Runs of equal values in the sorted shingles, found without copying them: memory is that of
    # the shingles once, plus a byte per shingle.
    edges = np.diff((every[1:] == every[:-1]).view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    del edges
    return every[starts], (ends - starts + 1).astype(np.int64)


def _jaccard(a: Signature, b: Signature) -> float:
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def _find(parent: list[int], index: int) -> int:
    while parent[index] != index:
        parent[index] = parent[parent[index]]
        index = parent[index]
    return index


def _union(parent: list[int], a: int, b: int) -> None:
    root_a, root_b = _find(parent, a), _find(parent, b)
    if root_a != root_b:
        parent[max(root_a, root_b)] = min(root_a, root_b)


#: What a split may be named: it becomes a file name in the export, so no path separators or dots.
_SPLIT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


def check_ratios(ratios: Mapping[str, float]) -> list[tuple[float, str]]:
    """The cumulative bounds of ``ratios``; ``ExportError`` if they are empty, not positive, do
    not sum to 1, or a split name is not a plain word (it becomes a file name)."""
    if not ratios:
        raise ExportError("split ratios are empty; give at least one split, e.g. train=1.0")
    names = [name for name in ratios if not _SPLIT_NAME.fullmatch(name) or name == "silver"]
    if names:
        raise ExportError(
            f"split names {', '.join(map(repr, names))} are not allowed: a split is named with letters, "
            "digits and _ (starting with a letter), and 'silver' is reserved for --silver"
        )
    bad = {name: share for name, share in ratios.items() if not share > 0 or not math.isfinite(share)}
    if bad:
        raise ExportError(f"split ratios must be positive, got {bad}")
    total = math.fsum(ratios.values())
    if abs(total - 1) > _TOLERANCE:
        raise ExportError(f"split ratios must sum to 1, got {dict(ratios)} (sum {total:g})")
    bounds, running = [], 0.0
    for name, share in ratios.items():
        running += share
        bounds.append((running, name))
    return bounds


def _split(key: str, bounds: list[tuple[float, str]]) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    for bound, name in bounds:
        if position < bound:
            return name
    return bounds[-1][1]  # the sum may fall short of 1 by rounding
