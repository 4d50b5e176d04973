"""pytest-release: hook functions only. The run's state lives in ReleaseSession."""

from __future__ import annotations

import datetime as dt
import os

import pytest

import pytest_release.fixtures as fixtures
from pytest_release.attestations import Attestations, load_attestations
from pytest_release.checklist.cache import load_checklist
from pytest_release.checklist.model import Checklist, Phase, Severity
from pytest_release.checklist.parse import ChecklistError
from pytest_release.keys import CHECKLIST_KEY, SETTINGS_KEY
from pytest_release.report.html_plugin import register_html_report
from pytest_release.session import ReleaseSession
from pytest_release.settings import (
    INI_KEYS,
    ConfigError,
    Settings,
    build_settings,
    read_pyproject,
)

pytest_plugins = (
    "pytest_release.dossier.archive",  # --history: archive runs (issue 12)
    "pytest_release.performance",  # budgets, --perf-profile, figures, --baseline (issue 9)
)

PHASE_HELP = {
    Phase.PREDEPLOY: "checks before the window (code quality, docs, environment, security audit)",
    Phase.DEPLOY: "deployment steps: backup, maintenance mode, deployment, verification, go live",
    Phase.SMOKE: "the fast critical subset run during the maintenance window",
    Phase.POSTDEPLOY: "checks after go-live (functionality, performance, security, monitoring)",
    Phase.ROLLBACK: "re-verification after a rollback",
}


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    import pytest_release.hooks as hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("release", "pytest-release: deployment checklist verification")
    group.addoption(
        "--checklist",
        dest="release_checklist",
        metavar="PATH",
        help="the checklist Markdown (default suites/checklist.md; env PYTEST_RELEASE_CHECKLIST)",
    )
    group.addoption(
        "--target-url",
        dest="release_target_url",
        metavar="URL",
        help="the deployment under test (env PYTEST_RELEASE_TARGET_URL); "
        "without one the bundled reference deployment is started",
    )
    group.addoption(
        "--report-dir", dest="release_report_dir", metavar="DIR", help="where reports go (reports)"
    )
    group.addoption(
        "--attestations",
        dest="release_attestations",
        metavar="PATH",
        help="TOML file of attestations, not-applicable entries, waivers and sign-offs",
    )
    group.addoption(
        "--release-version",
        dest="release_version",
        metavar="V",
        help="the release being deployed (env PYTEST_RELEASE_VERSION)",
    )
    group.addoption(
        "--baseline", dest="release_baseline", metavar="PATH", help="a previous results.json"
    )
    group.addoption(
        "--release-phase",
        dest="release_phase",
        choices=[p.value for p in Phase],
        help="the phase the verdict is for (default: the phase named by -m)",
    )
    group.addoption(
        "--high-priority-threshold",
        dest="release_high_threshold",
        metavar="N",
        help="how many failing high-priority items make 'multiple high-priority bugs' (2)",
    )
    group.addoption(
        "--release-fault",
        dest="release_faults",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a fault in the auto-started reference deployment (repeatable)",
    )
    for key in sorted(INI_KEYS):
        parser.addini(f"release_{key}", f"pytest-release: {key} (see [tool.pytest_release])")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _register_markers(config)
    try:
        settings = build_settings(
            config.rootpath,
            read_pyproject(config.rootpath),
            lambda dest: config.getoption(dest, None),
            lambda name: config.getini(name),
        )
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-release: {exc}") from None
    config.stash[SETTINGS_KEY] = settings
    config.pluginmanager.register(fixtures, "release-fixtures")
    config.pluginmanager.import_plugin("pytest_release.browser_fixtures")
    if not settings.enabled:
        return
    checklist = _load_checklist(config, settings)
    config.stash[CHECKLIST_KEY] = checklist
    for category in sorted({item.category for item in checklist}):
        config.addinivalue_line("markers", f"{category}: checklist category (pytest-release)")
    attestations = _load_attestations(settings, checklist)
    config.pluginmanager.register(
        ReleaseSession(config, settings, checklist, attestations), "release-session"
    )
    if not hasattr(config, "workerinput"):
        _default_report_paths(config, settings)
        register_html_report(config, settings)


def _register_markers(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "checklist(id, *ids): link this test to checklist items (pytest-release)"
    )
    for phase, text in PHASE_HELP.items():
        config.addinivalue_line("markers", f"{phase.value}: {text}")
    for severity in Severity:
        config.addinivalue_line("markers", f"{severity.value}: checklist severity")


def _load_checklist(config: pytest.Config, settings: Settings) -> Checklist:
    custom: Checklist | None = config.hook.pytest_release_load_checklist(settings=settings)
    if custom is not None:
        return custom
    try:
        return load_checklist(settings.checklist, settings.parse_options)
    except ChecklistError as exc:
        raise pytest.UsageError(f"pytest-release: {exc}") from None


def _load_attestations(settings: Settings, checklist: Checklist) -> Attestations:
    if settings.attestations is None:
        return Attestations()
    try:
        return load_attestations(settings.attestations, checklist, dt.date.today())
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-release: {exc}") from None


def _default_report_paths(config: pytest.Config, settings: Settings) -> None:
    """report.html (pytest-html, self-contained) in the report dir unless --html says otherwise."""
    if config.pluginmanager.hasplugin("html") and not config.getoption("htmlpath", None):
        config.option.htmlpath = os.fspath(settings.report_dir / "report.html")
        config.option.self_contained_html = True
