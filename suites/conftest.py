"""Options of the bundled suites (the plugin's own options live in pytest_release/plugin.py)."""

from __future__ import annotations

import argparse

import pytest

from pytest_release.probes.watch import parse_duration


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("release")
    group.addoption(
        "--watch",
        dest="release_watch",
        type=_duration,
        default=None,
        metavar="DURATION",
        help="deploy.go-live.monitor: re-run the quick checks for this long (e.g. 30m)",
    )
    group.addoption(
        "--every",
        dest="release_every",
        type=_duration,
        default=None,
        metavar="INTERVAL",
        help="with --watch: time between rounds (default 60s)",
    )
