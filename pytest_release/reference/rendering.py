"""HTML rendering: one Jinja2 environment (autoescaping on) and the context every page shares."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pytest_release.reference.examples import PAGES
from pytest_release.reference.maintenance import MaintenanceState
from pytest_release.reference.settings import MaintenanceWindow, ReferenceSettings

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


class Renderer:
    """Renders the templates with the site-wide context (banner, warning, navigation)."""

    def __init__(self, settings: ReferenceSettings) -> None:
        self.settings = settings
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(["html"]),
            auto_reload=False,
        )
        # Version in asset URLs: a new release never runs against cached old scripts.
        self.asset_version = settings.version
        self.nav = [
            {"path": path, "title": PAGES[path].title if path != "/" else "User model"}
            for path in settings.pages
        ]

    def upcoming_window(self, state: MaintenanceState) -> MaintenanceWindow | None:
        """The window to announce: the CLI's (state file) over the configured one, until it ends."""
        window = state.window or self.settings.window
        if window is None or window.end <= datetime.now(UTC):
            return None
        return window

    def render(
        self, template: str, *, state: MaintenanceState, current_path: str = "", **context: Any
    ) -> str:
        """Render ``template`` with the shared context plus ``context``."""
        return self.env.get_template(template).render(
            version=self.settings.version,
            asset_version=self.asset_version,
            insecure_sandbox=self.settings.insecure_sandbox,
            window=self.upcoming_window(state),
            nav=self.nav,
            current_path=current_path,
            **context,
        )
