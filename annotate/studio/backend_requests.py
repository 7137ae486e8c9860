"""Reading the requests of Label Studio to the ML backend: size-limited JSON bodies, HTTP Basic auth.

A malformed or oversized body raises ``BadRequest`` (its status and message become the answer);
credentials are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from typing import Any

from starlette.requests import Request

#: Largest request body accepted (Label Studio sends a page of tasks with their data).
MAX_BODY = 64 * 2**20
USER_ENV, PASSWORD_ENV = "BASIC_AUTH_USER", "BASIC_AUTH_PASS"


class BadRequest(Exception):
    """A request the backend cannot answer; ``status`` is the 4xx to send with the message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object, at most ``MAX_BODY`` bytes (checked before and after reading)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise BadRequest(f"the request is larger than {MAX_BODY} bytes; send fewer tasks at once", status=413)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest(f"the request is larger than {MAX_BODY} bytes; send fewer tasks at once", status=413)
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"the request body is not JSON ({error})") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def authorised(request: Request, auth: tuple[str, str]) -> bool:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(user.encode(), auth[0].encode()) & hmac.compare_digest(
        password.encode(), auth[1].encode()
    )


def basic_auth_from_env() -> tuple[str, str] | None:
    """HTTP Basic credentials from ``BASIC_AUTH_USER`` / ``BASIC_AUTH_PASS`` (Label Studio's names)."""
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    return (user, password) if user and password else None
