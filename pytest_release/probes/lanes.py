"""Source addresses that give each probe family its own rate-limit budget on a local target.

A rate limiter keys its buckets by client address. Every check on this machine talks to a
local target from 127.0.0.1, so one burst (the rate-limit probe) or one long probe pack
would starve the checks after it. On IPv4 loopback every 127.x.y.z address is ours, so
each family sends from its own ("lane"); against a remote target there is one address
and the probes honour ``Retry-After`` instead.
"""

from __future__ import annotations

import ipaddress
import socket
from enum import IntEnum
from urllib.parse import urlsplit

import httpx

from pytest_release.target import DEFAULT_TIMEOUT, USER_AGENT


class Lane(IntEnum):
    """The last octet of each family's loopback source address."""

    RATE_LIMIT = 2
    VALIDATION = 3
    SCHEMATHESIS = 4
    SANITIZATION = 5
    SANDBOX = 10  # + the language's index: each language has its own budget


def target_address(url: str) -> tuple[str, int] | None:
    """The target's IP address and port as this machine resolves them (None if it cannot)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError:
        return None
    return (str(infos[0][4][0]), port) if infos else None


def is_local(url: str) -> bool:
    """Whether the target runs on this machine's loopback interface."""
    resolved = target_address(url)
    return resolved is not None and ipaddress.ip_address(resolved[0]).is_loopback


def lane_address(url: str, lane: int, enabled: bool = True) -> str | None:
    """``127.0.0.<lane>`` when the target is on IPv4 loopback (and lanes are on), else None."""
    resolved = target_address(url)
    if not enabled or resolved is None:
        return None
    address = ipaddress.ip_address(resolved[0])
    if address.version != 4 or not address.is_loopback:
        return None
    return f"127.0.0.{max(2, min(lane, 254))}"


def lane_client(
    url: str,
    lane: int,
    *,
    enabled: bool = True,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> httpx.Client:
    """An httpx client on ``url`` that sends from the lane's address when the target is local."""
    source = lane_address(url, lane, enabled)
    transport = httpx.HTTPTransport(local_address=source) if source else None
    return httpx.Client(
        base_url=url,
        timeout=httpx.Timeout(timeout[0], connect=timeout[1]),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        transport=transport,
    )
