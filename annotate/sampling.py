"""Only the working set in Label Studio: choose the pre-labelled tasks worth a person's time.

``sample_tasks`` splits tasks into the ``n`` to push and the rest, by one of three strategies:

- ``random``: an order drawn from a hash of the seed and the document id, so the same input and
  seed give the same sample, and a task added later never changes which earlier ones are drawn;
- ``uncertain``: the lowest prediction confidence first (the prediction's ``score``, the mean of
  its regions' scores; a task without one counts as the least confident), ties in the random order;
- ``stratified``: rare event types first. Event types are counted over all predictions; taking
  the types from the rarest up, round after round, each takes its least confident task not yet
  chosen, so every predicted type is covered as early as possible; tasks with no event fill the
  rest by uncertainty.

The rest stay outside Label Studio as silver predictions (``annotate export --silver-from``).
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from annotate.errors import AnnotateError
from annotate.labelstudio.labelconfig import EVENT_CONTROL

STRATEGIES = ("random", "uncertain", "stratified")


@dataclass
class Sample:
    """The tasks chosen (in input order), the others, and what the choice covers."""

    chosen: list[dict[str, Any]]
    rest: list[dict[str, Any]]
    strategy: str
    event_types: Counter[str] = field(default_factory=Counter)  # predicted types over all tasks
    covered: set[str] = field(default_factory=set)  # types predicted in the chosen tasks


def sample_tasks(tasks: Sequence[dict[str, Any]], n: int, strategy: str, seed: str = "annotate") -> Sample:
    """The ``n`` tasks ``strategy`` chooses and the rest (see the module doc).

    Raises:
        AnnotateError: an unknown strategy or a negative ``n``.
    """
    if strategy not in STRATEGIES:
        raise AnnotateError(f"unknown sampling strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if n < 0:
        raise AnnotateError(f"cannot sample {n} tasks; give a number of tasks to push")
    drawn = sorted(range(len(tasks)), key=lambda i: _draw(seed, tasks[i], i))
    types = [_event_types(task) for task in tasks]
    counts: Counter[str] = Counter(t for found in types for t in found)
    if strategy == "random":
        order = drawn
    else:
        by_confidence = sorted(drawn, key=lambda i: _confidence(tasks[i]))
        order = by_confidence if strategy == "uncertain" else _stratified(by_confidence, types, counts)
    picked = set(order[:n])
    chosen = [task for i, task in enumerate(tasks) if i in picked]
    rest = [task for i, task in enumerate(tasks) if i not in picked]
    covered = {t for i in picked for t in types[i]}
    return Sample(chosen, rest, strategy, counts, covered)


def _stratified(by_confidence: list[int], types: list[set[str]], counts: Counter[str]) -> list[int]:
    """Round-robin over event types, rarest first, each taking its least confident free task."""
    queues = {name: deque(i for i in by_confidence if name in types[i]) for name in counts}
    rarest_first = sorted(counts, key=lambda name: (counts[name], name))
    order: list[int] = []
    taken: set[int] = set()
    while any(queues.values()):
        for name in rarest_first:
            queue = queues[name]
            while queue and queue[0] in taken:
                queue.popleft()
            if queue:
                taken.add(queue[0])
                order.append(queue.popleft())
    return order + [i for i in by_confidence if i not in taken]


def _draw(seed: str, task: dict[str, Any], index: int) -> bytes:
    data = task.get("data")
    found = data if isinstance(data, dict) else {}
    key = str(found.get("doc_id") or found.get("text_hash") or index)
    return hashlib.sha256(f"{seed}\x00{key}".encode()).digest()


def _confidence(task: dict[str, Any]) -> float:
    predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    scores = [p["score"] for p in predictions if isinstance(p.get("score"), int | float)]
    return min(scores) if scores else float("-inf")


def _event_types(task: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for prediction in task.get("predictions") or []:
        for region in prediction.get("result") or [] if isinstance(prediction, dict) else []:
            if isinstance(region, dict) and region.get("from_name") == EVENT_CONTROL:
                found.update((region.get("value") or {}).get("labels") or [])
    return found
