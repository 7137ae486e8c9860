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


@dataclass(frozen=True, slots=True)
class TaskKey:
    """What the strategies need of a task: its random draw, its confidence, its event types."""

    draw: bytes
    confidence: float
    types: frozenset[str]


def task_key(task: dict[str, Any], index: int, seed: str = "annotate") -> TaskKey:
    """The key of ``task``, at position ``index`` of the input (see the module doc)."""
    return TaskKey(_draw(seed, task, index), _confidence(task), frozenset(_event_types(task)))


@dataclass
class Sample:
    """Which tasks were chosen (their input positions) and what the choice covers."""

    picked: frozenset[int]
    total: int
    strategy: str
    event_types: Counter[str] = field(default_factory=Counter)  # predicted types over all tasks
    covered: set[str] = field(default_factory=set)  # types predicted in the chosen tasks


def choose(keys: Sequence[TaskKey], n: int, strategy: str) -> Sample:
    """The ``n`` tasks ``strategy`` chooses among the tasks of ``keys`` (see the module doc).

    Only the keys are held, so the tasks themselves can stream past (``annotate push --sample``
    spools them to disk and reads them again).

    Raises:
        AnnotateError: an unknown strategy or a negative ``n``.
    """
    if strategy not in STRATEGIES:
        raise AnnotateError(f"unknown sampling strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if n < 0:
        raise AnnotateError(f"cannot sample {n} tasks; give a number of tasks to push")
    drawn = sorted(range(len(keys)), key=lambda i: keys[i].draw)
    counts: Counter[str] = Counter(t for key in keys for t in key.types)
    if strategy == "random":
        order = drawn
    else:
        by_confidence = sorted(drawn, key=lambda i: keys[i].confidence)
        types = [key.types for key in keys]
        order = by_confidence if strategy == "uncertain" else _stratified(by_confidence, types, counts)
    picked = frozenset(order[:n])
    covered = {t for i in picked for t in keys[i].types}
    return Sample(picked, len(keys), strategy, counts, covered)


def sample_tasks(
    tasks: Sequence[dict[str, Any]], n: int, strategy: str, seed: str = "annotate"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Sample]:
    """The chosen tasks and the rest (each in input order), and the ``Sample``: ``choose`` on
    tasks held in memory."""
    sample = choose([task_key(task, i, seed) for i, task in enumerate(tasks)], n, strategy)
    chosen = [task for i, task in enumerate(tasks) if i in sample.picked]
    rest = [task for i, task in enumerate(tasks) if i not in sample.picked]
    return chosen, rest, sample


def _stratified(by_confidence: list[int], types: Sequence[frozenset[str]], counts: Counter[str]) -> list[int]:
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
