"""Finding Chromium and validating [tool.pytest_release.browser|pages|selectors|api]."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pytest_release.browser import (
    CHROMIUM_ENV,
    DEFAULT_ARGS,
    BrowserConfigError,
    BrowserNotFound,
    TraceMode,
    browser_settings,
    find_chromium,
)
from pytest_release.contract import ContractConfigError, SiteContract, site_contract


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_environment_variable_wins(tmp_path: Path) -> None:
    chosen = _executable(tmp_path / "my-chrome")
    other = _executable(tmp_path / "configured")
    found = find_chromium(str(other), {CHROMIUM_ENV: str(chosen)}, candidates=())
    assert found.path == str(chosen)
    assert found.source == CHROMIUM_ENV


def test_configured_path_beats_the_system(tmp_path: Path) -> None:
    configured = _executable(tmp_path / "configured")
    system = _executable(tmp_path / "usr-bin-chromium")
    found = find_chromium(str(configured), {}, candidates=(str(system),))
    assert (found.path, found.source) == (str(configured), "configuration")


def test_explicit_path_that_does_not_exist_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    system = _executable(tmp_path / "chromium")
    with pytest.raises(BrowserNotFound, match="not an executable file") as excinfo:
        find_chromium(None, {CHROMIUM_ENV: str(tmp_path / "nope")}, candidates=(str(system),))
    assert CHROMIUM_ENV in str(excinfo.value)


def test_system_candidates_in_order(tmp_path: Path) -> None:
    second = _executable(tmp_path / "b" / "chromium")
    found = find_chromium(None, {"HOME": str(tmp_path)}, (str(tmp_path / "a"), str(second)))
    assert (found.path, found.source) == (str(second), "system")


def test_playwright_cache_newest_revision(tmp_path: Path) -> None:
    cache = tmp_path / "pw"
    _executable(cache / "chromium-1100" / "chrome-linux" / "chrome")
    newest = _executable(cache / "chromium-1200" / "chrome-linux" / "chrome")
    env = {"PLAYWRIGHT_BROWSERS_PATH": str(cache), "HOME": str(tmp_path)}
    found = find_chromium(None, env, candidates=())
    assert (found.path, found.source) == (str(newest), "playwright cache")


def test_nothing_found_says_where_it_looked_and_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(BrowserNotFound) as excinfo:
        find_chromium(None, {"HOME": str(tmp_path)}, candidates=("/nowhere/chromium",))
    message = str(excinfo.value)
    assert "/nowhere/chromium" in message
    assert "ms-playwright" in message
    assert "apt-get install chromium" in message
    assert "playwright install chromium" in message


def test_browser_settings_defaults_and_cli() -> None:
    settings = browser_settings({})
    assert settings.headless and settings.args == DEFAULT_ARGS
    assert settings.trace is TraceMode.RETAIN_ON_FAILURE and not settings.trace_snapshots
    headed = browser_settings({"extra_args": ["--lang=de"]}, headed=True, channel="chrome")
    assert not headed.headless and headed.channel == "chrome"
    assert headed.args[-1] == "--lang=de"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"headles": True}, "unknown key"),
        ({"headless": "yes"}, "true or false"),
        ({"timeout_s": 0}, "seconds > 0"),
        ({"trace": "always"}, "retain-on-failure"),
        ({"viewport": [1280]}, "[width, height]"),
        ({"args": "--no-sandbox"}, "list of strings"),
        ({"isolation": "tab"}, "context, storage"),
    ],
)
def test_bad_browser_settings_name_key_and_fix(table: dict[str, object], message: str) -> None:
    with pytest.raises(BrowserConfigError, match=r"tool\.pytest_release\.browser") as excinfo:
        browser_settings(table)
    assert message in str(excinfo.value)


def test_contract_defaults_follow_target_contract() -> None:
    contract = site_contract({}, {}, {})
    assert contract == SiteContract()
    assert contract.pages.paths == ("/",)
    assert contract.pages.storage_prefix == "ume-code-example-"
    assert contract.api.run_path == "/api/run"
    assert contract.button("run") == "button[data-action=run]"


def test_contract_overrides() -> None:
    contract = site_contract(
        {"paths": ["/", "/python"], "ready_timeout_s": 30},
        {"example": ".example"},
        {"run_path": "/api/run-php-code"},
    )
    assert contract.pages.paths == ("/", "/python")
    assert contract.pages.ready_timeout_s == 30.0
    assert contract.selectors.example == ".example"
    assert contract.api.run_path == "/api/run-php-code"


@pytest.mark.parametrize(
    ("pages", "selectors", "api", "message"),
    [
        ({"path": ["/"]}, {}, {}, "did you mean 'paths'"),
        ({"paths": ["python"]}, {}, {}, "starting with '/'"),
        ({"paths": []}, {}, {}, "non-empty list"),
        ({}, {"example": ""}, {}, "non-empty string"),
        ({}, {}, {"run_timeout_s": -1}, "positive number"),
    ],
)
def test_bad_contract_values(
    pages: dict[str, object], selectors: dict[str, object], api: dict[str, object], message: str
) -> None:
    with pytest.raises(ContractConfigError) as excinfo:
        site_contract(pages, selectors, api)
    assert message in str(excinfo.value)


def test_bad_browser_table_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", checklist="## Post-Deployment Checks\n### Functionality\n- [ ] x\n")
    pytester.makepyprojecttoml(
        '[tool.pytest_release]\nchecklist = "checklist.md"\n'
        "[tool.pytest_release.browser]\ntimeout_s = 'soon'\n"
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*browser] timeout_s = 'soon'*seconds > 0*"])
