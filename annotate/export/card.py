"""The dataset card (``README.md``): YAML that declares the configurations and their features, and a
body generated from the export run, so the card tells the truth about the data it sits beside.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow.compute as pc
from datasets import DatasetInfo, Features, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData

from annotate.schema import Schema

CONFIGS = ("documents", "tokens")


@dataclass
class CardFacts:
    """Figures of one export run that the card reports."""

    name: str
    policy: str
    schema: Schema
    annotators: int
    model_versions: list[str]
    left_out: Counter[str] = field(default_factory=Counter)
    problems: int = 0
    alignment_issues: int = 0
    silver: bool = False
    quality: Mapping[str, Any] | None = None
    license: str | None = None  # a Hub licence id (e.g. cc-by-4.0); "unknown" in the card when None


@dataclass
class SplitCounts:
    """Spans of one split of the ``documents`` configuration; labels by ``ClassLabel`` id."""

    entities: int = 0
    events: int = 0
    arguments: int = 0
    entity_labels: Counter[int] = field(default_factory=Counter)
    event_types: Counter[int] = field(default_factory=Counter)


@dataclass
class CardStats:
    """Features, rows per split and span counts of the configurations a card describes."""

    features: dict[str, Features]  # configuration -> features
    rows: dict[str, dict[str, int]]  # configuration -> split -> rows
    spans: dict[str, SplitCounts]  # split of ``documents`` -> its spans


def count_spans(counts: SplitCounts, entities: Any, events: Any) -> None:
    """Add the spans of Arrow ``entities`` and ``events`` list columns to ``counts`` (counting
    row by row in Python costs seconds per thousand articles)."""
    entities, events = pc.list_flatten(entities), pc.list_flatten(events)
    counts.entities += len(entities)
    counts.events += len(events)
    counts.arguments += len(pc.list_flatten(pc.struct_field(events, "arguments")))
    counts.entity_labels.update(_value_counts(entities, "label"))
    counts.event_types.update(_value_counts(events, "type"))


def card_text(stats: CardStats, facts: CardFacts) -> str:
    """The whole ``README.md``: YAML header (configs, features, splits) and a generated body."""
    articles = sum(stats.rows.get("documents", {}).values())
    data = DatasetCardData(
        pretty_name=f"{facts.name} (news entities and events)",
        language=["en"],
        license=facts.license or "unknown",
        annotations_creators=["machine-generated", "expert-generated"],  # pre-annotated, then corrected
        language_creators=["found"],
        multilinguality=["monolingual"],
        source_datasets=["original"],
        size_categories=[size_category(articles)],
        task_categories=["token-classification"],
        task_ids=["named-entity-recognition"],
        tags=["named-entity-recognition", "event-extraction", "label-studio", "annotate"],
    )
    infos = DatasetInfosDict()
    for config, rows in stats.rows.items():
        splits = SplitDict()
        for split, count in rows.items():
            splits.add(SplitInfo(name=split, num_examples=count))
        infos[config] = DatasetInfo(features=stats.features[config], config_name=config, splits=splits)
    infos.to_dataset_card_data(data)
    MetadataConfigs(
        {
            config: {"data_files": [{"split": s, "path": f"{config}/{s}-*.parquet"} for s in rows]}
            for config, rows in stats.rows.items()
        }
    ).to_dataset_card_data(data)
    return str(DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{_body(stats, facts)}"))


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` value for ``n`` examples."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]
    return next((name for bound, name in bounds if n < bound), "1M<n<10M")


def _guidelines(schema: Schema) -> list[str]:
    """The annotation guidelines: the schema's definitions, as annotators saw them as hints."""
    lines = ["## Annotation guidelines", "", schema.description.strip(), "", "| entity label | definition |"]
    lines += ["|---|---|", *(f"| {e.name} | {e.description} |" for e in schema.entities), ""]
    lines += ["| event type | definition | roles (fillers) |", "|---|---|---|"]
    for event in schema.events:
        roles = "; ".join(f"{role} ({', '.join(fillers)})" for role, fillers in event.roles.items())
        lines.append(f"| {event.name} | {event.description} | {roles} |")
    lines += [
        "",
        "| role | definition |",
        "|---|---|",
        *(f"| {r.name} | {r.description} |" for r in schema.roles),
    ]
    return [*lines, ""]


def _body(stats: CardStats, facts: CardFacts) -> str:
    schema = facts.schema
    lines = [
        f"# {facts.name}",
        "",
        "News articles with gold **entity spans** and **event mentions** (ACE 2005 event types, with",
        "arguments linked to entity spans by role), pre-annotated by `annotate` and corrected by people in",
        "Label Studio. Generated by `annotate export`; every figure below was computed from the files here.",
        "",
        "```python",
        "from datasets import load_dataset",
        'documents = load_dataset("<path or repo>", "documents")  # one row per article, span lists',
        'tokens = load_dataset("<path or repo>", "tokens")        # one row per sentence, BIO tags',
        "```",
        "",
        "Loading with the typed features needs `datasets>=4` (span lists use its `List` feature; older",
        "versions fail with \"Feature type 'List' not found\").",
        "",
        "## Provenance",
        "",
        f"- Gold selection policy: `{facts.policy}`"
        + (" (plus a `silver` split of unreviewed predictions: NOT gold)" if facts.silver else ""),
        f"- Annotators: {facts.annotators} people who corrected the pre-annotations in Label Studio"
        " (their names are not published; each span's `annotator` is a pseudonymous id)",
        f"- Licence: {facts.license or 'not stated (exported without --license)'}",
        f"- Schema: `{schema.name}` version `{schema.version}`",
        "- Pre-annotation model versions: "
        + (", ".join(f"`{v}`" for v in facts.model_versions) or "none recorded"),
        f"- Tasks left out: {_counts(facts.left_out) or 'none'}",
        f"- Invalid spans left out: {facts.problems}; spans snapped or dropped in the token view: "
        f"{facts.alignment_issues} (see `export_report.json`)",
        "",
        "Every span records where it came from: `origin` (`prediction` accepted unchanged, `edited`,",
        "`manual`), `annotator`, `timestamp` and the `model_version` that predicted it.",
        "",
        "## Splits",
        "",
        "Assigned by article (a hash of the document id, near-duplicate articles grouped), so no article",
        "spans two splits and adding articles never moves existing ones.",
        "",
        "| split | articles | entities | events | arguments |",
        "|---|---|---|---|---|",
    ]
    for split, counts in stats.spans.items():
        articles = stats.rows["documents"][split]
        lines.append(f"| {split} | {articles} | {counts.entities} | {counts.events} | {counts.arguments} |")
    lines += [
        "",
        "## Labels",
        "",
        "Label ids follow the schema's order and never change; new labels are appended.",
        "",
    ]
    entity_labels = {split: counts.entity_labels for split, counts in stats.spans.items()}
    event_types = {split: counts.event_types for split, counts in stats.spans.items()}
    lines += _label_table(entity_labels, schema.entity_labels, "entity label")
    lines += _label_table(event_types, schema.event_types, "event type")
    if facts.quality:
        lines += ["", "## Quality", "", "```json", _json(facts.quality), "```"]
    lines += ["", *_guidelines(schema)]
    return "\n".join(lines) + "\n"


def _label_table(counts: Mapping[str, Counter[int]], names: list[str], title: str) -> list[str]:
    splits = list(counts)
    rows = [f"| {title} | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits)]
    for index, name in enumerate(names):
        if any(counts[s][index] for s in splits):
            rows.append(f"| {name} | " + " | ".join(str(counts[s][index]) for s in splits) + " |")
    unused = [n for i, n in enumerate(names) if not any(counts[s][i] for s in splits)]
    return [*rows, "", f"Declared but absent: {', '.join(unused)}." if unused else "", ""]


def _value_counts(spans: Any, key: str) -> Counter[int]:
    found = pc.value_counts(pc.struct_field(spans, key))
    values, tallies = found.field("values").to_pylist(), found.field("counts").to_pylist()
    return Counter(dict(zip(values, tallies, strict=True)))


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{reason}: {count}" for reason, count in counter.most_common())


def _json(data: Mapping[str, Any]) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False)
