"""Firewall rules seen from outside: a bounded TCP connect scan of a configured port list.

Only ports on the allow-list may accept connections. The scan is polite: a fixed list of
ports (not a range sweep), a few connections at a time, a short timeout each. A port
that times out is "filtered" (what a firewall's DROP looks like), one that refuses is
"closed"; both are fine.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pytest_release.config_table import Table
from pytest_release.settings import ConfigError

# Ports that commonly leak: remote shells, mail, databases, caches, admin consoles, dev servers.
COMMON_PORTS = (
    21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 465, 587, 993, 995, 1433,
    1521, 2049, 2375, 2376, 2379, 3000, 3306, 3389, 5000, 5432, 5601, 5672, 5900, 5984,
    6379, 6443, 8000, 8080, 8081, 8443, 8888, 9000, 9090, 9200, 9300, 11211, 15672, 27017,
)  # fmt: skip
STATES = ("open", "closed", "filtered")


@dataclass(frozen=True, slots=True)
class FirewallConfig:
    """``[tool.pytest_release.predeploy.firewall]``."""

    host: str | None = None  # default: the target's host
    ports: tuple[int, ...] = COMMON_PORTS
    allowed: tuple[int, ...] = (80, 443)  # the target's own port is always allowed
    timeout_s: float = 1.0
    concurrency: int = 16


def _ports(value: Iterable[Any], key: str, where: str) -> tuple[int, ...]:
    ports = tuple(value)
    if not all(isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 for p in ports):
        raise ConfigError(
            f"{where} {key} must be a list of port numbers (1-65535), got {list(ports)!r}"
        )
    if key == "ports" and len(ports) > 1024:
        raise ConfigError(f"{where} ports lists {len(ports)} ports; the scan is bounded to 1024")
    return ports


def firewall_config(table: Table) -> FirewallConfig:
    raw_ports = table.data.get("ports", list(COMMON_PORTS))
    raw_allowed = table.data.get("allowed", [80, 443])
    table.has("ports")
    table.has("allowed")
    if not isinstance(raw_ports, list) or not isinstance(raw_allowed, list):
        raise ConfigError(f"{table.name} ports and allowed must be lists of port numbers")
    return FirewallConfig(
        host=table.optional_text("host"),
        ports=_ports(raw_ports, "ports", table.name),
        allowed=_ports(raw_allowed, "allowed", table.name),
        timeout_s=table.number("timeout_s", 1.0, minimum=0.05),
        concurrency=table.integer("concurrency", 16, minimum=1),
    )


def probe_port(host: str, port: int, timeout_s: float) -> str:
    """'open', 'closed' (refused) or 'filtered' (no answer in time)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return "open"
    except ConnectionRefusedError:
        return "closed"
    except TimeoutError:
        return "filtered"
    except OSError:
        return "filtered"  # unreachable network/host: nothing accepts there either


@dataclass(frozen=True, slots=True)
class ScanResult:
    host: str
    states: dict[int, str]
    allowed: tuple[int, ...]

    @property
    def unexpected(self) -> tuple[int, ...]:
        return tuple(
            p for p, s in sorted(self.states.items()) if s == "open" and p not in self.allowed
        )

    def evidence(self) -> dict[str, Any]:
        by_state = {s: [p for p, v in sorted(self.states.items()) if v == s] for s in STATES}
        return {
            "host": self.host,
            "scanned": len(self.states),
            "allowed": sorted(self.allowed),
            **by_state,
            "unexpected_open": list(self.unexpected),
        }


def scan(
    host: str,
    ports: Sequence[int],
    allowed: Iterable[int],
    timeout_s: float = 1.0,
    concurrency: int = 16,
) -> ScanResult:
    """Connect to every port (at most ``concurrency`` at once) and classify it."""
    unique = list(dict.fromkeys(ports))
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(unique) or 1))) as pool:
        states = dict(
            zip(unique, pool.map(lambda p: probe_port(host, p, timeout_s), unique), strict=True)
        )
    return ScanResult(host, states, tuple(sorted(set(allowed))))
