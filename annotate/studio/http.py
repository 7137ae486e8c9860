"""annotate's own HTTP client for Label Studio: signed requests, reads retried, writes sent once.

A read (GET) is tried again when the connection drops or the server answers 5xx or 429. A write
is sent exactly once: when its answer is lost (connection dropped, timeout, 5xx) it may still
have been carried out, so ``request`` raises ``UncertainWriteError`` and the caller re-reads what
is on the server before sending what is still missing (never a blind retry, which duplicates).
Proxy settings apply to remote servers only, and redirects are never followed, so the key goes
only to the server it was given for.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from label_studio_sdk.core.api_error import ApiError

from annotate import __version__
from annotate.errors import StudioError, UncertainWriteError
from annotate.studio.auth import TokenAuth
from annotate.studio.connection import KEY_ENV, is_loopback

#: Attempts of a read (GET) that failed on the way (connection dropped, 5xx, 429).
READ_ATTEMPTS = 3
_LOST = (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class Http:
    """Signed JSON requests to one Label Studio server."""

    def __init__(self, url: str, api_key: str, *, timeout: float) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.url,
            auth=TokenAuth(api_key, self.url),
            timeout=timeout,
            trust_env=not is_loopback(self.url),
            headers={"User-Agent": f"annotate/{__version__}"},
        )

    def close(self) -> None:
        """Release the connections."""
        self._client.close()

    @contextmanager
    def calling(self, what: str) -> Iterator[None]:
        """Turn the SDK's and httpx's errors inside the block into one-line ``StudioError`` s."""
        try:
            yield
        except ApiError as error:
            raise StudioError(
                describe(error.status_code, error.body, what, self.url), status=error.status_code
            ) from None
        except httpx.ConnectError:
            raise StudioError(
                f"cannot connect to Label Studio at {self.url} (connection refused or unknown host); "
                "check the URL, or start a local server with `annotate studio up`"
            ) from None
        except httpx.TimeoutException:
            raise StudioError(
                f"Label Studio at {self.url} did not answer in time to {what}; try again"
            ) from None
        except httpx.HTTPError as error:
            raise StudioError(f"cannot {what} at {self.url}: {type(error).__name__}") from None

    def request(
        self, method: str, path: str, what: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        """Send one request; the answer's JSON (None when empty).

        A GET is tried up to ``READ_ATTEMPTS`` times. Any other method is sent once: if its answer
        is lost (connection dropped, timeout, server error) it raises ``UncertainWriteError``.

        Raises:
            StudioError: the server refused the request or cannot be reached.
        """
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"} if content is not None else {}
        attempts = READ_ATTEMPTS if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                with self.calling(what):
                    try:
                        response = self._client.request(
                            method, path, params=params, content=content, headers=headers
                        )
                    except _LOST as error:
                        if method == "GET":
                            raise
                        raise UncertainWriteError(
                            f"the answer of Label Studio at {self.url} to {what} was lost "
                            f"({type(error).__name__}); the request may have been carried out"
                        ) from None
            except UncertainWriteError:
                raise
            except StudioError:
                if attempt == attempts:
                    raise
                time.sleep(0.5 * attempt)
                continue
            if response.status_code >= 500 or response.status_code == 429:
                if method != "GET":
                    raise UncertainWriteError(
                        f"Label Studio at {self.url} answered {response.status_code} to {what}; "
                        "the request may have been carried out"
                    )
                if attempt < attempts:
                    time.sleep(0.5 * attempt)
                    continue
            if not 200 <= response.status_code < 300:
                message = describe(response.status_code, _body(response), what, self.url)
                raise StudioError(message, status=response.status_code)
            return response.json() if response.content else None
        raise AssertionError("unreachable")  # pragma: no cover


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _forbids_something_else(detail: Any) -> bool:
    """Whether a 403's detail is about something other than the key (a blocked address, say)."""
    if not isinstance(detail, str):
        return False
    about_key = ("credentials", "token", "authenticat", "permission")
    return not any(word in detail.lower() for word in about_key)


def describe(status: int | None, body: Any, what: str, url: str) -> str:
    detail = body.get("detail") if isinstance(body, dict) else None
    if status == 401 or (status == 403 and not _forbids_something_else(detail)):
        return (
            f"Label Studio at {url} refused the API key ({status}) when trying to {what}; check "
            f"{KEY_ENV} (a personal access token or, if the organisation allows them, a legacy token)"
        )
    if status == 403:
        return f"Label Studio at {url} refused to {what} (403): {str(detail)[:300]}"
    if status == 404:
        return f"Label Studio at {url} answered 404 to {what}: is the URL the server's root?"
    text = body if isinstance(body, str) else json.dumps(body, default=str)
    return f"Label Studio at {url} answered {status} to {what}: {text[:300]}"
