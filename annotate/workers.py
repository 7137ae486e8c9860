"""Run a function over a stream of items in worker processes, results in input order, memory bounded.

The one process pool of annotate (pre-labelling with ``n_process``, the export of a large
snapshot): at most ``in_flight`` items are submitted ahead of the result being waited for, so
neither the inputs nor the results of a stream of any length pile up. ``fork`` workers inherit
the parent's loaded pipeline (nothing is pickled); ``spawn`` workers start clean (safe when the
parent runs threads) and get what they need through ``initializer``. An exception raised by
``func`` in a worker is raised here, at its item's turn; the pool is shut down when the
iteration ends, early or not.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Literal, TypeVar

X = TypeVar("X")
Y = TypeVar("Y")


def ordered_map(
    func: Callable[[X], Y],
    items: Iterable[X],
    *,
    workers: int,
    start: Literal["fork", "spawn"],
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    in_flight: int | None = None,
) -> Iterator[Y]:
    """``func(item)`` for every item, computed in ``workers`` processes, yielded in input order."""
    limit = in_flight or 2 * workers
    context = multiprocessing.get_context(start)
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs)
    try:
        pending: deque[Future[Y]] = deque()
        iterator = iter(items)
        for item in itertools.islice(iterator, limit):
            pending.append(pool.submit(func, item))
        while pending:
            yield pending.popleft().result()
            for item in itertools.islice(iterator, 1):  # read on only once the result is taken
                pending.append(pool.submit(func, item))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
