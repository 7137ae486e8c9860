"""``ordered_map``: the one process pool, in input order, bounded, errors at their item's turn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from annotate.workers import ordered_map


def _square_or_fail(number: int) -> int:
    if number == 5:
        raise ValueError("five")
    return number * number


def test_ordered_map_keeps_input_order_and_raises_at_the_failing_item() -> None:
    """Results come in input order from two processes; the item that fails raises after the others."""
    seen: list[int] = []
    results = ordered_map(_square_or_fail, range(8), workers=2, start="spawn")
    with pytest.raises(ValueError, match="five"):
        for result in results:
            seen.append(result)
    assert seen == [0, 1, 4, 9, 16]


def test_ordered_map_reads_the_input_lazily() -> None:
    """At most ``in_flight`` items are taken ahead of the result being waited for."""
    taken: list[int] = []

    def numbers() -> Iterator[int]:
        for number in range(100):
            taken.append(number)
            yield number

    results = ordered_map(_square_or_fail, numbers(), workers=2, start="fork", in_flight=3)
    assert next(results) == 0
    assert len(taken) == 3
    results.close()
