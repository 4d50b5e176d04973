"""Maintenance mode, the announced-window banner and the insecure-sandbox warning, live."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pytest_release.cli import main as cli_main
from pytest_release.reference.inprocess import serve_reference
from pytest_release.reference.maintenance import announce_window, read_state, set_maintenance
from pytest_release.reference.sandbox import Sandbox
from pytest_release.reference.settings import MaintenanceWindow, build_settings

PAGES_AND_API = ["/", "/python"]
STILL_ANSWERING = ["/healthz", "/status", "/status.html", "/version", "/metrics"]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    settings = build_settings(data_dir=tmp_path, environ={})
    with serve_reference(settings) as url:
        yield url, tmp_path


def cli(*argv: str) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli_main(list(argv))
    return code, json.loads(out.getvalue()) if out.getvalue().strip() else {}


def test_maintenance_on_and_off(live: tuple[str, Path]) -> None:
    url, data_dir = live
    with httpx.Client(base_url=url) as http:
        assert http.get("/").status_code == 200
        set_maintenance(data_dir, True, message="Deploying release 2025.07.25", retry_after_s=900)
        for path in PAGES_AND_API:
            page = http.get(path, headers={"accept": "text/html"})
            assert page.status_code == 503
            assert page.headers["retry-after"] == "900"
            assert "Deploying release 2025.07.25" in page.text
            assert "Down for maintenance" in page.text
        api = http.post("/api/run", json={"code": "print(1)", "language": "python"})
        assert api.status_code == 503
        assert api.json()["error"] == "maintenance"
        for path in STILL_ANSWERING:
            assert http.get(path).status_code == 200, f"{path} must answer in maintenance"
        assert http.get("/static/css/site.css").status_code == 200
        status = http.get("/status").json()
        assert status["status"] == "maintenance"
        assert status["message"] == "Deploying release 2025.07.25"
        assert http.get("/healthz").json()["maintenance"] is True
        assert "Maintenance in progress" in http.get("/status.html").text
        assert "maintenance_mode 1.0" in http.get("/metrics").text

        set_maintenance(data_dir, False)
        assert http.get("/").status_code == 200
        assert http.get("/status").json()["status"] == "operational"
        answer = http.post("/api/run", json={"code": "print(1)", "language": "python"})
        assert answer.status_code == 200


def test_cli_switches_a_running_server(live: tuple[str, Path]) -> None:
    url, data_dir = live
    code, state = cli("maintenance", "on", "--data-dir", str(data_dir), "--message", "Back soon")
    assert code == 0 and state["enabled"] is True
    assert httpx.get(f"{url}/").status_code == 503
    code, state = cli("maintenance", "status", "--data-dir", str(data_dir))
    assert code == 0 and state["enabled"] is True and state["message"] == "Back soon"
    code, state = cli("maintenance", "off", "--data-dir", str(data_dir))
    assert code == 0 and state["enabled"] is False
    assert httpx.get(f"{url}/").status_code == 200


def test_banner_announces_a_window(live: tuple[str, Path]) -> None:
    url, data_dir = live
    assert "site-banner" not in httpx.get(f"{url}/").text
    start = datetime.now(UTC) + timedelta(days=1)
    end = start + timedelta(hours=3, minutes=30)
    code, _ = cli(
        "maintenance",
        "announce",
        "--data-dir",
        str(data_dir),
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--message",
        "Upgrade to the new editor",
    )
    assert code == 0
    for path in ["/", "/python", "/status.html"]:
        html = httpx.get(f"{url}{path}").text
        assert 'class="site-banner"' in html
        assert f'datetime="{start.isoformat()}"' in html
        assert f'datetime="{end.isoformat()}"' in html
        assert "Upgrade to the new editor" in html
    window = httpx.get(f"{url}/status").json()["window"]
    assert window["start"] == start.isoformat() and window["end"] == end.isoformat()
    code, _ = cli("maintenance", "announce", "--data-dir", str(data_dir), "--clear")
    assert code == 0
    assert "site-banner" not in httpx.get(f"{url}/").text


def test_a_past_window_is_not_announced(live: tuple[str, Path]) -> None:
    url, data_dir = live
    end = datetime.now(UTC) - timedelta(minutes=1)
    announce_window(data_dir, MaintenanceWindow(end - timedelta(hours=1), end))
    assert "site-banner" not in httpx.get(f"{url}/").text
    assert read_state(data_dir).window is not None


def test_banner_from_settings(tmp_path: Path) -> None:
    settings = build_settings(
        data_dir=tmp_path,
        banner_start="2999-07-25T20:00:00-04:00",
        banner_end="2999-07-25T23:30:00-04:00",
        environ={},
    )
    with serve_reference(settings) as url:
        html = httpx.get(f"{url}/").text
    assert 'class="site-banner"' in html
    assert 'datetime="2999-07-25T20:00:00-04:00"' in html


def test_announce_needs_a_sane_window(tmp_path: Path) -> None:
    code, _ = cli("maintenance", "announce", "--data-dir", str(tmp_path), "--start", "2030-01-01")
    assert code == 2
    code, _ = cli(
        "maintenance",
        "announce",
        "--data-dir",
        str(tmp_path),
        "--start",
        "2030-01-02",
        "--end",
        "2030-01-01",
    )
    assert code == 2


def test_insecure_sandbox_is_announced_everywhere(tmp_path: Path) -> None:
    settings = build_settings(data_dir=tmp_path, insecure_sandbox=True, environ={})
    with serve_reference(settings, Sandbox(insecure=True)) as url:
        for path in ["/", "/python", "/status.html"]:
            assert 'class="sandbox-warning"' in httpx.get(f"{url}{path}").text
        health = httpx.get(f"{url}/healthz")
    assert health.status_code == 503
    assert health.json()["checks"]["sandbox"]["ok"] is False
    assert "insecure" in health.json()["checks"]["sandbox"]["detail"]


def test_secure_pages_have_no_warning(live: tuple[str, Path]) -> None:
    url, _ = live
    assert "sandbox-warning" not in httpx.get(f"{url}/").text
