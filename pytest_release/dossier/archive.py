"""``pytest --history DIR``: archive each run's results.json into the release history.

Loaded by the release plugin (``pytest_plugins`` in plugin.py); it does something only when a
history directory is given (``--history`` or ``[tool.pytest_release.history] dir``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_release.keys import SETTINGS_KEY

if TYPE_CHECKING:
    from pytest_release.results import RunRecord


def _keep(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        import argparse

        raise argparse.ArgumentTypeError(f"{value!r}: give how many releases to keep (1 or more)")
    return number


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("release")
    group.addoption(
        "--history",
        dest="release_history",
        metavar="DIR",
        help="archive this run's results.json into the release history DIR "
        "(or [tool.pytest_release.history] dir)",
    )
    group.addoption(
        "--history-keep",
        dest="release_history_keep",
        type=_keep,
        metavar="N",
        help="releases the history keeps (default 10, or [tool.pytest_release.history] keep)",
    )


@pytest.hookimpl(trylast=True)  # after the release plugin stored its settings
def pytest_configure(config: pytest.Config) -> None:
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or not settings.enabled or hasattr(config, "workerinput"):
        return
    option = config.getoption("release_history", None)
    if not option and not settings.section("history"):
        return  # no history asked for: don't even import it (jsonschema is slow to import)
    from pytest_release.dossier.history import history_settings
    from pytest_release.dossier.runs import DossierError

    try:
        table = history_settings(settings.section("history"), settings.rootpath)
    except DossierError as exc:
        raise pytest.UsageError(f"pytest-release: {exc}") from None
    directory = settings.rootpath / Path(option).expanduser() if option else table.dir
    if directory is None:
        return
    keep = config.getoption("release_history_keep", None) or table.keep
    config.pluginmanager.register(HistoryArchiver(directory, keep), "release-history")


class HistoryArchiver:
    """Copies the results.json data into the history as the release session writes it."""

    def __init__(self, directory: Path, keep: int) -> None:
        self.directory = directory
        self.keep = keep
        self.message: str | None = None

    @pytest.hookimpl(trylast=True)  # after other hooks added their fields
    def pytest_release_results(self, record: RunRecord, data: dict[str, Any]) -> None:
        if not record.release_version:
            self.message = (
                "not archived: the run has no --release-version, and the history groups runs "
                "by release"
            )
            return
        from pytest_release.dossier.history import archive

        try:
            path = archive(data, self.directory, self.keep)
        except OSError as exc:
            self.message = f"not archived: {self.directory}: {exc.strerror or exc}"
            return
        self.message = f"archived to {path}"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.message:
            terminalreporter.write_line(f"history: {self.message}")
