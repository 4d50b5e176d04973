"""Documentation is complete: system, API, user, deployment and maintenance guides.

``[tool.pytest_release.predeploy.docs]`` (``min_words``, ``check_links``) and one sub-table
per guide (``path``, ``sections``, ``min_words``); defaults: ``docs/system.md``,
``docs/api.md``, ``docs/user-guide.md``, ``docs/deployment.md``, ``docs/maintenance.md``.
The API guide must also name every route of the target's OpenAPI document
(``openapi_paths``) and every route listed in ``routes``.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.keys import SETTINGS_KEY
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import area_config
from pytest_release.probes.docs import (
    GuideResult,
    check_api_guide,
    check_guide,
    docs_config,
    openapi_routes,
)
from pytest_release.target import Target, make_client


def _judge(evidence: EvidenceRecorder, result: GuideResult) -> None:
    evidence.attach(f"{result.name}-guide", result.evidence(), "json")
    if result.problems:
        pytest.fail("\n".join(result.problems), pytrace=False)


def _guide(request: pytest.FixtureRequest, evidence: EvidenceRecorder, name: str) -> None:
    config = area_config(request.config, "docs", docs_config)
    root = request.config.stash[SETTINGS_KEY].rootpath
    _judge(evidence, check_guide(config.guides[name], root, config.check_links))


@pytest.mark.checklist("pre.documentation.system")
def test_system_guide(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    _guide(request, evidence, "system")


@pytest.mark.checklist("pre.documentation.user-guide")
def test_user_guide(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    _guide(request, evidence, "user")


@pytest.mark.checklist("pre.documentation.deployment-guide")
def test_deployment_guide(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    _guide(request, evidence, "deployment")


@pytest.mark.checklist("pre.documentation.maintenance-guide")
def test_maintenance_guide(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    _guide(request, evidence, "maintenance")


@pytest.mark.checklist("pre.documentation.api")
def test_api_guide(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    config = area_config(request.config, "docs", docs_config)
    root = request.config.stash[SETTINGS_KEY].rootpath
    routes: list[str] = []
    tried: dict[str, str] = {}
    if config.openapi_paths:
        target: Target = request.getfixturevalue("target")
        with make_client(target.url) as client:
            for path in config.openapi_paths:
                try:
                    response = client.get(path)
                    found = openapi_routes(response.json()) if response.status_code == 200 else []
                    tried[path] = f"{response.status_code}: {len(found)} routes"
                except (httpx.HTTPError, ValueError) as exc:  # the guide check still runs
                    found, tried[path] = [], f"unusable: {type(exc).__name__}: {exc}"
                routes.extend(found)
    routes.extend(config.routes)
    evidence.attach("api-routes", {"openapi": tried, "routes": routes}, "json")
    _judge(evidence, check_api_guide(config.guides["api"], root, routes, config.check_links))
    if not routes:
        inconclusive(
            "the application published no route list (no OpenAPI document at "
            f"{', '.join(config.openapi_paths) or '(none configured)'}) and none is configured: "
            "set routes = [...] in [tool.pytest_release.predeploy.docs]"
        )
