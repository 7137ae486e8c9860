"""Which Label Studio to talk to, with which API key, and whether that key may be sent there.

The key goes only to the server it belongs to: one given as an option or in the environment goes
to the URL given the same way; the local server's key (``credentials.json`` of ``annotate studio
up``) goes only to the local server's own URL, never to another one named in the environment.
Over plain ``http://`` a key crosses the network in clear, so that is refused for any host but
the loopback interface unless the caller says the network is trusted (``insecure``).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from annotate.errors import StudioError
from annotate.studio.credentials import CREDENTIALS_FILE, DEFAULT_DIR, load_credentials

URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"


@dataclass(frozen=True)
class Connection:
    """A server URL and the API key to send there."""

    url: str
    api_key: str = field(repr=False)


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine's loopback interface (``localhost``, 127.0.0.0/8, ::1)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def same_server(a: str, b: str) -> bool:
    """Whether two URLs name the same server (scheme, host and port; any loopback host is one)."""
    first, second = urlsplit(a.lower()), urlsplit(b.lower())
    if first.scheme != second.scheme or _port(first.scheme, first.port) != _port(second.scheme, second.port):
        return False
    return first.hostname == second.hostname or (is_loopback(a) and is_loopback(b))


def _port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else {"http": 80, "https": 443}.get(scheme)


def resolve_connection(
    url: str | None = None,
    api_key: str | None = None,
    *,
    studio_dir: Path = DEFAULT_DIR,
    insecure: bool = False,
) -> Connection:
    """URL and API key: given values, else the environment, else the local server's credentials.

    Raises:
        StudioError: nothing to connect to; a URL without its key (the local server's key is
            never sent elsewhere); a malformed URL; ``http://`` to another host than loopback
            without ``insecure``.
    """
    url = url or os.environ.get(URL_ENV) or None
    api_key = api_key or os.environ.get(KEY_ENV) or None
    if url is None or api_key is None:
        credentials_path = Path(studio_dir) / CREDENTIALS_FILE
        if not credentials_path.exists():
            missing = " and ".join(name for name, value in ((URL_ENV, url), (KEY_ENV, api_key)) if not value)
            raise StudioError(
                f"no Label Studio to talk to: set {missing}, or start a local one with `annotate studio up`"
            )
        local = load_credentials(credentials_path)
        if url is not None and not same_server(url, local.url):
            raise StudioError(
                f"no API key for {url}: set {KEY_ENV} (or pass --api-key); the key of the local server "
                f"in {credentials_path} is only ever sent to {local.url}"
            )
        url, api_key = url or local.url, api_key or local.token
    parts = urlsplit(url)
    if parts.username or parts.password:  # a secret in the URL would be shown in every message
        raise StudioError(
            f"the Label Studio URL for {parts.hostname} holds a user name or password; give the URL "
            f"without it and the key in {KEY_ENV}"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StudioError(f"{url!r} is not a Label Studio URL; give one like http://127.0.0.1:8080")
    if parts.scheme == "http" and not is_loopback(url) and not insecure:
        raise StudioError(
            f"refusing to send the API key in clear to {parts.hostname} over http://; use the server's "
            "https:// address, or pass --insecure if the network between you and it is trusted"
        )
    return Connection(url.rstrip("/"), api_key)
