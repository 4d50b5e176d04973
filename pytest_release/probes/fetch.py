"""Bounded requests: read at most a fixed number of bytes, turn failures into values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

DEFAULT_LIMIT = 256 * 1024


@dataclass(frozen=True, slots=True)
class Fetched:
    """One request's answer (or why there was none); `body` holds at most the limit."""

    method: str
    url: str
    status: int | None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes = b""
    truncated: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def text(self) -> str:
        charset = "utf-8"
        content_type = self.headers.get("content-type", "")
        if "charset=" in content_type:
            charset = content_type.split("charset=", 1)[1].split(";")[0].strip() or "utf-8"
        try:
            return self.body.decode(charset, "replace")
        except LookupError:
            return self.body.decode("utf-8", "replace")


def fetch(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    limit: int = DEFAULT_LIMIT,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
) -> Fetched:
    """Send one request without following redirects; never raises for network trouble."""
    try:
        with client.stream(
            method, url, headers=headers, content=content, follow_redirects=False
        ) as response:
            body = bytearray()
            truncated = False
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > limit:
                    truncated = True
                    break
            raw = bytes(body[:limit])
            return Fetched(method, url, response.status_code, response.headers, raw, truncated)
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        return Fetched(method, url, None, error=f"{type(exc).__name__}: {exc or 'no detail'}")
