"""Start the reference deployment in a subprocess and wait until it answers.

The plugin uses this to auto-start the embedded default target when no URL is given;
tests use it to get a real server per fault combination::

    with start_reference_server(faults=["csp-missing"]) as server:
        httpx.get(server.url + "/healthz")
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType

from pytest_release.reference.faults import parse_faults

STDERR_TAIL_LINES = 25
_POLL_S = 0.05


class ReferenceServerError(RuntimeError):
    """The reference deployment did not start; the message carries its stderr tail."""


class ReferenceServer:
    """A running reference deployment (a subprocess). Stop it with ``stop()`` or ``with``."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        *,
        url: str,
        data_dir: Path,
        log_path: Path,
        owns_data_dir: bool,
        http_url: str | None = None,
    ) -> None:
        self.process = process
        self.url = url
        #: With TLS and ``http_redirect=True``: the plain-HTTP address that redirects to ``url``.
        self.http_url = http_url
        self.data_dir = data_dir
        self.log_path = log_path
        self._owns_data_dir = owns_data_dir

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    @property
    def running(self) -> bool:
        """Whether the process is still alive."""
        return self.process.poll() is None

    def log_lines(self) -> list[str]:
        """The server's log so far (JSON lines, plus anything else it printed)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully (SIGTERM), then forcibly; remove a data dir we created."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> ReferenceServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ReferenceServer(url={self.url!r}, pid={self.pid}, data_dir={str(self.data_dir)!r})"


def _tail(path: Path, lines: int = STDERR_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no output)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


def _answers(url: str) -> bool:
    """True once the server answers HTTP at all (any status: a failing check still answers)."""
    # Only liveness matters here; the certificate (often self-signed in tests) is not judged.
    context = ssl._create_unverified_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=1.0, context=context) as response:
            response.read()
        return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def _read_ports(path: Path) -> tuple[int, int | None] | None:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        redirect = info.get("redirect_port")
        return int(info["port"]), None if redirect is None else int(redirect)
    except (FileNotFoundError, ValueError, KeyError):
        return None


def start_reference_server(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: Iterable[str] = (),
    data_dir: Path | str | None = None,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 15.0,
    extra_args: Iterable[str] = (),
    ssl_certfile: str | Path | None = None,
    ssl_keyfile: str | Path | None = None,
    http_redirect: bool = False,
) -> ReferenceServer:
    """Start ``python -m pytest_release.reference`` and wait until /healthz answers.

    ``port=0`` lets the server pick a free port (it reports it back through a file, so
    there is no race between choosing a port and binding it). Without ``data_dir`` a
    temporary one is created and removed again by ``stop()``. With a certificate and key
    it serves HTTPS; ``http_redirect=True`` adds a plain-HTTP port that redirects to it.
    """
    if http_redirect and ssl_certfile is None:
        raise ValueError("http_redirect needs ssl_certfile and ssl_keyfile (it redirects to HTTPS)")
    tls_args: list[str] = []
    if ssl_certfile is not None:
        tls_args = ["--ssl-certfile", str(ssl_certfile), "--ssl-keyfile", str(ssl_keyfile)]
        if http_redirect:
            tls_args += ["--http-redirect-port", "0"]
    scheme = "https" if ssl_certfile is not None else "http"
    chosen = sorted(parse_faults(faults))  # fail fast, in the caller, on a typo
    owns = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="pytest-release-ref-")) if owns else Path(data_dir)  # type: ignore[arg-type]
    directory.mkdir(parents=True, exist_ok=True)
    port_file = directory / "server-port.json"
    port_file.unlink(missing_ok=True)
    log_path = directory / "server.log"
    command = [
        sys.executable,
        "-m",
        "pytest_release.reference",
        "--host",
        host,
        "--port",
        str(port),
        "--data-dir",
        str(directory),
        "--port-file",
        str(port_file),
        *[arg for name in chosen for arg in ("--fault", name)],
        *tls_args,
        *extra_args,
    ]
    env = {**os.environ, **(extra_env or {})}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # Ctrl-C in the terminal reaches pytest, which stops us
        )
    deadline = time.monotonic() + timeout
    display_host = f"[{host}]" if ":" in host else host
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        ports = _read_ports(port_file)
        if ports and _answers(f"{scheme}://{display_host}:{ports[0]}/healthz"):
            redirect = ports[1]
            return ReferenceServer(
                process,
                url=f"{scheme}://{display_host}:{ports[0]}",
                data_dir=directory,
                log_path=log_path,
                owns_data_dir=owns,
                http_url=None if redirect is None else f"http://{display_host}:{redirect}",
            )
        time.sleep(_POLL_S)
    code = process.poll()
    if code is None:
        process.kill()
        process.wait(timeout=5)
        reason = f"did not answer /healthz within {timeout:.0f} s"
    else:
        reason = f"exited with code {code}"
    tail = _tail(log_path)
    if owns:
        shutil.rmtree(directory, ignore_errors=True)
    raise ReferenceServerError(
        f"the reference deployment {reason}.\n"
        f"Command: {' '.join(command)}\n"
        f"Last lines of its output:\n{tail}"
    )
