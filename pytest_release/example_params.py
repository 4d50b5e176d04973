"""Parametrize browser checks per discovered example (``pytest_generate_tests`` helper).

A suite's conftest.py calls ``parametrize_examples(metafunc)``; every test that uses the
argument ``example_case`` (directly or through a fixture) runs once per example found on
the configured pages, with the example's id as the test id. Discovery happens once per
session, over plain HTTP, on the same target the fixtures use. When the target does not
answer, or the pages list no examples, each test gets one case that explains why instead
of a collection error. Tests that ``-m`` deselects anyway trigger no discovery at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pytest_release.browser_fixtures import CONTRACT_KEY
from pytest_release.checklist.link import Link, link
from pytest_release.contract import SiteContract
from pytest_release.fixtures import target_provider
from pytest_release.keys import CHECKLIST_KEY
from pytest_release.outcomes import inconclusive
from pytest_release.probes.discovery import (
    DiscoveredExample,
    ExampleMarkup,
    SelectorTooComplex,
    discover_examples,
)
from pytest_release.target import TargetUnreachable, make_client
from pytest_release.verdict import EVIDENCE_MISSING, TARGET_UNREACHABLE

ARGNAME = "example_case"


@dataclass(frozen=True, slots=True)
class DiscoveryProblem:
    """Stands in for the examples when they could not be listed; says why."""

    id: str
    reason: str
    rule: str = EVIDENCE_MISSING
    is_failure: bool = False  # the site itself is wrong (no examples), not the run


ExampleCase = DiscoveredExample | DiscoveryProblem
_CASES_KEY = pytest.StashKey[tuple[ExampleCase, ...]]()


def markup_of(contract: SiteContract) -> ExampleMarkup:
    s = contract.selectors
    return ExampleMarkup(
        example=s.example,
        id_attribute=s.example_id_attribute,
        editor=s.editor,
        code_attribute=s.code_attribute,
        language_attribute=s.language_attribute,
        expected_output_attribute=s.expected_output_attribute,
    )


def discover_cases(config: pytest.Config) -> tuple[ExampleCase, ...]:
    """The session's example cases (discovered once, then reused by every test function)."""
    cached = config.stash.get(_CASES_KEY, None)
    if cached is not None:
        return cached
    import httpx

    contract = config.stash.get(CONTRACT_KEY, SiteContract())
    cases: tuple[ExampleCase, ...]
    try:
        target = target_provider(config).resolve()
        with make_client(target.url) as client:
            discovery = discover_examples(client, contract.pages.paths, markup_of(contract))
    except TargetUnreachable as exc:
        cases = (
            DiscoveryProblem(
                "target-unreachable", f"target unreachable: {exc}", TARGET_UNREACHABLE
            ),
        )
    except httpx.HTTPError as exc:
        cases = (
            DiscoveryProblem(
                "discovery-failed",
                f"the pages stopped answering while their examples were listed: {exc}",
                TARGET_UNREACHABLE,
            ),
        )
    except SelectorTooComplex as exc:
        raise pytest.UsageError(f"pytest-release: [tool.pytest_release.selectors] {exc}") from None
    else:
        problems = tuple(
            DiscoveryProblem(f"page-problem-{n}", text, is_failure=True)
            for n, text in enumerate(discovery.problems, start=1)
        )
        cases = (*discovery.examples, *problems)
        if not cases:
            cases = (DiscoveryProblem("no-examples", "no examples were found", is_failure=True),)
    config.stash[_CASES_KEY] = cases
    return cases


def _deselected_by_markexpr(metafunc: pytest.Metafunc) -> bool:
    """True when ``-m`` cannot select this function whatever its parameters are."""
    config = metafunc.config
    markexpr = str(config.option.markexpr or "")
    checklist = config.stash.get(CHECKLIST_KEY, None)
    if not markexpr or checklist is None:
        return False
    from _pytest.mark.expression import Expression

    names = {mark.name for mark in metafunc.definition.iter_markers()}
    ids = [str(a) for m in metafunc.definition.iter_markers("checklist") for a in m.args]
    linked = link(checklist, metafunc.definition.nodeid, ids)
    if isinstance(linked, Link):
        names |= linked.markers
    try:
        expression = Expression.compile(markexpr)
    except Exception:  # pytest reports a bad -m expression itself
        return False

    def has(name: str, /, **kwargs: str | int | bool | None) -> bool:
        return name in names

    return not expression.evaluate(has)


def parametrize_examples(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``example_case`` with one case per discovered example."""
    if ARGNAME not in metafunc.fixturenames:
        return
    if _deselected_by_markexpr(metafunc):
        cases: tuple[ExampleCase, ...] = (
            DiscoveryProblem("not-selected", "examples are not listed for deselected tests"),
        )
    else:
        cases = discover_cases(metafunc.config)
    metafunc.parametrize(ARGNAME, cases, ids=[case.id for case in cases])


def require_example(case: ExampleCase) -> DiscoveredExample:
    """The example, or stop the test: INCONCLUSIVE, or failed when the site lists none."""
    if isinstance(case, DiscoveredExample):
        return case
    inconclusive(case.reason, case.rule)


def fail_on_problem(case: ExampleCase) -> DiscoveredExample:
    """Like ``require_example``, but a site problem (no examples, a page 404) fails the test."""
    if isinstance(case, DiscoveryProblem) and case.is_failure:
        pytest.fail(f"Interactive examples load correctly: {case.reason}", pytrace=False)
    return require_example(case)
