"""Requests with the path sent exactly as written.

httpx (like browsers) normalises ``/./admin`` and ``/x/../admin`` to ``/admin`` before
sending; access-control bypasses live precisely in such paths, so the access probe
sends them with the standard library's ``http.client``, which sends the request
target verbatim. One connection per request, bounded reads, no redirects followed.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_LIMIT = 256 * 1024


@dataclass(frozen=True, slots=True)
class RawAnswer:
    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class RawClient:
    """Sends requests to one origin; `prefix` is the base URL's path (e.g. ``/app``)."""

    scheme: str
    host: str
    port: int
    prefix: str = ""
    timeout: float = 10.0
    user_agent: str = "pytest-release"
    ssl_context: ssl.SSLContext | None = None

    @classmethod
    def for_url(
        cls,
        base_url: str,
        *,
        timeout: float = 10.0,
        user_agent: str = "pytest-release",
        ssl_context: ssl.SSLContext | None = None,
    ) -> RawClient:
        parts = urlsplit(base_url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http(s) URL with a host")
        port = parts.port or (443 if scheme == "https" else 80)
        return cls(
            scheme,
            parts.hostname,
            port,
            parts.path.rstrip("/"),
            timeout,
            user_agent,
            ssl_context,
        )

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            context = self.ssl_context or ssl.create_default_context()
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=context
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> RawAnswer:
        """Send `method path` verbatim (the base path is prefixed); never raises."""
        connection = self._connection()
        try:
            connection.putrequest(method, self.prefix + path, skip_accept_encoding=True)
            sent = {k.lower() for k in (headers or {})}
            if "user-agent" not in sent:
                connection.putheader("User-Agent", self.user_agent)
            if "accept" not in sent:
                connection.putheader("Accept", "text/html,application/json;q=0.9,*/*;q=0.8")
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            body = b"" if method == "HEAD" else response.read(limit)
            return RawAnswer(
                response.status, {k.lower(): v for k, v in response.getheaders()}, body
            )
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return RawAnswer(None, error=f"{type(exc).__name__}: {exc or 'no detail'}")
        finally:
            connection.close()
