"""Authentication of annotate's own requests to Label Studio: legacy tokens and personal access tokens.

A legacy token is sent as ``Authorization: Token <key>``. A personal access token (a JWT refresh
token, Label Studio's default since 1.17) is exchanged at ``/api/token/refresh/`` for a short-lived
access token, sent as ``Authorization: Bearer <access>`` and exchanged again when it expires or
the server refuses it. The key is sent only to the client's own base URL: httpx never follows
redirects here, so it cannot be carried to another host.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Generator
from typing import Any

import httpx

#: Exchange an access token this many seconds before it expires.
_EARLY = 30.0


def _claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT, unverified (the server verifies it), or None for other tokens."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, json.JSONDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


class TokenAuth(httpx.Auth):
    """``httpx`` authentication with a Label Studio API key of either kind."""

    def __init__(self, api_key: str, base_url: str) -> None:
        self._key = api_key
        self._refresh_url = f"{base_url.rstrip('/')}/api/token/refresh/"
        self._is_jwt = _claims(api_key) is not None
        self._access: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._is_jwt:
            request.headers["Authorization"] = f"Token {self._key}"
            yield request
            return
        with self._lock:
            if self._access is None or time.time() > self._expires - _EARLY:
                yield from self._exchange()
            access = self._access
        request.headers["Authorization"] = f"Bearer {access}"
        response = yield request
        if response.status_code == 401:  # revoked or expired early: exchange once more
            with self._lock:
                yield from self._exchange()
                request.headers["Authorization"] = f"Bearer {self._access}"
            yield request

    def _exchange(self) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield httpx.Request(
            "POST",
            self._refresh_url,
            json={"refresh": self._key},
            headers={"Content-Type": "application/json"},
        )
        response.read()
        access = response.json().get("access") if response.status_code == 200 else None
        if not isinstance(access, str):
            # Left unset: the request goes out with the refresh token, and the server's 401 says why.
            self._access, self._expires = self._key, 0.0
            return
        claims = _claims(access) or {}
        self._access = access
        self._expires = float(claims.get("exp", time.time() + 60))
