"""One push at a time per project: a lock file per server and project title, on this machine.

Two pushes to the same project at once would both find a task missing and both create it. The
lock serialises them: the second waits until the first is done, then finds everything the first
created. The lock is an ``flock`` on a file in a private folder of the user (``$XDG_RUNTIME_DIR``
or the temporary folder), so it is released however the process ends, SIGKILL included. Pushes
from other machines are not serialised by it; push repairs what they duplicate instead
(``annotate.studio.projects``, ``annotate.studio.importer``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from annotate.errors import StudioError
from annotate.studio.connection import is_loopback


def lock_folder() -> Path:
    """The user's private folder of lock files (created with mode 700).

    Raises:
        StudioError: the folder exists but belongs to another user or others may write to it.
    """
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    folder = Path(base) / f"annotate-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise StudioError(f"{folder} is not a private folder of this user; remove it and try again")
    return folder


def _key(url: str, title: str) -> str:
    parts = urlsplit(url.lower())
    host = "loopback" if is_loopback(url) else parts.hostname
    return hashlib.sha256(f"{parts.scheme}://{host}:{parts.port}|{title}".encode()).hexdigest()[:24]


@contextlib.contextmanager
def push_lock(url: str, title: str, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the lock of pushes to project ``title`` on the server at ``url`` for the block.

    When another push holds it, ``on_wait`` is called once and the block waits for it.
    """
    path = lock_folder() / f"push-{_key(url, title)}.lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock
