"""Does learning from the gold beat the rules? Cross-validated by article on the dev corpora.

Usage (from the repository root, with ../shared/eval beside it)::

    .venv/bin/python bench/learning_bench.py [--eval-dir ../shared/eval] [--folds 5] [--skip-speed]

- events, WikiEvents dev: k-fold by article; in each fold the layers are trained on the other
  folds (``annotate.training.train.fit``, gate on) and scored on the fold; the predictions of all
  folds are pooled and scored once (micro P/R/F1), for the rules alone and for learned+rules;
- entities, MEANTIME: train on three of the sub-corpora airbus / apple / gm / stock, score on the
  fourth (four rounds, pooled): raw spaCy, rules, learned+rules (names, GPE/LOC/FAC as one class);
- speed: training time on the MEANTIME articles, and ``prelabel`` with a trained model against
  raw ``nlp.pipe`` of the base model on the same texts (ratio of articles per second).

Nothing here is tuned per fold: every setting is the library's default.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

from annotate.document import Document, Event, names_only
from annotate.pipeline import build_nlp, load_model
from annotate.prelabel import prelabel_documents
from annotate.quality.corpora import load_meantime
from annotate.quality.metrics import PRF, score_entities, score_events
from annotate.schema import load_schema
from annotate.training.gold import GoldSet, GoldSource, load_gold
from annotate.training.train import Scoring, fit, train

MEASURES = (
    "trigger_identification",
    "trigger_classification",
    "argument_identification",
    "argument_classification",
)


def _keep_roles(document: Document, roles: set[str]) -> Document:
    events = [
        Event(e.id, e.type, e.trigger, [a for a in e.arguments if a.role in roles]) for e in document.events
    ]
    return Document(document.article, document.entities, events)


def _cell(prf: PRF) -> str:
    return f"{100 * prf.precision:5.1f} {100 * prf.recall:5.1f} {100 * prf.f1:5.1f}"


def events_cv(eval_dir: Path, folds: int) -> None:
    schema = load_schema()
    gold = load_gold([GoldSource(eval_dir / "wikievents" / "dev.jsonl", "wikievents")], schema).documents
    order = sorted(gold, key=lambda d: hashlib.sha256(d.article.id.encode()).hexdigest())
    parts = [order[i::folds] for i in range(folds)]
    rules = build_nlp(schema)
    pooled: dict[str, list[Document]] = {"rules": [], "learned+rules": []}
    layers = []
    for number, test in enumerate(parts):
        train_docs = [d for d in order if d not in test]
        fitted = fit(train_docs, test, schema)
        layers.append(fitted.layers)
        pooled["learned+rules"] += prelabel_documents([d.article for d in test], schema, nlp=fitted.nlp)
        pooled["rules"] += prelabel_documents([d.article for d in test], schema, nlp=rules)
        print(f"  fold {number + 1}/{folds}: layers {fitted.layers}", flush=True)
    types = {e.type for d in gold for e in d.events}
    roles = {a.role for d in gold for e in d.events for a in e.arguments}
    print(f"\nEvents, WikiEvents dev, {folds}-fold by article ({len(gold)} articles); P R F1")
    print(f"{'measure':<26}" + "".join(f"{name:>20}" for name in pooled))
    scores = {
        name: score_events([_keep_roles(d, roles) for d in docs], gold, types)
        for name, docs in pooled.items()
    }
    for measure in MEASURES:
        print(f"{measure:<26}" + "".join(f"{_cell(scores[name][measure]):>20}" for name in pooled))


def entities_cross_domain(eval_dir: Path) -> list[Document]:
    schema = load_schema()
    path = eval_dir / "meantime" / "derived_meantime_en.jsonl"
    corpus = load_meantime(path)
    subcorpus = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        subcorpus[f"meantime-{record['doc_id']}"] = str(record["subcorpus"]).removeprefix("corpus_")
    by_domain: dict[str, list[Document]] = {}
    for document in corpus.documents:
        by_domain.setdefault(subcorpus[document.article.id], []).append(document)
    raw, rules = build_nlp(schema, fixes=()), build_nlp(schema)
    pooled: dict[str, list[Document]] = {"raw spaCy": [], "rules": [], "learned+rules": []}
    gold: list[Document] = []
    for domain, test in sorted(by_domain.items()):
        train_docs = [d for other, docs in by_domain.items() if other != domain for d in docs]
        fitted = fit(train_docs, test, schema, scoring=Scoring(corpus.equivalent, corpus.names_only))
        print(
            f"  held-out domain {domain}: {len(train_docs)} train / {len(test)} test, layers {fitted.layers}"
        )
        for system in ("raw", "rules", "learned"):
            print(f"    gate's entity figures, {system}: {fitted.figures[system]['entity']}")
        articles = [d.article for d in test]
        pooled["raw spaCy"] += prelabel_documents(articles, schema, nlp=raw)
        pooled["rules"] += prelabel_documents(articles, schema, nlp=rules)
        pooled["learned+rules"] += prelabel_documents(articles, schema, nlp=fitted.nlp)
        gold += test
    labels = {s.label for d in gold for s in d.entities}
    print("\nEntities, MEANTIME, train on three domains, test on the fourth (pooled); P R F1")
    for name, docs in pooled.items():
        names = [names_only(document) for document in docs]  # MEANTIME marks names only
        prf = score_entities(names, gold, labels, corpus.equivalent)["ALL"]
        print(f"{name:<16}{_cell(prf)}")
    return corpus.documents


def speed(documents: list[Document]) -> None:
    schema = load_schema()
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        report = train(GoldSet(documents), schema, Path(scratch) / "model")
        seconds = time.perf_counter() - started
        held = report.eval_articles
        print(f"\nTraining on {report.train_articles} MEANTIME articles (+{held} held out): {seconds:.0f} s")
        texts = [d.article.text for d in documents]
        base = load_model()
        started = time.perf_counter()
        list(base.pipe(texts))
        raw_rate = len(texts) / (time.perf_counter() - started)
        trained = build_nlp(schema, str(Path(scratch) / "model"))
        started = time.perf_counter()
        list(prelabel_documents([d.article for d in documents], schema, nlp=trained))
        rate = len(texts) / (time.perf_counter() - started)
    ratio = rate / raw_rate
    print(f"prelabel, trained model: {rate:.1f} articles/s; raw nlp.pipe {raw_rate:.1f}; ratio {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"), help="Gold corpora folder.")
    parser.add_argument("--folds", type=int, default=5, help="Folds of the WikiEvents cross-validation.")
    parser.add_argument("--skip-speed", action="store_true", help="Leave out the training and speed figures.")
    parser.add_argument("--only", choices=("events", "entities"), help="Run one part only.")
    args = parser.parse_args()
    if not args.eval_dir.is_dir():
        parser.error(
            f"{args.eval_dir}: no such folder; the dev corpora are in ../shared/eval beside a checkout"
        )
    if args.only != "entities":
        events_cv(args.eval_dir, args.folds)
    if args.only != "events":
        documents = entities_cross_domain(args.eval_dir)
        if not args.skip_speed:
            speed(documents)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
