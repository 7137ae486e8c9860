"""Measure each entity fix of ``annotate_entities`` on the gold corpora (leave-one-out and cumulative).

Usage (from the repository root, with ../shared/eval beside it)::

    .venv/bin/python bench/entity_fixes.py [--eval-dir ../shared/eval]

Prints entity P/R/F1 (ALL, micro) per corpus for: the raw model mapped onto the schema, each
fix alone, all fixes, and all fixes but one. A fix is kept when it helps.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from annotate.pipeline import ALL_FIXES, build_nlp
from annotate.pipeline.entities import DEFAULT_FIXES
from annotate.quality.evaluate import evaluate
from annotate.schema import load_schema

CORPORA = {
    "meantime": Path("meantime/derived_meantime_en.jsonl"),
    "wikievents": Path("wikievents/dev.jsonl"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"), help="Gold corpora folder.")
    args = parser.parse_args()
    if not args.eval_dir.is_dir():
        parser.error(
            f"{args.eval_dir}: no such folder; the development corpora are in ../shared/eval beside a "
            "development checkout (a clone elsewhere has none): pass --eval-dir"
        )
    schema = load_schema()
    nlp = build_nlp(schema)
    fixer = nlp.get_pipe("annotate_entities")
    configs: list[tuple[str, list[str]]] = [("none (raw NER, mapped)", [])]
    configs += [(f"only {fix}", [fix]) for fix in ALL_FIXES]
    configs += [("all", list(ALL_FIXES)), ("default (all that help everywhere)", list(DEFAULT_FIXES))]
    configs += [(f"all but {fix}", [f for f in ALL_FIXES if f != fix]) for fix in ALL_FIXES]
    print(f"{'fixes':<26}" + "".join(f"{name + ' P/R/F1':>26}" for name in CORPORA))
    for label, fixes in configs:
        fixer.fixes = frozenset(fixes)
        cells = []
        for name, path in CORPORA.items():
            report = evaluate(args.eval_dir / path, name, schema, nlp=nlp, fixes=fixes)
            prf = report.entities["ALL"]
            cells.append(f"{100 * prf.precision:.1f} / {100 * prf.recall:.1f} / {100 * prf.f1:.1f}")
        print(f"{label:<26}" + "".join(f"{cell:>26}" for cell in cells), flush=True)


if __name__ == "__main__":
    main()
