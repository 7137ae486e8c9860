"""Rebuild a few MEANTIME (Wikinews) articles as plain-text seed documents.

MEANTIME (CC BY 4.0, (c) 2015 FBK, VU Amsterdam, UPV/EHU) stores each article as
Penn-Treebank-style tokens without whitespace.  This script joins the tokens back
into readable English (see ``detokenize``), takes sentence 0 as the title and
sentence 1 as the dateline, and writes ``seeds/meantime_wikinews.jsonl``.

Rerun from the repository root (standard library only)::

    python seeds/build_meantime.py            # reads ../shared/eval/meantime/derived_meantime_en.jsonl
    python seeds/build_meantime.py --source /path/to/derived_meantime_en.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "eval" / "meantime" / "derived_meantime_en.jsonl"
DEFAULT_OUTPUT = REPO_ROOT / "seeds" / "meantime_wikinews.jsonl"
SOURCE_LABEL = "Wikinews via MEANTIME (CC BY 4.0)"

# Chosen for event variety: appointment, bankruptcy, lawsuit, purchase, air crash, market turmoil.
DOC_IDS = ("1007169", "125796", "58383", "71426", "129865", "62405")

RSQUO, NDASH, MDASH = "\u2019", "\u2013", "\u2014"
NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", "%", ")", "]", "''", "'", "\u201d", RSQUO, "..."}
CLITICS = {"'s", "'re", "'ve", "'ll", "'d", "'m", "n't", RSQUO + "s"}
NO_SPACE_AFTER = {"(", "[", "$", "US$", "CA$", "AU$", "USD$", "€", "£", "¥", "#", "``", "`", "“"}
CONTRACTION_TAILS = {"m", "ll", "d", "re", "ve", "s"}  # MEANTIME splits "I'm" as "I'" + "m"
DIGITS = re.compile(r"^\d")


def normalize(tok: str) -> str:
    """Map PTB-specific tokens to plain text."""
    if tok in {"``", "''", "“", "”"}:
        return '"'
    if tok == "`":
        return "'"
    if tok == "#":  # "#" is MEANTIME's mangled pound sign: "GB # 20.1" -> "GB£20.1"
        return "£"
    return MDASH if tok == "--" else tok


def detokenize(tokens: list[str]) -> str:
    """Join PTB-style tokens into text with conventional English spacing."""
    out: list[str] = []
    quote_open = False  # state of straight '"' tokens, which alternate open/close
    glue_next = False  # previous token forbids a following space
    prev = ""
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        is_range = tok == "--" and bool(DIGITS.match(prev)) and bool(DIGITS.match(nxt))
        text = NDASH if is_range else normalize(tok)  # "30 -- 40" -> "30-40" with an en dash
        glue = glue_next or not out
        glue_next = False
        if tok == '"':
            quote_open = not quote_open
            if quote_open:
                glue_next = True
            else:
                glue = True
        elif tok in NO_SPACE_BEFORE or tok in CLITICS or (prev, tok) == ("GB", "#"):
            glue = True
        elif prev.endswith("'") and prev[:-1].isalpha() and tok in CONTRACTION_TAILS:
            glue = True  # "I'" + "m" -> "I'm"
        if tok in NO_SPACE_AFTER or is_range:
            glue_next = True
        glue = glue or is_range
        out.append(text if glue else " " + text)
        prev = tok
    return "".join(out).strip()


def parse_date(text: str) -> str | None:
    """Return an ISO date for a dateline such as "March 01, 2008", else None."""
    for fmt in ("%B %d, %Y", "%d %B %Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def build_record(doc: dict[str, object]) -> dict[str, object]:
    """Turn one derived_meantime_en.jsonl document into a seed record."""
    tokens = doc["tokens"]
    sent_ids = doc["sentence_ids"]
    assert isinstance(tokens, list) and isinstance(sent_ids, list)
    sentences: dict[int, list[str]] = {}
    for tok, sid in zip(tokens, sent_ids, strict=True):
        sentences.setdefault(int(sid), []).append(str(tok))
    texts = [detokenize(sentences[k]) for k in sorted(sentences)]
    title, rest = texts[0], texts[1:]
    published = parse_date(rest[0]) if rest else None
    if published is not None:
        rest = rest[1:]
    return {
        "id": f"meantime-{doc['doc_id']}",
        "title": title,
        "url": doc["url"],
        "published": published,
        "source": SOURCE_LABEL,
        "text": " ".join(rest),
    }


def write_atomic(path: Path, lines: list[str]) -> None:
    """Write UTF-8 text with LF endings via a temp file and os.replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.writelines(line + "\n" for line in lines)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; make it an ordinary repository file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="derived_meantime_en.jsonl")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="output .jsonl")
    args = parser.parse_args(argv)
    docs: dict[str, dict[str, object]] = {}
    with open(args.source, encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            docs[str(doc["doc_id"])] = doc
    missing = [d for d in DOC_IDS if d not in docs]
    if missing:
        parser.error(f"documents not found in {args.source}: {', '.join(missing)}")
    records = [build_record(docs[d]) for d in DOC_IDS]
    write_atomic(args.output, [json.dumps(r, ensure_ascii=False) for r in records])
    print(f"wrote {len(records)} articles to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
