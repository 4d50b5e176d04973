"""Smoke suite: the fast critical subset for the maintenance window (`pytest -m smoke`)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pytest_release.contract import SiteContract
from pytest_release.example_params import markup_of
from pytest_release.outcomes import inconclusive
from pytest_release.probes.discovery import DiscoveredExample, discover_examples
from pytest_release.target import Target, make_client


@pytest.fixture(scope="session")
def http_session(target: Target) -> Iterator[httpx.Client]:
    """One HTTP client for the smoke run (the per-test ``http`` would reconnect each time)."""
    with make_client(target.url) as client:
        yield client


@pytest.fixture(scope="session")
def first_example(http_session: httpx.Client, release_contract: SiteContract) -> DiscoveredExample:
    """The first example on the first configured page (one plain GET, no browser)."""
    first_page = release_contract.pages.paths[0]
    try:
        discovery = discover_examples(http_session, (first_page,), markup_of(release_contract))
    except httpx.HTTPError as exc:
        inconclusive(f"could not list the examples on {first_page}: {exc}")
    if not discovery.examples:
        pytest.fail(
            "; ".join(discovery.problems) or f"no interactive examples on {first_page}",
            pytrace=False,
        )
    return discovery.examples[0]
