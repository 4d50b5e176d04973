"""Loopback listeners the network probes try to reach from inside the sandbox.

A TCP listener and a tiny DNS responder on 127.0.0.1 of the test machine, each recording
the probe tokens that reached it. A sandbox with its own network namespace cannot reach
either; a program that does has network access, whatever its own report says.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class LoopbackListeners:
    """Both listeners, started with ``with`` and closed at its end."""

    def __init__(self) -> None:
        self._tcp = socket.create_server(("127.0.0.1", 0))
        self._tcp.settimeout(0.2)
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind(("127.0.0.1", 0))
        self._udp.settimeout(0.2)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._threads = [
            threading.Thread(target=self._accept, name="prx-tcp-listener", daemon=True),
            threading.Thread(target=self._answer, name="prx-dns-listener", daemon=True),
        ]

    @property
    def tcp_port(self) -> int:
        return int(self._tcp.getsockname()[1])

    @property
    def dns_port(self) -> int:
        return int(self._udp.getsockname()[1])

    def reached(self, token: str) -> bool:
        """Whether a connection or query carrying ``token`` arrived."""
        with self._lock:
            return token in self._seen

    def _record(self, data: bytes) -> None:
        text = data.decode("ascii", "replace")
        for word in text.replace("\x00", " ").split():
            cleaned = "".join(ch for ch in word if ch.isalnum() or ch == "-")
            with self._lock:
                self._seen.add(cleaned.removeprefix("prx-"))

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._tcp.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1.0)
                with contextlib.suppress(OSError):
                    self._record(conn.recv(256))

    def _answer(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._udp.recvfrom(512)
            except OSError:
                continue
            # The query name's labels are length-prefixed: turn them into words.
            labels = []
            position = 12
            while position < len(data) and data[position]:
                size = data[position]
                labels.append(data[position + 1 : position + 1 + size])
                position += 1 + size
            self._record(b" ".join(labels))
            # Same id, "response" flag, no answers: enough for the prober to know it got through.
            reply = data[:2] + b"\x81\x80" + data[4:6] + b"\x00\x00\x00\x00\x00\x00"
            with contextlib.suppress(OSError):
                self._udp.sendto(reply + data[12 : position + 5], peer)

    def __enter__(self) -> LoopbackListeners:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._tcp.close()
        self._udp.close()
