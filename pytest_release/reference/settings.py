"""ReferenceSettings: everything the reference deployment can be told, validated once.

Values come from command-line flags first, then environment variables, then defaults;
`build_settings` is the one place that merges them, so the app itself only ever sees a
frozen, checked ``ReferenceSettings``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pytest_release import __version__
from pytest_release.git_commit import git_commit

DATA_DIR_ENV = "PYTEST_RELEASE_DATA_DIR"
VERSION_ENV = "PYTEST_RELEASE_REFERENCE_VERSION"
COMMIT_ENV = "PYTEST_RELEASE_REFERENCE_COMMIT"
ADMIN_USER_ENV = "PYTEST_RELEASE_ADMIN_USER"
ADMIN_PASSWORD_ENV = "PYTEST_RELEASE_ADMIN_PASSWORD"
CORS_ENV = "PYTEST_RELEASE_CORS_ORIGINS"
RATE_LIMIT_ENV = "PYTEST_RELEASE_RATE_LIMIT"
BANNER_START_ENV = "PYTEST_RELEASE_BANNER_START"
BANNER_END_ENV = "PYTEST_RELEASE_BANNER_END"
BANNER_MESSAGE_ENV = "PYTEST_RELEASE_BANNER_MESSAGE"

DEFAULT_PAGES = ("/", "/python")
DEFAULT_WINDOW_MESSAGE = "Scheduled maintenance: interactive examples will be unavailable."


class SettingsError(ValueError):
    """A setting has a value the server cannot use; the message names it and the fix."""


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where state lives when no --data-dir is given (shared by `serve` and `maintenance`)."""
    env = os.environ if environ is None else environ
    if env.get(DATA_DIR_ENV):
        return Path(env[DATA_DIR_ENV]).expanduser()
    base = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "pytest-release" / "reference"


def detect_commit() -> str:
    """The git commit of the checkout this package runs from, or 'unknown'."""
    return git_commit(Path(__file__).resolve().parent) or "unknown"


def parse_when(value: str, *, name: str) -> datetime:
    """An ISO 8601 timestamp; naive values are taken as UTC."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise SettingsError(
            f"{name}: {value!r} is not an ISO 8601 time; use e.g. 2025-07-25T20:00:00-04:00"
        ) from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """An announced maintenance window, shown in the site banner until it ends."""

    start: datetime
    end: datetime
    message: str = DEFAULT_WINDOW_MESSAGE


@dataclass(frozen=True, slots=True)
class ReferenceSettings:
    """The reference deployment's configuration (see `build_settings`)."""

    data_dir: Path
    version: str = __version__
    commit: str = "unknown"
    faults: frozenset[str] = frozenset()
    pages: tuple[str, ...] = DEFAULT_PAGES
    api_path: str = "/api/run"
    storage_prefix: str = "ume-code-example-"
    rate_limit_per_minute: int = 30
    max_body_bytes: int = 64 * 1024
    cors_origins: tuple[str, ...] = ()
    admin_user: str = "admin"
    admin_password: str = ""
    database_url: str | None = None
    redis_url: str | None = None
    window: MaintenanceWindow | None = None
    insecure_sandbox: bool = False
    monaco_dir: Path | None = None
    schema_revision: str | None = None

    @property
    def effective_database_url(self) -> str:
        """DATABASE_URL when given, else a SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'reference.db'}"

    def has(self, fault: str) -> bool:
        """Whether the named fault switch is on."""
        return fault in self.faults


def _int_setting(value: str, *, name: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise SettingsError(f"{name}: {value!r} is not a whole number") from exc
    if number < minimum:
        raise SettingsError(f"{name}: {number} is below the minimum {minimum}")
    return number


def _origins(value: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
    for origin in origins:
        if origin == "*" or not origin.startswith(("http://", "https://")):
            raise SettingsError(
                f"CORS origin {origin!r} is not allowed: list exact origins such as "
                "https://docs.example.com (a wildcard would let any site call the API)"
            )
    return origins


def admin_password_for(data_dir: Path, environ: Mapping[str, str]) -> str:
    """The admin password: from the environment, else generated once into the data dir.

    Generating it (mode 0600) keeps /admin closed on a fresh instance without shipping a
    default password that someone forgets to change.
    """
    if environ.get(ADMIN_PASSWORD_ENV):
        return environ[ADMIN_PASSWORD_ENV]
    path = data_dir / "admin-password"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    import secrets

    password = secrets.token_urlsafe(18)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    return password


def build_settings(
    *,
    data_dir: Path | None = None,
    version: str | None = None,
    commit: str | None = None,
    faults: frozenset[str] = frozenset(),
    rate_limit: int | None = None,
    cors_origins: str | None = None,
    pages: tuple[str, ...] | None = None,
    api_path: str | None = None,
    banner_start: str | None = None,
    banner_end: str | None = None,
    banner_message: str | None = None,
    insecure_sandbox: bool = False,
    monaco_dir: Path | None = None,
    schema_revision: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ReferenceSettings:
    """Merge flags (arguments), environment variables and defaults into checked settings."""
    env = os.environ if environ is None else environ
    directory = Path(data_dir or default_data_dir(env)).expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    limit_text = str(rate_limit) if rate_limit is not None else env.get(RATE_LIMIT_ENV, "30")
    start = banner_start or env.get(BANNER_START_ENV)
    end = banner_end or env.get(BANNER_END_ENV)
    window = None
    if start or end:
        if not (start and end):
            raise SettingsError("a maintenance window needs both --banner-start and --banner-end")
        begins = parse_when(start, name="banner start")
        ends = parse_when(end, name="banner end")
        if ends <= begins:
            raise SettingsError(f"maintenance window ends ({end}) before it starts ({start})")
        message = banner_message or env.get(BANNER_MESSAGE_ENV)
        window = (
            MaintenanceWindow(begins, ends, message) if message else MaintenanceWindow(begins, ends)
        )
    chosen_pages = pages or DEFAULT_PAGES
    for page in chosen_pages:
        if page not in DEFAULT_PAGES:
            raise SettingsError(f"page {page!r} does not exist; choose from {DEFAULT_PAGES}")
    path = api_path or "/api/run"
    if not path.startswith("/"):
        raise SettingsError(f"API path {path!r} must start with '/'")
    return ReferenceSettings(
        data_dir=directory,
        version=version or env.get(VERSION_ENV) or __version__,
        commit=commit or env.get(COMMIT_ENV) or detect_commit(),
        faults=faults,
        pages=tuple(chosen_pages),
        api_path=path,
        rate_limit_per_minute=_int_setting(limit_text, name="rate limit", minimum=1),
        cors_origins=_origins(cors_origins if cors_origins is not None else env.get(CORS_ENV, "")),
        admin_user=env.get(ADMIN_USER_ENV, "admin"),
        admin_password=admin_password_for(directory, env),
        database_url=env.get("DATABASE_URL") or None,
        redis_url=env.get("REDIS_URL") or None,
        window=window,
        insecure_sandbox=insecure_sandbox,
        monaco_dir=monaco_dir,
        schema_revision=schema_revision,
    )
