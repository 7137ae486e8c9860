"""Splits by article: deterministic, stable when articles are added, near-duplicates kept together."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter

import pytest

from annotate.document import Article, Document
from annotate.errors import ExportError
from annotate.export.splits import assign_splits, near_duplicate_groups, shingle_signature

from .conftest import REPO

VOCABULARY = [f"word{n}" for n in range(2000)]


def _sentence(rng: random.Random, words: int = 10) -> str:
    return " ".join(rng.choices(VOCABULARY, k=words)).capitalize() + "."


def _story(rng: random.Random, sentences: int = 8) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _docs(count: int, seed: int, prefix: str = "doc") -> list[Document]:
    rng = random.Random(seed)
    return [Document(Article(f"{prefix}-{n:04d}", _story(rng))) for n in range(count)]


def _doc(doc_id: str, text: str) -> Document:
    return Document(Article(doc_id, text))


def test_assign_splits_follows_sha256_of_seed_and_id() -> None:
    """A lone article's split is read off sha256("annotate" + id) against 0.8 / 0.9."""
    # First bytes of the digests: 0x47 (71/256 = 0.28 -> train), 0xda (218/256 = 0.85 ->
    # validation), 0xec (236/256 = 0.92 -> test).
    docs = [
        _doc("article-001", "Rebels attacked Kabul on Monday."),
        _doc("article-029", "Police arrested John Smith in Paris."),
        _doc("article-028", "The central bank raised interest rates again."),
    ]
    assert assign_splits(docs) == {"article-001": "train", "article-029": "validation", "article-028": "test"}


def test_assign_splits_is_deterministic_across_runs() -> None:
    """Two interpreters with different string-hash salts draw the same splits as this one."""
    docs = _docs(60, seed=1)
    rng = random.Random(2)
    docs += [_doc(f"dup-{n:04d}", _sentence(rng) + doc.article.text[60:]) for n, doc in enumerate(docs[:20])]
    script = (
        "import json, sys\n"
        "from annotate.document import Article, Document\n"
        "from annotate.export.splits import assign_splits\n"
        "texts = json.load(sys.stdin)\n"
        "docs = [Document(Article(i, t)) for i, t in texts.items()]\n"
        "print(json.dumps(assign_splits(docs), sort_keys=True))\n"
    )
    payload = json.dumps({doc.article.id: doc.article.text for doc in docs})
    expected = assign_splits(docs)
    for salt in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": salt}
        done = subprocess.run(
            [sys.executable, "-c", script],
            input=payload,
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env=env,
        )
        assert json.loads(done.stdout) == expected


def test_assign_splits_adding_articles_moves_none() -> None:
    """Adding 50 new articles leaves the split of each of 200 existing ones unchanged."""
    existing = _docs(200, seed=3)
    before = assign_splits(existing)
    after = assign_splits(existing + _docs(50, seed=4, prefix="new"))
    assert {doc_id: after[doc_id] for doc_id in before} == before
    assert len(after) == 250


def test_assign_splits_keeps_near_duplicates_together() -> None:
    """The same story with a different first sentence lands in the split of the original."""
    originals = _docs(100, seed=5)
    rng = random.Random(6)
    rewrites = [
        _doc(f"outlet-b-{n:04d}", _sentence(rng) + " " + doc.article.text.split(". ", 1)[1])
        for n, doc in enumerate(originals[:30])
    ]
    split = assign_splits(originals + rewrites)
    for n, doc in enumerate(originals[:30]):
        assert split[f"outlet-b-{n:04d}"] == split[doc.article.id]
    # 30 pairs drawn independently would agree with probability about 0.66 ** 30; the test has
    # teeth only if the pairs did not all land in train by chance.
    assert len({split[doc.article.id] for doc in originals[:30]}) > 1


def test_assign_splits_group_takes_split_of_smallest_id() -> None:
    """A near-duplicate takes the split its group's smallest id would get on its own."""
    text = _story(random.Random(7))
    alone = assign_splits([_doc("article-029", text)])["article-029"]
    rewrite = "A different lead sentence opens this version. " + text.split(". ", 1)[1]
    together = assign_splits([_doc("article-029", text), _doc("zz-rewrite", rewrite)])
    assert together == {"article-029": alone, "zz-rewrite": alone}
    assert alone == "validation"


def test_near_duplicate_groups_threshold_on_shingle_jaccard() -> None:
    """Groups are made at word 5-gram Jaccard >= 0.5 and not below."""
    # a: {abcde, bcdef}; b: {abcde, bcdef, cdefg} -> 2/3 with a; c: {abcde, bcdex, cdexy} ->
    # 1/4 with a, 1/5 with b; d is 1 shingle identical to e (< 5 words: the whole text).
    texts = {
        "a": "A b c d e f",
        "b": "a b c d, e f g.",
        "c": "a b c d e x y",
        "d": "Short text",
        "e": "short TEXT!",
        "f": "",
    }
    assert near_duplicate_groups(texts) == [["a", "b"], ["d", "e"]]


def test_shingle_signature_is_the_same_in_another_process() -> None:
    """Signatures hash shingles with BLAKE2b, not the salted str hash: another process agrees."""
    text = "Rebels attacked Kabul on Monday. Police arrested John Smith in Paris."
    code = (
        f"from annotate.export.splits import shingle_signature\nprint(shingle_signature({text!r}).tolist())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    here = shingle_signature(text)
    assert json.loads(other.stdout) == here.tolist()
    assert len(here) == 11 - 5 + 1  # 11 words, 7 distinct 5-grams
    assert here.tolist() == sorted(set(here.tolist()))


def test_near_duplicate_groups_joins_chains() -> None:
    """A text similar to two others joins them into one group even if they are not similar."""
    # x (words 1-10) and y (words 3-12) have 6 shingles each, 4 shared: J = 4 / 8 = 0.5;
    # z: words 5-14 shares 4 with y (0.5) and 2 with x (2/10).
    words = [f"w{n}" for n in range(1, 15)]
    texts = {"x": " ".join(words[0:10]), "y": " ".join(words[2:12]), "z": " ".join(words[4:14])}
    assert near_duplicate_groups(texts) == [["x", "y", "z"]]
    assert near_duplicate_groups({"x": texts["x"], "z": texts["z"]}) == []


def test_assign_splits_respects_ratios_on_1000_articles() -> None:
    """On 1000 unrelated articles each split's share is within 3 points of its ratio."""
    counts = Counter(assign_splits(_docs(1000, seed=10)).values())
    assert set(counts) == {"train", "validation", "test"}
    for split, ratio in {"train": 0.8, "validation": 0.1, "test": 0.1}.items():
        assert abs(counts[split] / 1000 - ratio) <= 0.03


def test_assign_splits_accepts_custom_ratios_within_tolerance() -> None:
    """Ratios summing to 1 up to float rounding are accepted; one split takes everything."""
    docs = _docs(20, seed=8)
    split = assign_splits(docs, {"train": 0.7, "validation": 0.2, "test": 0.1})
    assert set(split.values()) <= {"train", "validation", "test"}
    assert set(assign_splits(docs, {"all": 1.0}).values()) == {"all"}


@pytest.mark.parametrize(
    "ratios",
    [
        {},
        {"train": 0.8, "test": 0.1},
        {"train": 0.8, "validation": 0.1, "test": 0.1 + 2e-6},
        {"train": 1.0, "test": 0.0},
        {"train": 1.2, "test": -0.2},
        {"train": float("nan"), "test": 1.0},
    ],
)
def test_assign_splits_rejects_bad_ratios(ratios: dict[str, float]) -> None:
    """Empty, non-positive or not-summing-to-1 ratios raise ExportError."""
    with pytest.raises(ExportError, match="ratios"):
        assign_splits(_docs(3, seed=9), ratios)


def test_assign_splits_rejects_repeated_ids() -> None:
    """Two documents with one id cannot be split."""
    with pytest.raises(ExportError, match="'same' appears twice"):
        assign_splits([_doc("same", "One text."), _doc("same", "Another text.")])
