"""The local server's credentials: its URL and the admin's login and token, in a 0600 file.

``credentials.json`` in the server's data dir is written with mode 600 before any secret goes
into it, and refused when others can read it; messages about it never contain the secrets.
"""

from __future__ import annotations

import json
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path

from annotate.atomic import atomic_writer
from annotate.errors import StudioError

DEFAULT_DIR = Path(".annotate/studio")
CREDENTIALS_FILE = "credentials.json"


@dataclass(frozen=True)
class Credentials:
    """How to reach a local server: its URL and the admin's login and legacy API token."""

    url: str
    username: str
    password: str = field(repr=False)
    token: str = field(repr=False)


def save_credentials(path: str | Path, creds: Credentials) -> None:
    """Write ``creds`` as JSON to ``path`` atomically, readable by the owner only (mode 600)."""
    with atomic_writer(path, mode=0o600) as handle:  # 0600 before any secret is written
        json.dump(asdict(creds), handle, indent=2)
        handle.write("\n")


def load_credentials(path: str | Path) -> Credentials:
    """Read credentials saved by ``save_credentials``; refuse a file others can read."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise StudioError(f"{path}: no credentials file; start a server with `annotate studio up`") from None
    if mode & 0o077:
        raise StudioError(f"{path} is readable by other users ({stat.filemode(mode)}); run chmod 600 {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:  # messages name positions, never the content
        raise StudioError(f"{path}: unreadable credentials ({error}); fix or delete the file") from None
    keys = ("url", "username", "password", "token")
    if not isinstance(data, dict) or not all(isinstance(data.get(key), str) and data[key] for key in keys):
        raise StudioError(f"{path}: credentials need non-empty string fields {', '.join(keys)}")
    return Credentials(**{key: data[key] for key in keys})
