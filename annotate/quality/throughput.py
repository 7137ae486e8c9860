"""How much each annotator did and how fast: submitted tasks and median lead time."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from typing import TypedDict


class Throughput(TypedDict):
    """Tasks one annotator submitted and their median lead time in seconds (``None``: unknown)."""

    tasks: int
    median_lead_time: float | None


def throughput(annotations: Iterable[tuple[str, float | None]]) -> dict[str, Throughput]:
    """Count each annotator's submitted tasks and the median lead time (seconds) of those timed.

    Args:
        annotations: ``(annotator, lead time in seconds or None)`` per submitted annotation.

    Returns:
        Per annotator (sorted), ``tasks`` and ``median_lead_time`` (``None`` if none was timed).
    """
    times: dict[str, list[float | None]] = defaultdict(list)
    for name, lead_time in annotations:
        times[name].append(lead_time)
    summary: dict[str, Throughput] = {}
    for name in sorted(times):
        timed = [t for t in times[name] if t is not None]
        median = statistics.median(timed) if timed else None
        summary[name] = Throughput(tasks=len(times[name]), median_lead_time=median)
    return summary
