"""Batches of a push, sent one at a time on a background thread.

The next batch is read, checked and measured while the server imports the previous one; batches
go out in order, never two at once, and the error of a batch is raised in the pushing thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

#: Label Studio takes at most 200 MB a request and the client times out; stay far below.
MAX_BATCH_BYTES = 20 * 1024 * 1024

Send = Callable[[list[dict[str, Any]]], object]


class Sender:
    """Runs one send at a time on a background thread."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="annotate-push")
        self._pending: Future[object] | None = None

    def submit(self, send: Send, items: list[dict[str, Any]]) -> None:
        """Wait for the send in flight, then start ``send(items)``."""
        self.wait()
        self._pending = self._pool.submit(send, items)

    def wait(self) -> None:
        """Wait for the send in flight; its error, if any, is raised here."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        """Wait for the send in flight (its error is dropped: another one is on its way up)."""
        self._pool.shutdown(wait=True)


class Batch:
    """Items gathered until ``size`` of them or ``MAX_BATCH_BYTES`` of JSON, then sent."""

    def __init__(self, sender: Sender, send: Send, size: int) -> None:
        self.sender, self.send, self.size = sender, send, size
        self.items: list[dict[str, Any]] = []
        self.bytes = 0

    def add(self, item: dict[str, Any]) -> None:
        """Add ``item``; the gathered items are sent first if it would not fit."""
        weight = len(json.dumps(item, ensure_ascii=False).encode("utf-8"))
        if self.items and (len(self.items) >= self.size or self.bytes + weight > MAX_BATCH_BYTES):
            self.flush()
        self.items.append(item)
        self.bytes += weight

    def flush(self) -> None:
        """Send what is gathered."""
        if self.items:
            self.sender.submit(self.send, self.items)
            self.items, self.bytes = [], 0
