"""Pass 2 of the export: the spilled rows, split by article, streamed into one Parquet file per
configuration and split, and counted for the card on the way.

Chunks are read back in order, one at a time; each chunk's rows are dealt to their splits and
buffered until a row group is full, so memory holds about one row group per split and
configuration. The Parquet schema carries the ``datasets`` features in its metadata (as
``datasets`` writes it), so ``load_dataset`` gives back the ``ClassLabel`` s.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

from annotate.export.card import CardStats, SplitCounts, count_spans
from annotate.export.stage import spill_path
from annotate.export.views import DOCUMENT_COLUMNS

#: Rows per Parquet row group, by configuration.
ROW_GROUP_ROWS = {"documents": 1000, "tokens": 20000}
#: Columns of the spill files that are not in the dataset.
HIDDEN = ("_doc", "_meta", "_entity_order", "_event_order")

#: Called with the configuration, split and rows (dataset columns plus ``HIDDEN`` ones) of a chunk.
Sink = Callable[[str, str, pa.Table], None]


def write_configs(
    spill: Path,
    chunks: Sequence[npt.NDArray[np.int16]],
    splits: Sequence[str],
    features: dict[str, Features],
    out: Path,
    sinks: Sequence[Sink] = (),
) -> CardStats:
    """Write ``{config}/{split}-00000-of-00001.parquet`` under ``out`` from the spill.

    ``chunks[n][d]`` is the index in ``splits`` of document ``d`` of chunk ``n``. Every split
    gets a file in every configuration, empty if it has no rows. The spill files are deleted
    once read. ``sinks`` see every chunk's rows of each split too.
    """
    stats = CardStats(features, {config: dict.fromkeys(splits, 0) for config in features}, {})
    stats.spans = {split: SplitCounts() for split in splits}
    for config, config_features in features.items():
        schema = config_features.arrow_schema
        meta_keys = [name for name in schema.names if config == "documents" and name not in _FIXED]
        files = _Files(out / config, schema, ROW_GROUP_ROWS[config])
        for number, codes in enumerate(chunks):
            path = spill_path(spill, config, number)
            with pa.OSFile(str(path)) as source:
                table = pa.ipc.open_stream(source).read_all()
            path.unlink()
            if not table.num_rows:
                continue
            row_codes = codes[table.column("_doc").to_numpy()]
            for index, split in enumerate(splits):
                mask = row_codes == index
                if not mask.any():
                    continue
                part = table.filter(pa.array(mask))
                for sink in sinks:
                    sink(config, split, part)
                stats.rows[config][split] += part.num_rows
                if config == "documents":
                    count_spans(stats.spans[split], part.column("entities"), part.column("events"))
                    part = _with_meta(part, meta_keys)
                files.add(split, part.select(schema.names).cast(schema))
            del table
        files.close(splits)
    return stats


_FIXED = DOCUMENT_COLUMNS


class _Files:
    """One Parquet writer per split, fed whole row groups."""

    def __init__(self, folder: Path, schema: pa.Schema, group_rows: int) -> None:
        self.folder, self.schema, self.group_rows = folder, schema, group_rows
        self.buffers: dict[str, list[pa.Table]] = {}
        self.buffered: Counter[str] = Counter()
        self.writers: dict[str, pq.ParquetWriter] = {}

    def add(self, split: str, table: pa.Table) -> None:
        self.buffers.setdefault(split, []).append(table)
        self.buffered[split] += table.num_rows
        if self.buffered[split] >= self.group_rows:
            self._flush(split)

    def close(self, splits: Sequence[str]) -> None:
        """Write what is buffered and close every file (a split without rows gets an empty one)."""
        for split in splits:
            self._flush(split)
            (self.writers.pop(split, None) or self._open(split)).close()

    def _flush(self, split: str) -> None:
        buffer = self.buffers.pop(split, [])
        self.buffered.pop(split, None)
        if buffer:
            writer = self.writers.get(split) or self._open(split)
            writer.write_table(pa.concat_tables(buffer), row_group_size=self.group_rows)

    def _open(self, split: str) -> pq.ParquetWriter:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{split}-00000-of-00001.parquet"
        writer = self.writers[split] = pq.ParquetWriter(str(path), self.schema)
        return writer


def _with_meta(part: pa.Table, meta_keys: Sequence[str]) -> pa.Table:
    """``part`` with a string column per metadata key, from its ``_meta`` JSON."""
    if not meta_keys:
        return part
    metas = [json.loads(meta) if meta else {} for meta in part.column("_meta").to_pylist()]
    for key in meta_keys:
        part = part.append_column(key, pa.array([meta.get(key) for meta in metas], pa.string()))
    return part
