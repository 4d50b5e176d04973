"""The target contract's conventions (../shared/TARGET_CONTRACT.md), each one overridable.

``[tool.pytest_release.pages]``, ``.selectors`` and ``.api`` in pyproject.toml change the
defaults; ``site_contract()`` validates them once and returns one frozen value the
functionality and smoke suites share.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from pytest_release.config_number import is_number


class ContractConfigError(ValueError):
    """A bad value in [tool.pytest_release.pages|selectors|api]."""


@dataclass(frozen=True, slots=True)
class Pages:
    """[tool.pytest_release.pages]: where the examples are and how long a page may take."""

    paths: tuple[str, ...] = ("/",)
    storage_prefix: str = "ume-code-example-"
    ready_timeout_s: float = 15.0


@dataclass(frozen=True, slots=True)
class Selectors:
    """[tool.pytest_release.selectors]: how the checks find things on a page.

    ``example`` is also read at collection time from the raw HTML, so keep it a simple
    selector (``tag``, ``.class``, ``[attribute]`` or a combination of these).
    """

    example: str = ".interactive-code-example"
    example_id_attribute: str = "data-example-id"
    editor: str = ".monaco-editor"
    code_attribute: str = "data-code"
    language_attribute: str = "data-language"
    expected_output_attribute: str = "data-expected-output"
    status: str = ".editor-status"
    output: str = ".output-panel .output-content"
    output_error_class: str = "output-error"
    button: str = "button[data-action={action}]"
    theme_toggle: str = "button[data-action=toggle-theme]"
    fullscreen_class: str = "fullscreen"
    running_status: str = "(?i)running"
    done_status: str = "(?i)done|finished|success|complete"


@dataclass(frozen=True, slots=True)
class Api:
    """[tool.pytest_release.api]: the code-execution and operations endpoints."""

    run_path: str = "/api/run"
    health_path: str = "/healthz"
    version_path: str = "/version"
    run_timeout_s: float = 10.0
    max_body_bytes: int = 1_048_576


@dataclass(frozen=True, slots=True)
class SiteContract:
    """Everything the browser and API checks assume about the target."""

    pages: Pages = Pages()
    selectors: Selectors = Selectors()
    api: Api = Api()

    def button(self, action: str) -> str:
        """The selector of one control button (run, reset, copy, ...)."""
        return self.selectors.button.format(action=action)


def _build(kind: type[Any], table_name: str, table: Mapping[str, Any]) -> Any:
    known = {f.name: f for f in fields(kind)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ContractConfigError(
                f"[tool.pytest_release.{table_name}] has an unknown key {key!r}{hint} "
                f"(known: {', '.join(known)})"
            )
        default = getattr(kind(), key)
        values[key] = _coerce(value, default, f"[tool.pytest_release.{table_name}] {key}")
    return kind(**values)


def _coerce(value: Any, default: Any, where: str) -> Any:
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ContractConfigError(f"{where} = {value!r}: use a non-empty list of strings")
        return tuple(value)
    if isinstance(default, str):
        if not isinstance(value, str) or not value:
            raise ContractConfigError(f"{where} = {value!r}: use a non-empty string")
        return value
    if not is_number(value) or value <= 0:
        raise ContractConfigError(f"{where} = {value!r}: use a positive number")
    return type(default)(value)


def site_contract(
    pages: Mapping[str, Any], selectors: Mapping[str, Any], api: Mapping[str, Any]
) -> SiteContract:
    """Validate the three tables; missing keys keep the contract's defaults."""
    built_pages: Pages = _build(Pages, "pages", pages)
    for path in built_pages.paths:
        if not path.startswith("/"):
            raise ContractConfigError(
                f"[tool.pytest_release.pages] paths has {path!r}: write paths from the site "
                "root, starting with '/'"
            )
    return SiteContract(
        pages=built_pages,
        selectors=_build(Selectors, "selectors", selectors),
        api=_build(Api, "api", api),
    )
